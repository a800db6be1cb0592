import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `nstat` (collector `nstat`: `nstat -asz`): the kernel's SNMP and extended network
 * counters, by nstat's names (the /proc/net/snmp, /proc/net/netstat or /proc/net/snmp6
 * section prefix + the field name).
 *
 * ```
 * #kernel
 * IpInReceives                    13369              0.0
 * TcpRetransSegs                  12                 0.0
 * TcpExtListenOverflows           1234               0.0
 * TcpExtListenDrops               1234               0.0
 * ```
 * Yields: `counters.TcpRetransSegs = 12`, `counters.TcpExtListenOverflows = 1234`.
 *
 * Variants: `-a` (absolute values since boot) and without `-a` (increments since the last
 * nstat run that updated the history file: a paste cannot tell them apart, and neither can
 * this parser); `-z` (zero counters shown) and without (zero counters left out: an absent
 * counter is 0, or unknown); the `#kernel` header line; `-j` JSON on one line or pretty
 * (`-jp`) over several. The third column is nstat's rate, per second, averaged over its
 * `-t` interval (0.0 unless a history or daemon supplied one).
 *
 * Counters only grow (except the gauges named in {@link NSTAT_GAUGES}); judge them as
 * increments over a window with {@link nstatDelta}.
 *
 * Source: nstat(8) and iproute2 `misc/nstat.c`; counter meanings in the kernel's
 * Documentation/networking/snmp_counter.rst.
 */
export interface NstatFacts {
  /** Counter name → value (`TcpExtListenOverflows`, `TcpRetransSegs`, `IpExtInOctets`, …). */
  counters: Record<string, number>;
  /** Counter name → nstat's rate column, per second, when the output had one. */
  rates_per_s?: Record<string, number>;
}

/** Counters that are values of now, not totals: a difference of two readings means nothing. */
export const NSTAT_GAUGES: ReadonlySet<string> = new Set([
  "IpForwarding",
  "IpDefaultTTL",
  "TcpRtoAlgorithm",
  "TcpRtoMin",
  "TcpRtoMax",
  "TcpMaxConn",
  "TcpCurrEstab",
]);

const ROW = /^([A-Za-z][A-Za-z0-9_]*)\s+(\d+)(?:\s+(-?\d+(?:[.,]\d+)?))?\s*$/;

/**
 * Parses `nstat` output (see {@link NstatFacts}).
 * @throws UnrecognisedOutputError when no counter line, `#kernel` header or JSON was found.
 */
export function parseNstat(lines: Iterable<string>): ParseResult<NstatFacts> {
  const problems = new ProblemLog();
  const counters: Record<string, number> = {};
  const rates: Record<string, number> = {};
  let found = false;
  let json: { start: number; text: string } | undefined;
  let n = 0;
  const readJson = (text: string, start: number): boolean => {
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      for (const group of Object.values(doc)) {
        if (!group || typeof group !== "object") continue;
        for (const [name, value] of Object.entries(group as Record<string, unknown>)) {
          if (typeof value === "number") counters[name] = value;
        }
      }
      found = true;
      return true;
    } catch {
      if (text.length > 4 << 20) problems.add(start, text.slice(0, 200), "unreadable nstat JSON");
      return text.length > 4 << 20;
    }
  };
  for (const line of lines) {
    n++;
    if (json) {
      json.text += `\n${line}`;
      if (readJson(json.text, json.start)) json = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (/^#\s*kernel\b/.test(trimmed)) {
      found = true;
      continue;
    }
    if (/^\{\s*("|$)/.test(trimmed)) {
      if (!readJson(trimmed, n)) json = { start: n, text: trimmed };
      continue;
    }
    const m = ROW.exec(trimmed);
    if (m && fields(trimmed).length <= 3) {
      counters[m[1]] = Number(m[2]);
      if (m[3] !== undefined) rates[m[1]] = Number(m[3].replace(",", "."));
      found = true;
      continue;
    }
    problems.add(n, line, "not an nstat counter line");
  }
  if (json) problems.add(json.start, json.text.slice(0, 200), "unterminated nstat JSON");
  if (!found) throw new UnrecognisedOutputError("nstat");
  const facts: NstatFacts = { counters };
  if (Object.keys(rates).length > 0) facts.rates_per_s = rates;
  return { facts, problems: problems.list() };
}

/** What changed between two readings of the counters. */
export interface NstatDelta {
  /** The window, seconds. */
  seconds: number;
  /** Counter → end − start (a counter absent at the start counts from 0). */
  increments: Record<string, number>;
  /** Counter → increment / seconds (absent when seconds ≤ 0). */
  rates_per_s: Record<string, number>;
  /** Gauges ({@link NSTAT_GAUGES}) → their value at the end. */
  gauges: Record<string, number>;
  /**
   * Counters that went backwards (a reboot, a namespace or module reset, or a 32-bit wrap):
   * left out of `increments`.
   */
  reset: string[];
}

/**
 * Per-counter increments and per-second rates between two readings, for windowed counter
 * collectors (`nstat`; `netstat-s` has the same `counters` map).
 *
 * A counter missing from `start` counts from 0 (nstat without `-z` leaves zeros out); one
 * missing from `end` is left out. Pure; never throws.
 */
export function nstatDelta(
  start: { counters: Record<string, number> },
  end: { counters: Record<string, number> },
  seconds: number,
): NstatDelta {
  const out: NstatDelta = { seconds, increments: {}, rates_per_s: {}, gauges: {}, reset: [] };
  for (const [name, value] of Object.entries(end.counters)) {
    if (NSTAT_GAUGES.has(name)) {
      out.gauges[name] = value;
      continue;
    }
    const before = Object.hasOwn(start.counters, name) ? start.counters[name] : 0;
    if (value < before) {
      out.reset.push(name);
      continue;
    }
    const inc = value - before;
    out.increments[name] = inc;
    if (seconds > 0) out.rates_per_s[name] = inc / seconds;
  }
  return out;
}
