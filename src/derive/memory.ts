import type { PidstatRow } from "../parsers/pidstat.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, factsOf, n, pct, round, setPressure } from "./util.js";

/**
 * Memory facts: how much is available (`/proc/meminfo`, else `free`), swap use and swap
 * traffic (vmstat si/so), dirty and writeback pages against the dirty limits, PSI memory,
 * and per-process RSS growth over the window (pidstat -r).
 *
 * Dirty limit (Documentation/admin-guide/sysctl/vm.rst, mm/page-writeback.c): writers are
 * throttled in balance_dirty_pages() once dirty + writeback pages pass vm.dirty_ratio % of
 * the dirtyable memory (free + file-backed pages; vm.dirty_bytes instead when set), and
 * background writeback starts at vm.dirty_background_ratio %. Defaults 20 % and 10 %.
 */

const MEM = ["meminfo", "free", "top"] as const;

const provides: ModuleFactSpec[] = [
  { path: "mem.total_kb", type: "number", unit: "kB", from: MEM, doc: "Memory in total." },
  {
    path: "mem.available_kb",
    type: "number",
    unit: "kB",
    from: MEM,
    doc: "MemAvailable: memory that can be given to applications without swapping.",
  },
  {
    path: "mem.available_pct",
    says: "{} of memory available",
    type: "number",
    unit: "%",
    from: MEM,
    doc: "MemAvailable / MemTotal.",
  },
  {
    path: "mem.swap_total_kb",
    type: "number",
    unit: "kB",
    from: MEM,
    doc: "Swap space in total (0 = no swap).",
  },
  {
    path: "mem.swap_used_pct",
    type: "number",
    unit: "%",
    from: MEM,
    doc: "Swap in use / swap in total.",
  },
  {
    path: "mem.dirty_kb",
    type: "number",
    unit: "kB",
    from: ["meminfo"],
    doc: "Dirty + Writeback: file pages waiting to be written or being written.",
  },
  {
    path: "mem.dirty_pct",
    type: "number",
    unit: "%",
    from: ["meminfo"],
    doc: "Dirty + Writeback as % of dirtyable memory (MemFree + Active(file) + Inactive(file)).",
  },
  {
    path: "mem.dirty_limit_pct",
    type: "number",
    unit: "%",
    from: ["meminfo", "sysctl"],
    doc: "Where writers get throttled: vm.dirty_ratio (or vm.dirty_bytes as a %), default 20.",
  },
  {
    path: "mem.dirty_background_pct",
    type: "number",
    unit: "%",
    from: ["meminfo", "sysctl"],
    doc: "Where background writeback starts: vm.dirty_background_ratio, default 10.",
  },
  {
    path: "mem.dirty_pct_of_limit",
    says: "dirty pages at {} of the dirty limit",
    type: "number",
    unit: "%",
    from: ["meminfo", "sysctl"],
    doc: "mem.dirty_pct / mem.dirty_limit_pct × 100: 100 = writers are throttled.",
  },
  {
    path: "mem.writeback_kb",
    type: "number",
    unit: "kB",
    from: ["meminfo"],
    doc: "Writeback: pages being written right now.",
  },
  {
    path: "mem.commit_pct",
    says: "Committed_AS at {} of CommitLimit",
    type: "number",
    unit: "%",
    from: ["meminfo"],
    doc: "Committed_AS / CommitLimit (matters with vm.overcommit_memory = 2).",
  },
  {
    path: "mem.swap_in_kb_per_s",
    says: "swap-in at {}",
    type: "number",
    unit: "kB/s",
    from: ["vmstat"],
    doc: "Swap-in rate (vmstat si).",
  },
  {
    path: "mem.swap_out_kb_per_s",
    says: "swap-out at {}",
    type: "number",
    unit: "kB/s",
    from: ["vmstat"],
    doc: "Swap-out rate (vmstat so).",
  },
  {
    path: "mem.vmstat_reports",
    type: "number",
    unit: "reports",
    from: ["vmstat"],
    doc: "vmstat interval reports the swap rates are the mean of (absent when only the since-boot line was printed).",
  },
  {
    path: "mem.swap_io_since_boot",
    type: "boolean",
    from: ["vmstat"],
    doc: "True when the swap rates are vmstat's since-boot averages (a single line).",
  },
  {
    path: "psi.memory.some_avg10",
    says: "some task stalled on memory {} of the time (PSI some avg10)",
    type: "number",
    unit: "%",
    from: ["pressure-memory"],
    doc: "PSI memory some avg10: share of the last 10 s in which some task waited for memory (reclaim, swap-in, refault).",
  },
  {
    path: "psi.memory.full_avg10",
    says: "all tasks stalled on memory {} of the time (PSI full avg10)",
    type: "number",
    unit: "%",
    from: ["pressure-memory"],
    doc: "PSI memory full avg10: share in which every non-idle task waited for memory.",
  },
  {
    path: "psi.memory.some_pct",
    type: "number",
    unit: "%",
    from: ["pressure-memory"],
    doc: "PSI memory some over the window (total counter).",
  },
  {
    path: "psi.memory.full_pct",
    type: "number",
    unit: "%",
    from: ["pressure-memory"],
    doc: "PSI memory full over the window (total counter).",
  },
  {
    path: "proc.rss_growth.command",
    says: "the process whose RSS grew most is {}",
    type: "string",
    from: ["pidstat"],
    doc: "The process whose RSS grew the most over the window.",
  },
  { path: "proc.rss_growth.pid", type: "number", from: ["pidstat"], doc: "Its PID." },
  {
    path: "proc.rss_growth.kb_per_s",
    says: "the process whose RSS grew most grew at {}",
    type: "number",
    unit: "kB/s",
    from: ["pidstat"],
    doc: "Its RSS growth rate (last − first sample over the time between them).",
  },
  {
    path: "proc.rss_growth.pct",
    says: "the process whose RSS grew most grew {}",
    type: "number",
    unit: "%",
    from: ["pidstat"],
    doc: "Its RSS growth as % of its first sample.",
  },
  {
    path: "proc.rss_growth.samples",
    type: "number",
    unit: "reports",
    from: ["pidstat"],
    doc: "pidstat reports its growth is read from (one per interval it was listed in).",
  },
  {
    path: "proc.rss_growth.monotonic",
    says: {
      yes: "the process whose RSS grew most never shrank between samples",
      no: "the process whose RSS grew most shrank between samples",
    },
    type: "boolean",
    from: ["pidstat"],
    doc: "True when its RSS never fell from one sample to the next.",
  },
  {
    path: "proc.top_rss.command",
    type: "string",
    from: ["pidstat"],
    doc: "The process with the largest RSS; not set with a --pid/--process scope (pidstat then sees only the scope).",
  },
  { path: "proc.top_rss.rss_kb", type: "number", unit: "kB", from: ["pidstat"], doc: "Its RSS." },
  {
    path: "proc.top_rss.mem_pct",
    type: "number",
    unit: "%",
    from: ["pidstat"],
    doc: "Its RSS as % of memory (pidstat %MEM).",
  },
];

