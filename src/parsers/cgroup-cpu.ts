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
 * CPU bandwidth (CFS quota) and throttling of one cgroup. Counters are since the cgroup was
 * created; time is in microseconds whatever the file used (v1 `throttled_time` and
 * `burst_time` are nanoseconds and are divided by 1000).
 *
 * | fact | v2 (`cpu.stat`, `cpu.max`) | v1 (`cpu.stat`, `cpu.cfs_*`) |
 * |---|---|---|
 * | usage_us, user_us, system_us | usage_usec, user_usec, system_usec | — (cpuacct) |
 * | nr_periods, nr_throttled | same | same |
 * | throttled_us | throttled_usec | throttled_time / 1000 |
 * | nr_bursts, burst_us | nr_bursts, burst_usec | nr_bursts, burst_time / 1000 |
 * | local_throttled_us | `cpu.stat.local` throttled_usec (6.8+) | `cpu.stat.local` throttled_time / 1000 |
 * | quota_us, period_us | `cpu.max` (`max 100000` → quota null) | cpu.cfs_quota_us (-1 → null), cpu.cfs_period_us |
 *
 * Other `cpu.stat` keys are kept with `_usec` → `_us` and `.` → `_`
 * (`core_sched.force_idle_usec` → `core_sched_force_idle_us`).
 */
export interface CgroupCpuRow {
  /** The cgroup directory as printed (`/sys/fs/cgroup/system.slice/docker-1c8f.scope`); "" unmarked. */
  path: string;
  /** The cgroup without its mount point (`/system.slice/docker-1c8f.scope`); null when unknown. */
  cgroup: string | null;
  /** 1 or 2, from the files and keys seen, else from the path; null when nothing tells. */
  version: 1 | 2 | null;
  usage_us?: number;
  user_us?: number;
  system_us?: number;
  nr_periods?: number;
  nr_throttled?: number;
  throttled_us?: number;
  nr_bursts?: number;
  burst_us?: number;
  local_throttled_us?: number;
  /** CFS quota per period, µs; null = no quota (`max`, `-1`); absent = not read. */
  quota_us?: number | null;
  period_us?: number;
  /** quota / period: the CPUs the cgroup may use; null = no quota; absent = not read. */
  quota_cpus?: number | null;
  /** nr_throttled / nr_periods × 100 since creation (absent when nr_periods is 0). */
  throttled_pct?: number;
  [key: string]: unknown;
}

/**
 * Facts of `cgroup-cpu`: one row per cgroup directory, from `cpu.stat` plus the quota files,
 * each printed under `==> path <==` by the collector's hierarchy walk:
 *
 * ```
 * ==> /sys/fs/cgroup/system.slice/docker-1c8f.scope/cpu.stat <==
 * usage_usec 26772130245
 * nr_periods 769021
 * nr_throttled 1046
 * throttled_usec 352597023
 * ==> /sys/fs/cgroup/system.slice/docker-1c8f.scope/cpu.max <==
 * 50000 100000
 * ```
 * Yields: `rows[0].cgroup = "/system.slice/docker-1c8f.scope"`, `rows[0].nr_throttled = 1046`.
 * Yields: `rows[0].quota_cpus = 0.5`, `throttled_cgroups = 1`.
 *
 * An unmarked paste of one `cpu.stat` gives one row with path "". Versions: v2 (unified),
 * v1 (`cpu` / `cpu,cpuacct` hierarchy; kernels before 5.x lack `nr_bursts`), the hybrid
 * layout's `unified/` tree (a `cpu.stat` with usage only, no throttling keys).
 *
 * Source: kernel Documentation/admin-guide/cgroup-v2.rst (cpu.stat, cpu.max) and
 * Documentation/scheduler/sched-bwc.rst (CFS bandwidth control, v1 files).
 */
export interface CgroupCpuFacts {
  /** Hierarchies the walk visited (its `==> /sys/fs/cgroup/…/ <==` root markers); empty for a paste. */
  hierarchies: CgroupHierarchy[];
  rows: CgroupCpuRow[];
  /** Rows with nr_throttled > 0. */
  throttled_cgroups: number;
  /** The row with the highest throttled_pct (since creation). */
  worst?: CgroupCpuRow;
}

function statKey(key: string): { key: string; scale: number } {
  if (key === "throttled_time" || key === "burst_time")
    return { key: key.replace(/_time$/, "_us"), scale: 1e-3 };
  if (key === "usage_usec" || key === "user_usec" || key === "system_usec") {
    return { key: key.replace(/_usec$/, "_us"), scale: 1 };
  }
  return { key: key.replace(/\./g, "_").replace(/_usec$/, "_us"), scale: 1 };
}

/**
 * Parses cgroup `cpu.stat` / `cpu.max` / `cpu.cfs_quota_us` / `cpu.cfs_period_us` output
 * (see {@link CgroupCpuFacts}). Throws UnrecognisedOutputError when no file of these was
 * read.
 */
