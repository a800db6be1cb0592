import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Virtual-memory event counters, from `cat /proc/vmstat`: one `name value` pair a line,
 * every value a count since boot (pages or events).
 *
 * ```
 * nr_free_pages 3110291
 * pgscan_direct 0
 * allocstall_normal 0
 * oom_kill 2
 * ```
 * Yields: `oom_kill = 2`, `pgscan_direct = 0`, `counters.nr_free_pages = 3110291`.
 *
 * `counters` holds every pair as printed. The counters that explain memory incidents are
 * also named: direct reclaim (`pgscan_direct`, `allocstall*` summed), kswapd scanning, swap
 * traffic (`pswpin`, `pswpout`, pages) and `oom_kill` (Linux 4.13+).
 *
 * Source: kernel mm/vmstat.c (vmstat_text); Documentation/admin-guide/mm/concepts.rst.
 */
export interface ProcVmstatFacts {
  counters: Record<string, number>;
  /** Sum of `allocstall_*` (or `allocstall` before Linux 4.8): direct reclaim entries. */
  allocstall?: number;
  pgscan_direct?: number;
  pgscan_kswapd?: number;
  pswpin?: number;
  pswpout?: number;
  oom_kill?: number;
}

const PAIR = /^\s*([a-z][a-z0-9_]*)\s+(-?\d+)\s*$/;

/** Parses `/proc/vmstat` (see {@link ProcVmstatFacts}). Throws when no pair was found. */
export function parseProcVmstat(lines: Iterable<string>): ParseResult<ProcVmstatFacts> {
  const problems = new ProblemLog();
  const counters: Record<string, number> = {};
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const m = PAIR.exec(line);
    if (m) counters[m[1]] = Number(m[2]);
    else problems.add(n, line, "not a /proc/vmstat `name value` line");
  }
  if (Object.keys(counters).length === 0)
    throw new UnrecognisedOutputError("proc-vmstat", "no `name value` counter line was found");
  const facts: ProcVmstatFacts = { counters };
  const stalls = Object.entries(counters).filter(([k]) => /^allocstall(?:_\w+)?$/.test(k));
  if (stalls.length > 0) facts.allocstall = stalls.reduce((s, [, v]) => s + v, 0);
  for (const k of ["pgscan_direct", "pgscan_kswapd", "pswpin", "pswpout", "oom_kill"] as const) {
    if (counters[k] !== undefined) facts[k] = counters[k];
  }
  return { facts, problems: problems.list() };
}
