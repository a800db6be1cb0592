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
 * Memory limit, usage and OOM events of one cgroup. Both versions fill the same names where
 * the kernel has an equivalent:
 *
 * | fact | v2 file | v1 file |
 * |---|---|---|
 * | usage_bytes | memory.current | memory.usage_in_bytes |
 * | limit_bytes (null = no limit) | memory.max (`max`) | memory.limit_in_bytes (≥ 2^62 = none) |
 * | max_usage_bytes | memory.peak (5.19+) | memory.max_usage_in_bytes |
 * | high_bytes (null = `max`) | memory.high | — |
 * | events | memory.events (low high max oom oom_kill oom_group_kill [sock_throttled]) | — |
 * | events_local | memory.events.local | — |
 * | failcnt | — | memory.failcnt (times usage hit the limit) |
 * | oom_kill_disable, under_oom | — | memory.oom_control |
 * | oom_kill | events.oom_kill | memory.oom_control `oom_kill` (4.13+) |
 * | stat | memory.stat (every key, bytes or counts) | memory.stat |
 *
 * v2 `memory.events` counts include descendants (`.local` does not), so a parent shows its
 * children's kills too.
 */
export interface CgroupMemoryRow {
  /** The cgroup directory as printed; "" for an unmarked paste. */
  path: string;
  /** The cgroup without its mount point; null when unknown. */
  cgroup: string | null;
  version: 1 | 2 | null;
  usage_bytes?: number;
  limit_bytes?: number | null;
  max_usage_bytes?: number;
  high_bytes?: number | null;
  /** usage / limit × 100, when there is a limit. */
  usage_pct?: number;
  failcnt?: number;
  oom_kill_disable?: number;
  under_oom?: number;
  /** OOM kills in this cgroup (v2: including descendants). */
  oom_kill?: number;
  events?: Record<string, number>;
  events_local?: Record<string, number>;
  stat?: Record<string, number>;
}

/**
 * Facts of `cgroup-memory`: one row per cgroup directory, from the files its hierarchy walk
 * prints under `==> path <==` markers:
 *
 * ```
 * ==> /sys/fs/cgroup/system.slice/app.service/memory.events <==
 * low 0
 * high 0
 * max 12
 * oom 2
 * oom_kill 2
 * oom_group_kill 0
 * ==> /sys/fs/cgroup/system.slice/app.service/memory.max <==
 * 536870912
 * ```
 * Yields: `rows[0].cgroup = "/system.slice/app.service"`, `rows[0].oom_kill = 2`.
 * Yields: `rows[0].limit_bytes = 536870912`, `oom_killed_cgroups = 1`.
 *
 * An unmarked paste is classified by its keys: `oom_kill_disable`/`under_oom` → oom_control,
 * only event keys → memory.events, anything else → memory.stat. Unmarked single values
 * cannot be told apart and are recorded as problems.
 *
 * Source: kernel Documentation/admin-guide/cgroup-v2.rst (memory.events, memory.max,
 * memory.current, memory.peak, memory.stat) and admin-guide/cgroup-v1/memory.rst.
 */
export interface CgroupMemoryFacts {
  /** Hierarchies the walk visited (its `==> /sys/fs/cgroup/…/ <==` root markers); empty for a paste. */
  hierarchies: CgroupHierarchy[];
  rows: CgroupMemoryRow[];
  /** Rows with oom_kill > 0. */
  oom_killed_cgroups: number;
  /**
   * The row with the most OOM kills; on a tie the deepest path (v2 parents count their
   * children's kills, so the deepest is where they happened).
   */
  worst_oom?: CgroupMemoryRow;
  /** The row with the highest usage_pct (usage against its own limit). */
  worst_usage?: CgroupMemoryRow;
}

const EVENT_KEYS = new Set([
  "low",
  "high",
  "max",
  "oom",
  "oom_kill",
  "oom_group_kill",
  "sock_throttled",
]);

/** v1 reports "no limit" as PAGE_COUNTER_MAX pages in bytes (9223372036854771712 on 4 KiB pages). */
const V1_UNLIMITED = 2 ** 62;

/**
 * Parses cgroup memory control files (see {@link CgroupMemoryFacts}). Throws
 * UnrecognisedOutputError when no file of these was read.
 */