/**
 * Seconds between two pidstat row stamps (`HH:MM:SS` in 24 h, as the parser normalises them,
 * or epoch seconds with `-h`/`-H`), across midnight for clock stamps; undefined when either is
 * absent or they are not later one after the other. pidstat(1): each report is stamped with
 * the end of its interval, so the stamps give the interval (`pidstat -r 10 6`: 10 s), which a
 * count of reports alone does not.
 */
export function stampedSeconds(from?: string, to?: string): number | undefined {
  const secs = (t?: string): number | undefined => {
    if (t === undefined) return undefined;
    if (/^\d+$/.test(t)) return Number(t);
    const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(t);
    return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
  };
  const a = secs(from);
  const b = secs(to);
  if (a === undefined || b === undefined) return undefined;
  const clock = from?.includes(":") === true;
  const d = clock && b < a ? b + 86400 - a : b - a;
  return d > 0 ? d : undefined;
}

/**
 * Per-process memory from `pidstat -r`: the process whose RSS (kB) grew the most between its
 * first and last report (`proc.rss_growth.*`: kB/s over the stamped time between them, % of its
 * first RSS, whether it never fell, reports read), and the largest RSS (`proc.top_rss.*`).
 */
function setPidstatMemory(bag: FactBag, parsed: ParsedSet, ctx: DeriveContext): void {
  const pid = factsOf(parsed, "pidstat");
  const rows = arr<PidstatRow>(pid?.rows).filter((r) => !r.thread && n(r.rss_kb) !== undefined);
  if (rows.length > 0) {
    const byPid = new Map<number, PidstatRow[]>();
    for (const r of rows) {
      const key = n(r.pid) ?? -1;
      byPid.set(key, [...(byPid.get(key) ?? []), r]);
    }
    let best:
      | { r0: PidstatRow; r1: PidstatRow; grow: number; mono: boolean; samples: number }
      | undefined;
    for (const list of byPid.values()) {
      if (list.length < 2) continue;
      const r0 = list[0];
      const r1 = list[list.length - 1];
      const grow = (r1.rss_kb ?? 0) - (r0.rss_kb ?? 0);
      const mono = list.every((r, i) => i === 0 || (r.rss_kb ?? 0) >= (list[i - 1].rss_kb ?? 0));
      if (!best || grow > best.grow) best = { r0, r1, grow, mono, samples: list.length };
    }
    if (best && best.grow > 0) {
      const intervals = Math.max(1, best.samples - 1);
      const seconds =
        stampedSeconds(best.r0.time, best.r1.time) ??
        (ctx.windowSeconds && pid && pid.intervals > 1
          ? (ctx.windowSeconds * intervals) / Math.max(1, pid.intervals - 1)
          : intervals);
      const line = `pidstat -r: ${best.r1.command} (pid ${best.r1.pid ?? "?"}) RSS ${best.r0.rss_kb} → ${best.r1.rss_kb} kB over ${best.samples} samples (${round(seconds)} s)`;
      bag.set("proc.rss_growth.command", best.r1.command, "pidstat", line);
      bag.set("proc.rss_growth.pid", n(best.r1.pid), "pidstat", line);
      bag.set("proc.rss_growth.kb_per_s", round(best.grow / seconds), "pidstat", line);
      bag.set("proc.rss_growth.pct", pct(best.grow, n(best.r0.rss_kb)), "pidstat", line);
      bag.set("proc.rss_growth.monotonic", best.mono, "pidstat", line);
      bag.set("proc.rss_growth.samples", best.samples, "pidstat", line);
    }
    const last = arr<PidstatRow>(pid?.average).length > 0 ? arr<PidstatRow>(pid?.average) : rows;
    const top = last
      .filter((r) => n(r.rss_kb) !== undefined && !r.thread)
      .sort((a, b) => (b.rss_kb ?? 0) - (a.rss_kb ?? 0))[0];
    // A scoped pidstat printed the scope only: its largest is the scope, not the host's.
    if (top && (ctx.scopePids ?? []).length === 0) {
      const line = `pidstat -r: ${top.command} (pid ${top.pid ?? "?"}) RSS ${top.rss_kb} kB %MEM ${top.mem_pct ?? "?"}`;
      bag.set("proc.top_rss.command", top.command, "pidstat", line);
      bag.set("proc.top_rss.rss_kb", n(top.rss_kb), "pidstat", line);
      bag.set("proc.top_rss.mem_pct", n(top.mem_pct), "pidstat", line);
    }
  }
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const mi = factsOf(parsed, "meminfo");
  const fr = factsOf(parsed, "free");
  const sc = factsOf(parsed, "sysctl");
  if (mi && n(mi.mem_total_kb) !== undefined) {
    const line = `MemTotal: ${mi.mem_total_kb} kB, MemAvailable: ${mi.mem_available_kb ?? "?"} kB${mi.mem_available_estimated ? " (estimated)" : ""}, SwapTotal: ${mi.swap_total_kb ?? "?"} kB, SwapFree: ${mi.swap_free_kb ?? "?"} kB`;
    bag.set("mem.total_kb", n(mi.mem_total_kb), "meminfo", line);
    bag.set("mem.available_kb", n(mi.mem_available_kb), "meminfo", line);
    bag.set(
      "mem.available_pct",
      n(mi.mem_available_pct) ?? pct(n(mi.mem_available_kb), n(mi.mem_total_kb)),
      "meminfo",
      line,
    );
    bag.set("mem.swap_total_kb", n(mi.swap_total_kb), "meminfo", line);
    bag.set("mem.swap_used_pct", n(mi.swap_used_pct), "meminfo", line);
    const dirty = (n(mi.dirty_kb) ?? 0) + (n(mi.writeback_kb) ?? 0);
    const file = (n(mi.active_file_kb) ?? 0) + (n(mi.inactive_file_kb) ?? 0);
    const dirtyable = (n(mi.mem_free_kb) ?? 0) + file;
    const dline = `Dirty: ${mi.dirty_kb ?? "?"} kB, Writeback: ${mi.writeback_kb ?? "?"} kB, MemFree: ${mi.mem_free_kb ?? "?"} kB, file pages: ${file} kB`;
    if (n(mi.dirty_kb) !== undefined) {
      bag.set("mem.dirty_kb", dirty, "meminfo", dline);
      bag.set("mem.writeback_kb", n(mi.writeback_kb), "meminfo", dline);
      if (dirtyable > 0 && file > 0) {
        const dpct = round((dirty / dirtyable) * 100) ?? 0;
        const bytes = n(sc?.vm_dirty_bytes) ?? 0;
        const limit =
          bytes > 0 ? round((bytes / 1024 / dirtyable) * 100) : (n(sc?.vm_dirty_ratio) ?? 20);
        const bgBytes = n(sc?.vm_dirty_background_bytes) ?? 0;
        const bg =
          bgBytes > 0
            ? round((bgBytes / 1024 / dirtyable) * 100)
            : (n(sc?.vm_dirty_background_ratio) ?? 10);
        bag.set("mem.dirty_pct", dpct, "meminfo", dline);
        bag.set("mem.dirty_limit_pct", limit, sc ? "sysctl" : "meminfo", dline);
        bag.set("mem.dirty_background_pct", bg, sc ? "sysctl" : "meminfo", dline);
        if (limit !== undefined && limit > 0) {
          bag.set("mem.dirty_pct_of_limit", round((dpct / limit) * 100), "meminfo", dline);
        }
      }
    }
    bag.set(
      "mem.commit_pct",
      pct(n(mi.committed_as_kb), n(mi.commit_limit_kb)),
      "meminfo",
      `Committed_AS: ${mi.committed_as_kb} kB, CommitLimit: ${mi.commit_limit_kb} kB`,
    );
  } else if (fr && n(fr.mem_total_bytes) !== undefined) {
    const kb = (v: number | undefined) => (v === undefined ? undefined : Math.round(v / 1024));
    const line = `free: total ${fr.mem_total_bytes} B, available ${fr.mem_available_bytes ?? "?"} B${fr.mem_available_estimated ? " (estimated)" : ""}, swap ${fr.swap_used_bytes ?? "?"} / ${fr.swap_total_bytes ?? "?"} B`;
    bag.set("mem.total_kb", kb(n(fr.mem_total_bytes)), "free", line);
    bag.set("mem.available_kb", kb(n(fr.mem_available_bytes)), "free", line);
    bag.set("mem.available_pct", n(fr.mem_available_pct), "free", line);
    bag.set("mem.swap_total_kb", kb(n(fr.swap_total_bytes)), "free", line);
    bag.set("mem.swap_used_pct", n(fr.swap_used_pct), "free", line);
  }

  const top = factsOf(parsed, "top")?.summary;
  if (
    !(mi && n(mi.mem_total_kb) !== undefined) &&
    !(fr && n(fr.mem_total_bytes) !== undefined) &&
    top &&
    n(top.mem_total_bytes) !== undefined
  ) {
    const kb = (v: number | undefined) => (v === undefined ? undefined : Math.round(v / 1024));
    const line = `top: Mem total ${top.mem_total_bytes} B, avail ${top.mem_available_bytes ?? "?"} B; Swap total ${top.swap_total_bytes ?? "?"} B, used ${top.swap_used_bytes ?? "?"} B`;
    bag.set("mem.total_kb", kb(n(top.mem_total_bytes)), "top", line);
    bag.set("mem.available_kb", kb(n(top.mem_available_bytes)), "top", line);
    bag.set(
      "mem.available_pct",
      pct(n(top.mem_available_bytes), n(top.mem_total_bytes)),
      "top",
      line,
    );
    bag.set("mem.swap_total_kb", kb(n(top.swap_total_bytes)), "top", line);
    bag.set("mem.swap_used_pct", pct(n(top.swap_used_bytes), n(top.swap_total_bytes)), "top", line);
  }

  const vm = factsOf(parsed, "vmstat");
  if (vm && n(vm.si_per_s) !== undefined) {
    const line = `vmstat: si ${vm.si_per_s} so ${vm.so_per_s ?? "?"} kB/s (mean of ${vm.samples} samples${vm.means_since_boot ? ", since boot" : ""})`;
    bag.set("mem.swap_in_kb_per_s", n(vm.si_per_s), "vmstat", line);
    bag.set("mem.swap_out_kb_per_s", n(vm.so_per_s), "vmstat", line);
    bag.set("mem.swap_io_since_boot", vm.means_since_boot === true, "vmstat", line);
    if (!vm.means_since_boot) bag.set("mem.vmstat_reports", n(vm.samples), "vmstat", line);
    if (vm.means_since_boot) {
      bag.sinceBoot = true;
      bag.note("vmstat printed only its since-boot line: swap rates are averages since boot.");
    }
  }

  setPressure(bag, parsed, ctx, "memory");

  setPidstatMemory(bag, parsed, ctx);
  return bag;
}

/** The `memory` derive module (see the header comment of this file). */
export const memoryModule: DeriveModule = {
  id: "memory",
  needs: ["meminfo", "free", "top", "sysctl", "vmstat", "pressure-memory", "pidstat"],
  provides,
  derive,
};
