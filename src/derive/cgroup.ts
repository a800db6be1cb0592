import {
  type CgroupCpuDeltaRow,
  type CgroupCpuRow,
  cgroupCpuDelta,
} from "../parsers/cgroup-cpu.js";
import type { CgroupMemoryRow } from "../parsers/cgroup-memory.js";
import type { CgroupPidsFacts, CgroupPidsRow } from "../parsers/cgroup-pids.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, factsOf, n, pct, startOf } from "./util.js";

/**
 * cgroup facts: CPU bandwidth throttling (`cgroup-cpu`: nr_throttled against nr_periods,
 * over the window when a start snapshot exists, else since the cgroup was created), memory
 * limits and OOM kills per cgroup (`cgroup-memory`), task limits (`cgroup-pids`), and the
 * system's task count against kernel.pid_max / kernel.threads-max.
 *
 * Sources: Documentation/scheduler/sched-bwc.rst (a cgroup with a quota is throttled for the
 * rest of a period once it used its quota; nr_throttled counts such periods),
 * Documentation/admin-guide/cgroup-v2.rst (memory.events oom_kill, pids.max and
 * pids.events max), proc(5) /proc/loadavg (threads in total).
 */

const provides: ModuleFactSpec[] = [
  {
    path: "cgroup.cpu.worst.cgroup",
    type: "string",
    from: ["cgroup-cpu"],
    doc: "The cgroup with a CPU quota that was throttled in the largest share of its periods.",
  },
  {
    path: "cgroup.cpu.worst.throttled_pct",
    says: "most throttled cgroup throttled in {} of its periods",
    type: "number",
    unit: "%",
    from: ["cgroup-cpu"],
    doc: "nr_throttled / nr_periods × 100 (over the window, or since the cgroup was created).",
  },
  {
    path: "cgroup.cpu.worst.nr_periods",
    type: "number",
    unit: "periods",
    from: ["cgroup-cpu"],
    doc: "Enforcement periods that ran (window or since creation): too few say nothing.",
  },
  {
    path: "cgroup.cpu.worst.nr_throttled",
    says: "most throttled cgroup throttled in {} periods (nr_throttled)",
    type: "number",
    unit: "periods",
    from: ["cgroup-cpu"],
    doc: "Throttled periods (window or since creation).",
  },
  {
    path: "cgroup.cpu.worst.quota_cpus",
    says: "most throttled cgroup may use {} CPUs (its cpu.max quota)",
    type: "number",
    unit: "CPUs",
    from: ["cgroup-cpu"],
    limit: true,
    doc: "Its quota / period: CPUs it may use.",
  },
  {
    path: "cgroup.cpu.worst.usage_cpus",
    type: "number",
    unit: "CPUs",
    from: ["cgroup-cpu"],
    doc: "CPUs it used on average over the window.",
  },
  {
    path: "cgroup.cpu.worst.quota_used_pct",
    says: "most throttled cgroup used {} of its CPU quota",
    type: "number",
    unit: "%",
    from: ["cgroup-cpu"],
    doc: "usage_cpus / quota_cpus × 100 over the window: near 100, its tasks ask for more than the quota gives.",
  },
  {
    path: "cgroup.cpu.since_boot",
    type: "boolean",
    from: ["cgroup-cpu"],
    doc: "True when throttling is judged since the cgroup was created (one snapshot).",
  },
  {
    path: "cgroup.memory.oom.cgroup",
    type: "string",
    from: ["cgroup-memory"],
    doc: "The cgroup with the most OOM kills (the deepest on a tie).",
  },
  {
    path: "cgroup.memory.oom.kills",
    says: "{} OOM kills counted by the cgroups",
    type: "number",
    unit: "count",
    from: ["cgroup-memory"],
    doc: "Its OOM kills (over the window when a start snapshot exists, else since creation).",
  },
  {
    path: "cgroup.memory.oom.limit_bytes",
    type: "number",
    unit: "bytes",
    from: ["cgroup-memory"],
    limit: true,
    doc: "Its memory limit.",
  },
  {
    path: "cgroup.memory.oom.limit_hits",
    says: "{} times the cgroup of the OOM kills, or one above it, reached its limit",
    type: "number",
    unit: "count",
    from: ["cgroup-memory"],
    doc: "Times that cgroup or an ancestor reached its memory limit (v2 memory.events oom, v1 memory.failcnt; the most of them, over the window when a start snapshot exists). 0 with kills: the kills were machine-wide.",
  },
  {
    path: "cgroup.memory.since_boot",
    says: {
      yes: "cgroup OOM kills counted since each cgroup was created (one reading)",
      no: "cgroup OOM kills counted over the window",
    },
    type: "boolean",
    from: ["cgroup-memory"],
    doc: "True when OOM kills are counted since each cgroup was created (one snapshot), not over the window.",
  },
  {
    path: "cgroup.memory.worst.cgroup",
    type: "string",
    from: ["cgroup-memory"],
    doc: "The cgroup nearest its memory limit.",
  },
  {
    path: "cgroup.memory.worst.usage_pct",
    type: "number",
    unit: "%",
    from: ["cgroup-memory"],
    doc: "Its usage / limit × 100.",
  },
  {
    path: "cgroup.memory.worst.limit_bytes",
    type: "number",
    unit: "bytes",
    from: ["cgroup-memory"],
    limit: true,
    doc: "Its limit.",
  },
  {
    path: "cgroup.memory.worst.max_events",
    type: "number",
    unit: "count",
    from: ["cgroup-memory"],
    doc: "memory.events max (v2) or failcnt (v1): times usage hit the limit.",
  },
  {
    path: "cgroup.pids.worst.cgroup",
    type: "string",
    from: ["cgroup-pids"],
    doc: "The cgroup nearest its pids.max.",
  },
  {
    path: "cgroup.pids.root",
    type: "string",
    from: ["cgroup-pids"],
    doc: "Mount point of the pids hierarchy (`/sys/fs/cgroup/pids` on cgroup v1, `/sys/fs/cgroup` on v2), where cgroup paths start.",
  },
  {
    path: "cgroup.pids.worst.current",
    type: "number",
    unit: "tasks",
    from: ["cgroup-pids"],
    doc: "Its tasks now.",
  },
  {
    path: "cgroup.pids.worst.max",
    type: "number",
    unit: "tasks",
    from: ["cgroup-pids"],
    limit: true,
    doc: "Its pids.max.",
  },
  {
    path: "cgroup.pids.worst.usage_pct",
    says: "fullest cgroup at {} of its pids.max",
    type: "number",
    unit: "%",
    from: ["cgroup-pids"],
    doc: "current / max × 100.",
  },
  {
    path: "cgroup.pids.worst.refused",
    says: "{} forks refused at pids.max (pids.events max)",
    type: "number",
    unit: "count",
    from: ["cgroup-pids"],
    doc: "pids.events max: forks refused at the limit.",
  },
  {
    path: "pids.system.threads",
    type: "number",
    unit: "threads",
    from: ["uptime"],
    doc: "Threads (scheduling entities) on the system (/proc/loadavg).",
  },
  {
    path: "pids.system.pid_max_pct",
    says: "threads at {} of kernel.pid_max",
    type: "number",
    unit: "%",
    from: ["uptime", "sysctl"],
    doc: "Threads / kernel.pid_max × 100.",
  },
  {
    path: "pids.system.threads_max_pct",
    says: "threads at {} of kernel.threads-max",
    type: "number",
    unit: "%",
    from: ["uptime", "sysctl"],
    doc: "Threads / kernel.threads-max × 100.",
  },
];