export function parseCgroupCpu(lines: Iterable<string>): ParseResult<CgroupCpuFacts> {
  const {
    rows: all,
    hierarchies,
    problems,
  } = readCgroupFiles<CgroupCpuRow>(
    lines,
    "cgroup-cpu",
    "no cpu.stat or CPU quota file was found",
    readFile,
  );
  let worst: CgroupCpuRow | undefined;
  let throttled = 0;
  for (const row of all) {
    if (row.quota_us !== undefined && row.period_us !== undefined) {
      row.quota_cpus = row.quota_us === null ? null : round(row.quota_us / row.period_us, 4);
    } else if (row.quota_us === null) {
      row.quota_cpus = null;
    }
    if (row.nr_periods !== undefined && row.nr_periods > 0 && row.nr_throttled !== undefined) {
      row.throttled_pct = round((row.nr_throttled / row.nr_periods) * 100, 2);
      if (!worst || row.throttled_pct > (worst.throttled_pct ?? -1)) worst = row;
    }
    if ((row.nr_throttled ?? 0) > 0) throttled++;
  }
  const facts: CgroupCpuFacts = { hierarchies, rows: all, throttled_cgroups: throttled };
  if (worst) facts.worst = worst;
  return { facts, problems: problems.list() };
}

/** Reads one file into its row; false when the file is not one of this parser's. */
function readFile(f: CgroupFile, rows: RowsByDir<CgroupCpuRow>, problems: ProblemLog): boolean {
  switch (f.file) {
    case "":
    case "cpu.stat":
    case "cpu.stat.local": {
      const kvs = keyValues(f, problems);
      if (kvs.length === 0) return false;
      const row = rows.get(f.dir);
      for (const [k, v] of kvs) {
        if (k === "throttled_time" || k === "burst_time") row.version = 1;
        if (k.endsWith("_usec")) row.version = 2;
        if (f.file === "cpu.stat.local" && (k === "throttled_usec" || k === "throttled_time")) {
          row.local_throttled_us = k === "throttled_time" ? Math.round(v / 1000) : v;
          continue;
        }
        const { key, scale } = statKey(k);
        row[key] = scale === 1 ? v : Math.round(v * scale);
      }
      return true;
    }
    case "cpu.max": {
      const v = singleValue(f, problems);
      const m = v === undefined ? null : /^(max|\d+)\s+(\d+)$/.exec(v);
      if (!m) {
        if (v !== undefined) problems.add(f.firstLine, v, "cpu.max is not `max|QUOTA PERIOD`");
        return false;
      }
      const row = rows.get(f.dir);
      row.version = 2;
      row.quota_us = m[1] === "max" ? null : Number(m[1]);
      row.period_us = Number(m[2]);
      return true;
    }
    case "cpu.cfs_quota_us":
    case "cpu.cfs_period_us": {
      const v = singleValue(f, problems);
      if (v === undefined || !/^-?\d+$/.test(v)) {
        if (v !== undefined) problems.add(f.firstLine, v, `${f.file} is not a number`);
        return false;
      }
      const row = rows.get(f.dir);
      row.version = 1;
      if (f.file === "cpu.cfs_period_us") row.period_us = Number(v);
      else row.quota_us = Number(v) < 0 ? null : Number(v);
      return true;
    }
    default:
      return notReadFile(f, "cgroup-cpu", problems);
  }
}

function round(v: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}

/** One cgroup's throttling over a window. */
export interface CgroupCpuDeltaRow {
  path: string;
  cgroup: string | null;
  quota_cpus?: number | null;
  nr_periods: number;
  nr_throttled: number;
  throttled_us: number;
  /** nr_throttled / nr_periods × 100 over the window (absent when no period ran). */
  throttled_pct?: number;
  /** CPUs used on average over the window (usage_us / window), when `seconds` is given. */
  usage_cpus?: number;
}

export interface CgroupCpuDelta {
  rows: CgroupCpuDeltaRow[];
  /** The row with the highest throttled_pct over the window. */
  worst?: CgroupCpuDeltaRow;
}

/**
 * Throttling over the window between two readings of `cgroup-cpu`, per cgroup present in
 * both (matched by path). A counter that went down (the cgroup was recreated) drops that
 * row. `seconds` (optional, > 0) adds `usage_cpus`.
 */
export function cgroupCpuDelta(
  start: CgroupCpuFacts,
  end: CgroupCpuFacts,
  seconds?: number,
): CgroupCpuDelta {
  const before = new Map(start.rows.map((r) => [r.path, r]));
  const out: CgroupCpuDelta = { rows: [] };
  for (const e of end.rows) {
    const s = before.get(e.path);
    if (!s || e.nr_periods === undefined || s.nr_periods === undefined) continue;
    const d = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? 0 : b - a;
    const periods = d(s.nr_periods, e.nr_periods);
    const thr = d(s.nr_throttled, e.nr_throttled);
    const thrUs = d(s.throttled_us, e.throttled_us);
    if (periods < 0 || thr < 0 || thrUs < 0) continue;
    const row: CgroupCpuDeltaRow = {
      path: e.path,
      cgroup: e.cgroup,
      nr_periods: periods,
      nr_throttled: thr,
      throttled_us: thrUs,
    };
    if (e.quota_cpus !== undefined) row.quota_cpus = e.quota_cpus;
    if (periods > 0) row.throttled_pct = round((thr / periods) * 100, 2);
    if (seconds && seconds > 0 && e.usage_us !== undefined && s.usage_us !== undefined) {
      const du = e.usage_us - s.usage_us;
      if (du >= 0) row.usage_cpus = round(du / (seconds * 1e6), 3);
    }
    out.rows.push(row);
    if (
      row.throttled_pct !== undefined &&
      (!out.worst || row.throttled_pct > (out.worst.throttled_pct ?? -1))
    ) {
      out.worst = row;
    }
  }
  return out;
}