export function parseCgroupMemory(lines: Iterable<string>): ParseResult<CgroupMemoryFacts> {
  const {
    rows: all,
    hierarchies,
    problems,
  } = readCgroupFiles<CgroupMemoryRow>(
    lines,
    "cgroup-memory",
    "no cgroup memory control file was found",
    readFile,
  );
  let oomKilled = 0;
  let worstOom: CgroupMemoryRow | undefined;
  let worstUsage: CgroupMemoryRow | undefined;
  for (const row of all) {
    if (row.usage_bytes !== undefined && row.limit_bytes) {
      row.usage_pct = Math.round((row.usage_bytes / row.limit_bytes) * 10000) / 100;
      if (!worstUsage || row.usage_pct > (worstUsage.usage_pct ?? -1)) worstUsage = row;
    }
    const kills = row.oom_kill ?? 0;
    if (kills > 0) {
      oomKilled++;
      const best = worstOom?.oom_kill ?? 0;
      if (!worstOom || kills > best || (kills === best && depth(row.path) > depth(worstOom.path))) {
        worstOom = row;
      }
    }
  }
  const facts: CgroupMemoryFacts = { hierarchies, rows: all, oom_killed_cgroups: oomKilled };
  if (worstOom) facts.worst_oom = worstOom;
  if (worstUsage) facts.worst_usage = worstUsage;
  return { facts, problems: problems.list() };
}

function depth(path: string): number {
  return path.split("/").length;
}

/** `max` → null; a number; undefined (a problem) otherwise. */
function bytesOrMax(f: CgroupFile, v: string, problems: ProblemLog): number | null | undefined {
  if (v === "max") return null;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n >= V1_UNLIMITED ? null : n;
  }
  problems.add(f.firstLine, v, `${f.file} is not a number or \`max\``);
  return undefined;
}

/** Reads one file into its row; false when the file is not one of this parser's. */
function readFile(f: CgroupFile, rows: RowsByDir<CgroupMemoryRow>, problems: ProblemLog): boolean {
  switch (f.file) {
    case "":
    case "memory.events":
    case "memory.events.local":
    case "memory.oom_control":
    case "memory.stat": {
      const kvs = keyValues(f, problems);
      if (kvs.length === 0) return false;
      let kind = f.file;
      if (kind === "") {
        const keys = kvs.map(([k]) => k);
        if (keys.includes("oom_kill_disable") || keys.includes("under_oom"))
          kind = "memory.oom_control";
        else if (keys.every((k) => EVENT_KEYS.has(k))) kind = "memory.events";
        else kind = "memory.stat";
      }
      const row = rows.get(f.dir);
      const map = Object.fromEntries(kvs.map(([k, v]) => [k, v]));
      if (kind === "memory.events") {
        row.version = 2;
        row.events = map;
        if (map.oom_kill !== undefined) row.oom_kill = map.oom_kill;
      } else if (kind === "memory.events.local") {
        row.version = 2;
        row.events_local = map;
      } else if (kind === "memory.oom_control") {
        row.version = 1;
        if (map.oom_kill_disable !== undefined) row.oom_kill_disable = map.oom_kill_disable;
        if (map.under_oom !== undefined) row.under_oom = map.under_oom;
        if (map.oom_kill !== undefined) row.oom_kill = map.oom_kill;
      } else {
        row.stat = map;
      }
      return true;
    }
    case "memory.max":
    case "memory.high":
    case "memory.limit_in_bytes": {
      const v = singleValue(f, problems);
      const b = v === undefined ? undefined : bytesOrMax(f, v, problems);
      if (b === undefined) return false;
      const row = rows.get(f.dir);
      row.version = f.file === "memory.limit_in_bytes" ? 1 : 2;
      if (f.file === "memory.high") row.high_bytes = b;
      else row.limit_bytes = b;
      return true;
    }
    case "memory.current":
    case "memory.peak":
    case "memory.usage_in_bytes":
    case "memory.max_usage_in_bytes":
    case "memory.failcnt": {
      const v = singleValue(f, problems);
      if (v === undefined) return false;
      if (!/^\d+$/.test(v)) {
        problems.add(f.firstLine, v, `${f.file} is not a number`);
        return false;
      }
      const row = rows.get(f.dir);
      const n = Number(v);
      if (f.file === "memory.current" || f.file === "memory.peak") row.version = 2;
      else row.version = 1;
      if (f.file === "memory.current" || f.file === "memory.usage_in_bytes") row.usage_bytes = n;
      else if (f.file === "memory.failcnt") row.failcnt = n;
      else row.max_usage_bytes = n;
      return true;
    }
    default:
      return notReadFile(f, "cgroup-memory", problems);
  }
}
