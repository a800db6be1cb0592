import {
  type CgroupFile,
  type CgroupHierarchy,
  keyValues,
  notReadFile,
  type RowsByDir,
  readCgroupFiles,
  singleValue,
} from "./cgroup-files.js";
import type { ProblemLog } from "./lines.js";
import type { ParseResult } from "./types.js";

/**
 * The pids controller of one cgroup (same file names in v1 and v2):
 * `pids.max` (`max` → null), `pids.current`, `pids.peak` (6.1+), `pids.events`
 * (`max N`: forks refused because this cgroup, or an ancestor, was at its limit; newer
 * kernels add `max.imposed`), `pids.events.local`.
 */
export interface CgroupPidsRow {
  /** The cgroup directory as printed; "" for an unmarked paste. */
  path: string;
  /** The cgroup without its mount point; null when unknown. */
  cgroup: string | null;
  /** From the path only (the files are the same in both versions); null when unknown. */
  version: 1 | 2 | null;
  /** Tasks (threads) in the cgroup now. */
  current?: number;
  /** Limit on tasks; null = `max` (no limit). */
  max?: number | null;
  peak?: number;
  /** pids.events `max`: fork()/clone() calls refused at the limit. */
  events_max?: number;
  /** Every pids.events key (`max`, `max.imposed`). */
  events?: Record<string, number>;
  events_local?: Record<string, number>;
  /** current / max × 100, when there is a limit. */
  usage_pct?: number;
}

/**
 * Facts of `cgroup-pids`: one row per cgroup directory, from the files its hierarchy walk
 * prints under `==> path <==` markers:
 *
 * ```
 * ==> /sys/fs/cgroup/system.slice/docker.service/pids.max <==
 * 4915
 * ==> /sys/fs/cgroup/system.slice/docker.service/pids.current <==
 * 4915
 * ==> /sys/fs/cgroup/system.slice/docker.service/pids.events <==
 * max 1630
 * ```
 * Yields: `rows[0].max = 4915`, `rows[0].current = 4915`, `rows[0].events_max = 1630`.
 * Yields: `at_limit_cgroups = 1`.
 *
 * Unmarked: a `max N` line is read as pids.events; lone values cannot be told apart and are
 * recorded as problems.
 *
 * Source: kernel Documentation/admin-guide/cgroup-v2.rst (PID controller) and
 * admin-guide/cgroup-v1/pids.rst.
 */
export interface CgroupPidsFacts {
  /** Hierarchies the walk visited (its `==> /sys/fs/cgroup/…/ <==` root markers); empty for a paste. */
  hierarchies: CgroupHierarchy[];
  rows: CgroupPidsRow[];
  /** Rows with current ≥ max or events_max > 0. */
  at_limit_cgroups: number;
  /** The row with the highest usage_pct. */
  worst?: CgroupPidsRow;
}

/**
 * Parses cgroup pids control files (see {@link CgroupPidsFacts}). Throws
 * UnrecognisedOutputError when no file of these was read.
 */
export function parseCgroupPids(lines: Iterable<string>): ParseResult<CgroupPidsFacts> {
  const {
    rows: all,
    hierarchies,
    problems,
  } = readCgroupFiles<CgroupPidsRow>(
    lines,
    "cgroup-pids",
    "no cgroup pids control file was found",
    readFile,
  );
  let worst: CgroupPidsRow | undefined;
  let atLimit = 0;
  for (const row of all) {
    if (row.current !== undefined && row.max) {
      row.usage_pct = Math.round((row.current / row.max) * 10000) / 100;
      if (!worst || row.usage_pct > (worst.usage_pct ?? -1)) worst = row;
    }
    const full = row.current !== undefined && row.max != null && row.current >= row.max;
    if (full || (row.events_max ?? 0) > 0) atLimit++;
  }
  const facts: CgroupPidsFacts = { hierarchies, rows: all, at_limit_cgroups: atLimit };
  if (worst) facts.worst = worst;
  return { facts, problems: problems.list() };
}

function readFile(f: CgroupFile, rows: RowsByDir<CgroupPidsRow>, problems: ProblemLog): boolean {
  switch (f.file) {
    case "":
    case "pids.events":
    case "pids.events.local": {
      if (f.file === "" && !f.lines.some((l) => /^\s*max\s+\d+\s*$/.test(l))) {
        f.lines.forEach((line, i) => {
          if (line.trim() !== "")
            problems.add(f.firstLine + i, line, "not a pids.events line (unmarked value)");
        });
        return false;
      }
      const kvs = keyValues(f, problems);
      if (kvs.length === 0) return false;
      const row = rows.get(f.dir);
      const map = Object.fromEntries(kvs.map(([k, v]) => [k, v]));
      if (f.file === "pids.events.local") row.events_local = map;
      else {
        row.events = map;
        if (map.max !== undefined) row.events_max = map.max;
      }
      return true;
    }
    case "pids.max":
    case "pids.current":
    case "pids.peak": {
      const v = singleValue(f, problems);
      if (v === undefined) return false;
      if (!/^\d+$/.test(v) && !(f.file === "pids.max" && v === "max")) {
        problems.add(f.firstLine, v, `${f.file} is not a number`);
        return false;
      }
      const row = rows.get(f.dir);
      if (f.file === "pids.max") row.max = v === "max" ? null : Number(v);
      else if (f.file === "pids.current") row.current = Number(v);
      else row.peak = Number(v);
      return true;
    }
    default:
      return notReadFile(f, "cgroup-pids", problems);
  }
}
