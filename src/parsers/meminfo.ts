import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts from `/proc/meminfo`: every key, named in snake_case with its unit. A value printed
 * with `kB` (which the kernel means as KiB) gets `_kb`; the `HugePages_*` counts and other
 * unit-less values keep the bare name.
 *
 * Command (collector): `cat /proc/meminfo`. Sample:
 * ```
 * MemTotal:        3742148 kB
 * MemAvailable:    1234567 kB
 * Active(anon):    2020004 kB
 * HugePages_Total:       0
 * ```
 * Yields: `mem_total_kb = 3742148`, `mem_available_kb = 1234567`, `mem_available_pct = 32.99`.
 * Names: `MemTotal` → `mem_total_kb`, `Active(anon)` → `active_anon_kb`, `SReclaimable` →
 * `s_reclaimable_kb`, `NFS_Unstable` → `nfs_unstable_kb`, `Committed_AS` →
 * `committed_as_kb`, `DirectMap2M` → `direct_map2m_kb`, `HugePages_Total` →
 * `huge_pages_total`, `Hugepagesize` → `hugepagesize_kb`.
 * Variants read: every kernel from 2.6 on (old ones have no `MemAvailable`: then
 * `mem_available_kb` is estimated as MemFree + Active(file) + Inactive(file) +
 * SReclaimable, or MemFree + Buffers + Cached without those, and `mem_available_estimated`
 * is set), per-node files (`Node 0 MemTotal: …`, kept under `nodes`).
 * Source: proc(5), kernel Documentation/filesystems/proc.rst (meminfo).
 */
export interface MeminfoFacts {
  mem_total_kb?: number;
  mem_free_kb?: number;
  mem_available_kb?: number;
  mem_available_estimated?: true;
  /** mem_available / mem_total × 100. */
  mem_available_pct?: number;
  buffers_kb?: number;
  cached_kb?: number;
  swap_cached_kb?: number;
  swap_total_kb?: number;
  swap_free_kb?: number;
  /** (swap_total − swap_free) / swap_total × 100; absent without swap. */
  swap_used_pct?: number;
  dirty_kb?: number;
  writeback_kb?: number;
  shmem_kb?: number;
  slab_kb?: number;
  s_reclaimable_kb?: number;
  s_unreclaim_kb?: number;
  commit_limit_kb?: number;
  committed_as_kb?: number;
  huge_pages_total?: number;
  huge_pages_free?: number;
  hugepagesize_kb?: number;
  /** Per-node values from `/sys/devices/system/node/nodeN/meminfo`. */
  nodes?: Record<string, Record<string, number>>;
  [key: string]: number | boolean | Record<string, Record<string, number>> | undefined;
}

const LINE = /^\s*(?:Node\s+(\d+)\s+)?([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/;

/** `SReclaimable` → `s_reclaimable`, `Active(anon)` → `active_anon`, `DirectMap2M` → `direct_map2m`. */
export function meminfoKey(name: string): string {
  return name
    .replace(/\(([^)]*)\)/g, "_$1")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "")
    .toLowerCase();
}

/**
 * Parses /proc/meminfo (see {@link MeminfoFacts}). Throws UnrecognisedOutputError when no
 * `Key: value` line was found.
 */
export function parseMeminfo(lines: Iterable<string>): ParseResult<MeminfoFacts> {
  const problems = new ProblemLog();
  const facts: MeminfoFacts = {};
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const m = LINE.exec(line);
    if (!m) {
      problems.add(n, line, "not a /proc/meminfo line");
      continue;
    }
    const key = `${meminfoKey(m[2])}${m[4] ? "_kb" : ""}`;
    const value = Number(m[3]);
    if (m[1] !== undefined) {
      facts.nodes ??= {};
      facts.nodes[m[1]] ??= {};
      facts.nodes[m[1]][key] = value;
    } else {
      facts[key] = value;
    }
    found = true;
  }
  if (!found) throw new UnrecognisedOutputError("meminfo");

  const get = (k: string) => (typeof facts[k] === "number" ? (facts[k] as number) : undefined);
  if (facts.mem_available_kb === undefined && facts.mem_free_kb !== undefined) {
    const activeFile = get("active_file_kb");
    const inactiveFile = get("inactive_file_kb");
    if (activeFile !== undefined && inactiveFile !== undefined) {
      facts.mem_available_kb =
        facts.mem_free_kb + activeFile + inactiveFile + (facts.s_reclaimable_kb ?? 0);
    } else {
      facts.mem_available_kb = facts.mem_free_kb + (facts.buffers_kb ?? 0) + (facts.cached_kb ?? 0);
    }
    facts.mem_available_estimated = true;
  }
  if (facts.mem_available_kb !== undefined && facts.mem_total_kb) {
    facts.mem_available_pct =
      Math.round((facts.mem_available_kb / facts.mem_total_kb) * 10000) / 100;
  }
  if (facts.swap_total_kb && facts.swap_free_kb !== undefined) {
    facts.swap_used_pct =
      Math.round(((facts.swap_total_kb - facts.swap_free_kb) / facts.swap_total_kb) * 10000) / 100;
  }
  return { facts, problems: problems.list() };
}
