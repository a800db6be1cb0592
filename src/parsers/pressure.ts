import { cgroupOf } from "./cgroup-files.js";
import { num, ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Stall averages and totals of one PSI file (system-wide or one cgroup's). `some`: share of
 * wall time in which at least one task was stalled on the resource; `full`: share in which
 * all non-idle tasks were stalled at once (absent from `cpu` before Linux 5.13, and
 * system-wide `cpu` `full` is always 0). avg* are percentages over 10 s, 60 s and 300 s;
 * total_us is the stall time in microseconds since boot (or cgroup creation), a counter that
 * only grows.
 */
export interface PsiValues {
  some_avg10?: number;
  some_avg60?: number;
  some_avg300?: number;
  some_total_us?: number;
  full_avg10?: number;
  full_avg60?: number;
  full_avg300?: number;
  full_total_us?: number;
}

/** One PSI file: where it came from and its values. */
export interface PsiRow extends PsiValues {
  /** File path from the `==> path <==` marker; "" for an unmarked paste. */
  path: string;
  /** `cpu`, `memory`, `io` or `irq`, from the file name; null when unknown. */
  resource: string | null;
  /**
   * For `<resource>.pressure` files: the cgroup without its mount point (`/system.slice`,
   * `/` for the root; the directory itself when it is not under /sys/fs/cgroup); null for
   * system-wide files.
   */
  cgroup: string | null;
}

/**
 * Facts of the PSI collectors `pressure-cpu`, `pressure-memory`, `pressure-io`
 * (`cat /proc/pressure/<resource>`), also of per-cgroup `<resource>.pressure` files:
 *
 * ```
 * some avg10=0.18 avg60=0.34 avg300=0.10 total=159886802
 * full avg10=0.18 avg60=0.34 avg300=0.10 total=159229614
 * ```
 * Yields: `some_avg10 = 0.18`, `some_avg60 = 0.34`, `some_total_us = 159886802`.
 * Yields: `full_total_us = 159229614`.
 *
 * The top-level `some_*` / `full_*` are the first system-wide file's (`/proc/pressure/*`,
 * or an unmarked paste); `system` lists every system-wide file (a paste may hold all three
 * resources), `cgroups` every `==> /sys/fs/cgroup/…/<resource>.pressure <==` section.
 * The legacy pre-upstream format of early Facebook kernels (`aggr N`, `some 1.11 2.22 3.33`)
 * gives the averages only; its extra rows are recorded as problems.
 *
 * Source: kernel Documentation/accounting/psi.rst.
 */
export interface PressureFacts extends PsiValues {
  /** Resource of the top-level values, when known from the path. */
  resource?: string;
  system: PsiRow[];
  cgroups: PsiRow[];
}

const LINE = /^\s*(some|full)\s+avg10=(\S+)\s+avg60=(\S+)\s+avg300=(\S+)\s+total=(\d+)\s*$/;
const LEGACY = /^\s*(some|full)\s+(\d+[.,]\d+)\s+(\d+[.,]\d+)\s+(\d+[.,]\d+)\s*$/;

function resourceOf(path: string): string | null {
  const m = /(?:^|\/)(?:pressure\/)?(cpu|memory|io|irq)(?:\.pressure)?$/.exec(path);
  return m ? m[1] : null;
}

function cgroupOfFile(path: string): string {
  const dir = path.replace(/\/[^/]*$/, "") || "/";
  return cgroupOf(dir) ?? dir;
}

/**
 * Parses PSI output (see {@link PressureFacts}). Throws UnrecognisedOutputError when no
 * `some`/`full` line was found.
 */
export function parsePressure(lines: Iterable<string>): ParseResult<PressureFacts> {
  const problems = new ProblemLog();
  const system: PsiRow[] = [];
  const cgroups: PsiRow[] = [];
  let found = false;
  for (const section of sectionsOf(lines)) {
    const isCgroup = /\.pressure$/.test(section.path);
    const row: PsiRow = {
      path: section.path,
      resource: resourceOf(section.path),
      cgroup: isCgroup ? cgroupOfFile(section.path) : null,
    };
    let seen = false;
    section.lines.forEach((line, i) => {
      const n = section.firstLine + i;
      if (line.trim() === "") return;
      let m = LINE.exec(line);
      if (m) {
        const kind = m[1] as "some" | "full";
        const [a10, a60, a300] = [num(m[2]), num(m[3]), num(m[4])];
        if (a10 === undefined || a60 === undefined || a300 === undefined) {
          problems.add(n, line, "PSI averages are not numbers");
          return;
        }
        row[`${kind}_avg10`] = a10;
        row[`${kind}_avg60`] = a60;
        row[`${kind}_avg300`] = a300;
        row[`${kind}_total_us`] = Number(m[5]);
        seen = true;
        return;
      }
      m = LEGACY.exec(line);
      if (m) {
        const kind = m[1] as "some" | "full";
        row[`${kind}_avg10`] = num(m[2]);
        row[`${kind}_avg60`] = num(m[3]);
        row[`${kind}_avg300`] = num(m[4]);
        seen = true;
        return;
      }
      if (/^\s*aggr\s+\d+\s*$/.test(line) || /^\s*\d+(\s+\d+)*\s*$/.test(line)) {
        problems.add(n, line, "legacy pre-upstream PSI row (not read)");
        return;
      }
      problems.add(n, line, "not a PSI `some`/`full` line");
    });
    if (!seen) continue;
    found = true;
    (isCgroup ? cgroups : system).push(row);
  }
  if (!found) throw new UnrecognisedOutputError("pressure", "no PSI `some`/`full` line was found");
  const facts: PressureFacts = { system, cgroups };
  const top = system[0];
  if (top) {
    if (top.resource) facts.resource = top.resource;
    for (const k of VALUE_KEYS) if (top[k] !== undefined) facts[k] = top[k];
  }
  return { facts: reorder(facts), problems: problems.list() };
}

const VALUE_KEYS = [
  "some_avg10",
  "some_avg60",
  "some_avg300",
  "some_total_us",
  "full_avg10",
  "full_avg60",
  "full_avg300",
  "full_total_us",
] as const;

/** Values first, then the lists, so a reader sees the headline numbers first. */
function reorder(f: PressureFacts): PressureFacts {
  const { system, cgroups, ...head } = f;
  return { ...head, system, cgroups };
}

/** Stall shares over a window, from two readings of the `total` counters. */
export interface PressureDelta {
  /** Share of the window with some task stalled, % (0..100). */
  some_pct?: number;
  /** Share of the window with all non-idle tasks stalled, %. */
  full_pct?: number;
  /** The same per cgroup present in both readings (matched by path). */
  cgroups: { path: string; cgroup: string | null; some_pct?: number; full_pct?: number }[];
}

/**
 * Stall percentage over a window of `seconds` between two readings:
 * (end.total − start.total) µs / (seconds × 10^6) × 100. A counter that went down (a reset,
 * a different cgroup) gives no value. Throws RangeError when `seconds` is not positive.
 */
export function pressureDelta(
  start: PressureFacts,
  end: PressureFacts,
  seconds: number,
): PressureDelta {
  if (!(seconds > 0))
    throw new RangeError(`pressureDelta: window must be positive, got ${seconds}`);
  const pct = (a: number | undefined, b: number | undefined): number | undefined => {
    if (a === undefined || b === undefined || b < a) return undefined;
    return Math.min(100, Math.round(((b - a) / (seconds * 1e6)) * 100 * 100) / 100);
  };
  const out: PressureDelta = { cgroups: [] };
  const s = pct(start.some_total_us, end.some_total_us);
  const f = pct(start.full_total_us, end.full_total_us);
  if (s !== undefined) out.some_pct = s;
  if (f !== undefined) out.full_pct = f;
  const before = new Map(start.cgroups.map((r) => [r.path, r]));
  for (const r of end.cgroups) {
    const b = before.get(r.path);
    if (!b) continue;
    const row: PressureDelta["cgroups"][number] = { path: r.path, cgroup: r.cgroup };
    const cs = pct(b.some_total_us, r.some_total_us);
    const cf = pct(b.full_total_us, r.full_total_us);
    if (cs !== undefined) row.some_pct = cs;
    if (cf !== undefined) row.full_pct = cf;
    out.cgroups.push(row);
  }
  return out;
}