/**
 * The pids hierarchy's mount point: the worst row's directory without its cgroup, else the
 * first hierarchy the walk visited; undefined for an unmarked paste.
 */
function pidsRoot(
  row: CgroupPidsRow | undefined,
  facts: CgroupPidsFacts | undefined,
): string | undefined {
  if (row?.cgroup && row.path.endsWith(row.cgroup) && row.path.length > row.cgroup.length) {
    return row.path.slice(0, -row.cgroup.length);
  }
  const first = arr<{ path: string }>(facts?.hierarchies)[0]?.path;
  return first ? first.replace(/\/$/, "") : undefined;
}

/**
 * How often the cgroup of the OOM kills `o`, or a cgroup above it, reached its memory limit:
 * the largest v2 `memory.events` `oom` (the cgroup, or one below it, reached its limit and an
 * allocation was about to fail) or v1 `memory.failcnt` (charges that hit the limit) among `o`
 * and its ancestors in the walk, as a difference from the start snapshot when there is one.
 * `oom_kill` counts kills by any OOM killer, the machine-wide one too
 * (Documentation/admin-guide/cgroup-v2.rst, memory.events): kills with no limit reached here or
 * above were machine-wide. Undefined when neither file was read for any of them.
 */
function limitHits(
  o: CgroupMemoryRow,
  rows: CgroupMemoryRow[],
  before: Map<string, CgroupMemoryRow>,
  windowed: boolean,
): { row: CgroupMemoryRow; count: number } | undefined {
  const hitsOf = (r: CgroupMemoryRow | undefined) => n(r?.events?.oom) ?? n(r?.failcnt);
  const own = o.cgroup ?? o.path;
  let best: { row: CgroupMemoryRow; count: number } | undefined;
  for (const r of rows) {
    const at = r.cgroup ?? r.path;
    const above =
      at === own || at === "/" || at === "" || own.startsWith(`${at.replace(/\/$/, "")}/`);
    const now = hitsOf(r);
    if (!above || now === undefined) continue;
    const b = windowed ? hitsOf(before.get(r.path)) : undefined;
    const count = Math.max(0, now - (b ?? 0));
    if (!best || count > best.count) best = { row: r, count };
  }
  return best;
}

