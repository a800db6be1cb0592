import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One row of the `Transport Total IP IPv6` table of `ss -s`. */
export interface SsTransportRow {
  total?: number;
  /** IPv4 sockets; absent where ss printed `-`. */
  ip?: number;
  ipv6?: number;
}

/**
 * Facts of `ss -s` (collector `ss-summary`): socket counts by transport.
 *
 * ```
 * Total: 9 (kernel 0)
 * TCP:   1 (estab 0, closed 0, orphaned 0, synrecv 0, timewait 0/0), ports 0
 *
 * Transport Total     IP        IPv6
 * *         0         -         -
 * RAW       0         0         0
 * UDP       0         0         0
 * TCP       1         1         0
 * INET      1         1         0
 * FRAG      0         0         0
 * ```
 * Yields: `total = 9`, `tcp.total = 1`, `tcp.timewait = 0`.
 *
 * Variants: new iproute2 prints `Total: 9` and `TCP: 1 (estab 0, closed 0, orphaned 0,
 * timewait 0)`; old iproute2 adds `(kernel N)`, `synrecv`, `timewait A/B` and `, ports N`,
 * and a `*` row (all sockets the kernel knows) in the transport table, keyed `all` here.
 * Rows are separated by tabs or blanks.
 *
 * Counts, not rates: `timewait` is the TIME-WAIT sockets now, `orphaned` the sockets no
 * longer held by any process (limited by net.ipv4.tcp_max_orphans), `closed` the TCP
 * sockets that are not in the hash tables (closed or not yet bound).
 *
 * Source: ss(8) and iproute2 `misc/ss.c` (print_summary), values from /proc/net/sockstat.
 */
export interface SsSummaryFacts {
  /** `Total:`: all sockets of the system (sockstat's "sockets: used"). */
  total?: number;
  /** `(kernel N)` of old iproute2. */
  kernel?: number;
  tcp?: {
    total?: number;
    estab?: number;
    closed?: number;
    orphaned?: number;
    synrecv?: number;
    timewait?: number;
    /** Second number of old `timewait A/B`. */
    timewait_buckets?: number;
    ports?: number;
  };
  /** The transport table, keyed by lowercase transport: `raw`, `udp`, `tcp`, `inet`, `frag`, `all`. */
  transport: Record<string, SsTransportRow>;
}

function count(token: string | undefined): number | undefined {
  return token !== undefined && /^\d+$/.test(token) ? Number(token) : undefined;
}

/**
 * Parses `ss -s` (see {@link SsSummaryFacts}).
 * @throws UnrecognisedOutputError when no `Total:`, `TCP:` or transport line was found.
 */
export function parseSsSummary(lines: Iterable<string>): ParseResult<SsSummaryFacts> {
  const problems = new ProblemLog();
  const facts: Omit<SsSummaryFacts, "transport"> = {};
  const transport: SsSummaryFacts["transport"] = {};
  let found = false;
  let inTable = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    let m = /^Total:\s*(\d+)(?:\s*\(kernel\s+(\d+)\))?/.exec(trimmed);
    if (m) {
      facts.total = Number(m[1]);
      if (m[2] !== undefined) facts.kernel = Number(m[2]);
      found = true;
      continue;
    }
    m = /^TCP:\s*(\d+)\s*\(([^)]*)\)(?:,\s*ports\s+(\d+))?/.exec(trimmed);
    if (m) {
      const tcp: NonNullable<SsSummaryFacts["tcp"]> = { total: Number(m[1]) };
      for (const part of m[2].split(",")) {
        const kv = /^\s*([a-z]+)\s+(\d+)(?:\/(\d+))?\s*$/.exec(part);
        if (!kv) continue;
        const key = kv[1] as keyof typeof tcp;
        if (["estab", "closed", "orphaned", "synrecv", "timewait"].includes(key)) {
          tcp[key] = Number(kv[2]);
        }
        if (key === "timewait" && kv[3] !== undefined) tcp.timewait_buckets = Number(kv[3]);
      }
      if (m[3] !== undefined) tcp.ports = Number(m[3]);
      facts.tcp = tcp;
      found = true;
      continue;
    }
    if (/^Transport\s+Total\b/.test(trimmed)) {
      inTable = true;
      found = true;
      continue;
    }
    const t = fields(trimmed);
    if (
      inTable &&
      t.length >= 2 &&
      /^(\*|[A-Z][A-Z0-9]*)$/.test(t[0]) &&
      count(t[1]) !== undefined
    ) {
      const row: SsTransportRow = { total: count(t[1]) };
      const ip = count(t[2]);
      const ipv6 = count(t[3]);
      if (ip !== undefined) row.ip = ip;
      if (ipv6 !== undefined) row.ipv6 = ipv6;
      transport[t[0] === "*" ? "all" : t[0].toLowerCase()] = row;
      continue;
    }
    problems.add(n, line, "not an ss -s line");
  }
  if (!found) throw new UnrecognisedOutputError("ss-summary");
  return { facts: { ...facts, transport }, problems: problems.list() };
}