function name(r: { cgroup: string | null; path: string }): string {
  return r.cgroup ?? (r.path || "(unnamed cgroup)");
}

/** The `cgroup.cpu.worst.*` facts of the most throttled cgroup, over the window or since creation. */
function setWorstThrottled(bag: FactBag, w: CgroupCpuRow | CgroupCpuDeltaRow, line: string): void {
  bag.set("cgroup.cpu.worst.cgroup", name(w), "cgroup-cpu", line);
  // nr_throttled cannot exceed nr_periods; a hand-edited paste can say otherwise.
  bag.set(
    "cgroup.cpu.worst.throttled_pct",
    Math.min(100, n(w.throttled_pct) ?? 0),
    "cgroup-cpu",
    line,
  );
  bag.set("cgroup.cpu.worst.nr_throttled", n(w.nr_throttled), "cgroup-cpu", line);
  bag.set("cgroup.cpu.worst.nr_periods", n(w.nr_periods), "cgroup-cpu", line);
  bag.set("cgroup.cpu.worst.quota_cpus", n(w.quota_cpus), "cgroup-cpu", line);
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const cpu = factsOf(parsed, "cgroup-cpu");
  if (cpu) {
    const start = startOf(parsed, "cgroup-cpu");
    const withQuota = (q: number | null | undefined) => q !== null;
    if (start && Array.isArray(start.rows) && Array.isArray(cpu.rows)) {
      const d = cgroupCpuDelta(start, cpu, ctx.windowSeconds);
      const w = [...d.rows]
        .filter((r) => withQuota(r.quota_cpus) && r.throttled_pct !== undefined)
        .sort((a, b) => (b.throttled_pct ?? 0) - (a.throttled_pct ?? 0))[0];
      bag.set("cgroup.cpu.since_boot", false, "cgroup-cpu");
      if (w) {
        const line = `${name(w)}: nr_throttled +${w.nr_throttled} of nr_periods +${w.nr_periods} over the window, throttled ${Math.round(w.throttled_us / 1000)} ms`;
        setWorstThrottled(bag, w, line);
        bag.set("cgroup.cpu.worst.usage_cpus", n(w.usage_cpus), "cgroup-cpu", line);
        const used = n(w.usage_cpus);
        const quota = n(w.quota_cpus);
        if (used !== undefined && quota !== undefined && quota > 0) {
          bag.set(
            "cgroup.cpu.worst.quota_used_pct",
            Math.round((used / quota) * 1000) / 10,
            "cgroup-cpu",
            `${line}; used ${used} of ${quota} CPUs`,
          );
        }
      }
    } else {
      bag.sinceBoot = true;
      bag.note(
        "cgroup cpu.stat was read once: throttling is judged since each cgroup was created.",
      );
      bag.set("cgroup.cpu.since_boot", true, "cgroup-cpu");
      const w = arr<CgroupCpuRow>(cpu.rows)
        .filter((r) => withQuota(r.quota_cpus) && n(r.throttled_pct) !== undefined)
        .sort((a, b) => (b.throttled_pct ?? 0) - (a.throttled_pct ?? 0))[0];
      if (w) {
        const line = `${name(w)}: nr_periods ${w.nr_periods} nr_throttled ${w.nr_throttled} throttled_us ${w.throttled_us ?? "?"}`;
        setWorstThrottled(bag, w, line);
      }
    }
  }

  const mem = factsOf(parsed, "cgroup-memory");
  if (mem) {
    const start = startOf(parsed, "cgroup-memory");
    bag.set("cgroup.memory.since_boot", start === undefined, "cgroup-memory");
    const before = new Map(arr<CgroupMemoryRow>(start?.rows).map((r) => [r.path, r]));
    const kills = (r: CgroupMemoryRow) => {
      const now = n(r.oom_kill) ?? 0;
      if (!start) return now;
      const b = before.get(r.path);
      return b ? Math.max(0, now - (n(b.oom_kill) ?? 0)) : now;
    };
    const o = [...arr<CgroupMemoryRow>(mem.rows)]
      .filter((r) => kills(r) > 0)
      .sort((a, b) => kills(b) - kills(a) || b.path.length - a.path.length)[0];
    if (o) {
      const line = `${name(o)}: oom_kill ${o.oom_kill}${start ? ` (+${kills(o)} over the window)` : ""}, limit ${o.limit_bytes ?? "none"} bytes, usage ${o.usage_bytes ?? "?"} bytes`;
      bag.set("cgroup.memory.oom.cgroup", name(o), "cgroup-memory", line);
      bag.set("cgroup.memory.oom.kills", kills(o), "cgroup-memory", line);
      bag.set("cgroup.memory.oom.limit_bytes", n(o.limit_bytes), "cgroup-memory", line);
      const hits = limitHits(o, arr<CgroupMemoryRow>(mem.rows), before, start !== undefined);
      if (hits) {
        const hline = `${hits.row.path || name(hits.row)}: ${hits.row.version === 1 ? "failcnt" : "memory.events oom"} ${hits.count}${start ? " over the window" : ""}`;
        bag.set("cgroup.memory.oom.limit_hits", hits.count, "cgroup-memory", hline);
      }
    } else if (arr(mem.rows).length > 0) {
      bag.set("cgroup.memory.oom.kills", 0, "cgroup-memory");
    }
    const w = mem.worst_usage;
    if (w) {
      const maxEvents = n(w.events?.max) ?? n(w.failcnt);
      const line = `${name(w)}: usage ${w.usage_bytes ?? "?"} of limit ${w.limit_bytes ?? "none"} bytes (${w.usage_pct ?? "?"} %)${maxEvents !== undefined ? `, limit hit ${maxEvents} times` : ""}`;
      bag.set("cgroup.memory.worst.cgroup", name(w), "cgroup-memory", line);
      bag.set("cgroup.memory.worst.usage_pct", n(w.usage_pct), "cgroup-memory", line);
      bag.set("cgroup.memory.worst.limit_bytes", n(w.limit_bytes), "cgroup-memory", line);
      bag.set("cgroup.memory.worst.max_events", maxEvents, "cgroup-memory", line);
    }
  }

  const pids = factsOf(parsed, "cgroup-pids");
  const pw: CgroupPidsRow | undefined =
    pids?.worst ??
    [...arr<CgroupPidsRow>(pids?.rows)].sort(
      (a, b) => (n(b.events_max) ?? 0) - (n(a.events_max) ?? 0),
    )[0];
  if (pw) {
    const line = `${name(pw)}: pids.current ${pw.current ?? "?"} pids.max ${pw.max ?? "max"}${pw.events_max !== undefined ? `, pids.events max ${pw.events_max}` : ""}`;
    bag.set("cgroup.pids.worst.cgroup", name(pw), "cgroup-pids", line);
    bag.set("cgroup.pids.worst.current", n(pw.current), "cgroup-pids", line);
    bag.set("cgroup.pids.worst.max", n(pw.max), "cgroup-pids", line);
    bag.set("cgroup.pids.worst.usage_pct", n(pw.usage_pct), "cgroup-pids", line);
    bag.set("cgroup.pids.worst.refused", n(pw.events_max), "cgroup-pids", line);
  }
  bag.set("cgroup.pids.root", pidsRoot(pw, pids), "cgroup-pids");

  const up = factsOf(parsed, "uptime");
  const sc = factsOf(parsed, "sysctl");
  const threads = n(up?.threads);
  if (threads !== undefined) {
    const line = `/proc/loadavg: ${up?.runnable ?? "?"}/${threads} threads`;
    bag.set("pids.system.threads", threads, "uptime", line);
    const pidMax = n(sc?.kernel_pid_max);
    const thrMax = n(sc?.kernel_threads_max);
    bag.set(
      "pids.system.pid_max_pct",
      pct(threads, pidMax),
      "uptime",
      `${line}; kernel.pid_max = ${pidMax}`,
    );
    bag.set(
      "pids.system.threads_max_pct",
      pct(threads, thrMax),
      "uptime",
      `${line}; kernel.threads-max = ${thrMax}`,
    );
  }
  return bag;
}

/** The `cgroup` derive module (see the header comment of this file). */
export const cgroupModule: DeriveModule = {
  id: "cgroup",
  needs: ["cgroup-cpu", "cgroup-memory", "cgroup-pids", "uptime", "sysctl"],
  provides,
  derive,
};
