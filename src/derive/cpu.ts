import type { IostatFacts } from "../parsers/iostat.js";
import type { MpstatFacts } from "../parsers/mpstat.js";
import type { PidstatFacts } from "../parsers/pidstat.js";
import { type ProcStatDelta, type ProcStatFacts, procStatDelta } from "../parsers/proc-stat.js";
import type { TopFacts } from "../parsers/top.js";
import type { UptimeFacts } from "../parsers/uptime.js";
import type { VmstatFacts } from "../parsers/vmstat.js";
import { PROCESS_FACTS, processFacts } from "./cpu-process.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, counter, factsOf, n, round, startOf } from "./util.js";

/**
 * CPU facts: how busy the CPUs are (mpstat, else vmstat, else /proc/stat over the window, else
 * iostat's avg-cpu, else top), how many threads want to run (vmstat `r`, /proc/loadavg),
 * load averages, PSI cpu, steal, softirq time, and which processes use it (src/derive/cpu-process.ts).
 *
 * Sources: mpstat(1), vmstat(8), proc(5) (/proc/stat, /proc/loadavg), kernel
 * Documentation/accounting/psi.rst; the USE method (utilisation = busy %, saturation =
 * runnable threads beyond the CPU count).
 */

const UTIL = ["mpstat", "vmstat", "proc-stat", "iostat", "top", "sar"] as const;
const RUNQ = ["vmstat", "uptime", "proc-stat", "top"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "host.cpus",
    says: "{} CPUs online",
    type: "number",
    unit: "count",
    from: ["mpstat", "iostat", "pidstat", "proc-stat", "top", "sar"],
    doc: "Online CPUs (sysstat banner `(N CPU)`, /proc/stat cpuN lines, top).",
  },
  {
    path: "host.uptime_s",
    type: "number",
    unit: "s",
    from: ["uptime"],
    doc: "Seconds since boot (/proc/uptime, or `uptime` to the minute).",
  },
  {
    path: "cpu.since_boot",
    says: {
      yes: "CPU shares are averages since boot (one /proc/stat reading)",
      no: "CPU shares measured over the window",
    },
    type: "boolean",
    from: ["proc-stat"],
    doc: "True when the CPU shares are /proc/stat's averages since boot (one snapshot, no other source).",
  },
  {
    path: "cpu.idle_pct",
    says: "CPUs {} idle",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "Idle share of all CPUs over the window.",
  },
  {
    path: "cpu.busy_pct",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "100 − idle − iowait − steal: CPU time spent running something.",
  },
  {
    path: "cpu.usr_pct",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "User time share (with nice).",
  },
  {
    path: "cpu.sys_pct",
    says: "{} of CPU time in the kernel (%sys)",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "System (kernel) time share.",
  },
  {
    path: "cpu.iowait_pct",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "I/O wait share: idle with I/O outstanding.",
  },
  {
    path: "cpu.steal_pct",
    says: "{} of CPU time stolen by the hypervisor",
    type: "number",
    unit: "%",
    from: UTIL,
    doc: "Steal share: time a virtual CPU wanted to run but the hypervisor ran something else.",
  },
  {
    path: "cpu.steal_pct_max",
    type: "number",
    unit: "%",
    from: ["mpstat", "vmstat", "iostat"],
    doc: "Highest steal share of one CPU or interval.",
  },
  {
    path: "cpu.soft_pct",
    type: "number",
    unit: "%",
    from: ["mpstat", "proc-stat", "top"],
    doc: "Softirq share of all CPUs (network receive, block completion, timers).",
  },
  {
    path: "cpu.soft_pct_max",
    says: "softirq at {} of the busiest CPU",
    type: "number",
    unit: "%",
    from: ["mpstat"],
    doc: "Highest softirq share of one CPU (one CPU handling all NIC interrupts).",
  },
  {
    path: "cpu.busiest_cpu",
    type: "number",
    from: ["mpstat"],
    doc: "The CPU with the least idle.",
  },
  {
    path: "cpu.busiest_cpu_idle_pct",
    type: "number",
    unit: "%",
    from: ["mpstat"],
    doc: "Idle share of that CPU.",
  },
  {
    path: "cpu.runnable",
    type: "number",
    unit: "threads",
    from: RUNQ,
    doc: "Threads running or waiting for a CPU (vmstat r mean; /proc/loadavg runnable − 1, the reader itself).",
  },
  {
    path: "cpu.runnable_per_cpu",
    says: "{} runnable threads per CPU",
    type: "number",
    unit: "ratio",
    from: RUNQ,
    doc: "cpu.runnable / host.cpus: above 1 means threads queue for CPUs.",
  },
  {
    path: "cpu.blocked",
    says: "{} threads in uninterruptible sleep",
    type: "number",
    unit: "threads",
    from: ["vmstat", "proc-stat"],
    doc: "Threads in uninterruptible sleep (vmstat b mean; procs_blocked).",
  },
  {
    path: "cpu.load1",
    type: "number",
    from: ["uptime", "top"],
    doc: "1-minute load average (runnable + uninterruptible threads, damped).",
  },
  { path: "cpu.load5", type: "number", from: ["uptime", "top"], doc: "5-minute load average." },
  { path: "cpu.load15", type: "number", from: ["uptime", "top"], doc: "15-minute load average." },
  {
    path: "cpu.load1_per_cpu",
    says: "1-minute load average {} per CPU",
    type: "number",
    unit: "ratio",
    from: ["uptime", "top"],
    doc: "1-minute load average per CPU (needs host.cpus).",
  },
  {
    path: "cpu.cs_per_s",
    type: "number",
    unit: "/s",
    from: ["vmstat"],
    doc: "Context switches per second.",
  },
  {
    path: "psi.cpu.some_avg10",
    says: "some task waited for a CPU {} of the time (PSI some avg10)",
    type: "number",
    unit: "%",
    from: ["pressure-cpu"],
    doc: "PSI cpu some avg10: share of the last 10 s in which some runnable task waited for a CPU.",
  },
  {
    path: "psi.cpu.some_avg60",
    type: "number",
    unit: "%",
    from: ["pressure-cpu"],
    doc: "PSI cpu some avg60.",
  },
  {
    path: "psi.cpu.some_pct",
    says: "some task waited for a CPU {} of the window (PSI some)",
    type: "number",
    unit: "%",
    from: ["pressure-cpu"],
    doc: "PSI cpu some over the window, from the total counter's start and end.",
  },
  ...PROCESS_FACTS,
];

interface CpuShares {
  idle?: number;
  usr?: number;
  sys?: number;
  iowait?: number;
  steal?: number;
  soft?: number;
  source: string;
  excerpt: string;
}

/**
 * CPU time shares from /proc/stat: over the window from two snapshots, else the shares since
 * boot of the one snapshot (`sinceBoot`).
 */
function procStatShares(
  end: ProcStatFacts | undefined,
  start: ProcStatFacts | undefined,
  seconds: number | undefined,
): (CpuShares & { sinceBoot: boolean }) | undefined {
  if (!end?.cpu_total) return undefined;
  let sh: ProcStatDelta["total"];
  let sinceBoot = false;
  if (start?.cpu_total && seconds) {
    sh = procStatDelta(start, end, seconds)?.total;
  } else {
    // One snapshot: the counters are the shares since boot.
    const c = end.cpu_total;
    const ticks = [
      c.user_ticks,
      c.nice_ticks,
      c.system_ticks,
      c.idle_ticks,
      c.iowait_ticks ?? 0,
      c.irq_ticks ?? 0,
      c.softirq_ticks ?? 0,
      c.steal_ticks ?? 0,
    ];
    const total = ticks.reduce((a, b) => a + b, 0);
    if (total <= 0) return undefined;
    const p = (v: number | undefined) =>
      v === undefined ? undefined : (round((v / total) * 100) ?? 0);
    sh = {
      user_pct: p(c.user_ticks) ?? 0,
      nice_pct: p(c.nice_ticks) ?? 0,
      system_pct: p(c.system_ticks) ?? 0,
      idle_pct: p(c.idle_ticks) ?? 0,
      iowait_pct: p(c.iowait_ticks),
      irq_pct: p(c.irq_ticks),
      softirq_pct: p(c.softirq_ticks),
      steal_pct: p(c.steal_ticks),
      busy_pct: round(100 - (p(c.idle_ticks) ?? 0) - (p(c.iowait_ticks) ?? 0)) ?? 0,
    };
    sinceBoot = true;
  }
  if (!sh) return undefined;
  const span = sinceBoot ? "since boot" : `over ${seconds} s`;
  return {
    idle: sh.idle_pct,
    usr: round(sh.user_pct + sh.nice_pct),
    sys: round(sh.system_pct + (sh.irq_pct ?? 0) + (sh.softirq_pct ?? 0)),
    iowait: sh.iowait_pct,
    steal: sh.steal_pct,
    soft: sh.softirq_pct,
    source: "proc-stat",
    sinceBoot,
    excerpt: `/proc/stat cpu ${span}: user ${sh.user_pct} % system ${sh.system_pct} % idle ${sh.idle_pct} % iowait ${sh.iowait_pct ?? "-"} % steal ${sh.steal_pct ?? "-"} %`,
  };
}

/** The parsed inputs the cpu facts are read from (any may be absent). */
interface CpuInputs {
  mp: MpstatFacts | undefined;
  vm: VmstatFacts | undefined;
  io: IostatFacts | undefined;
  pid: PidstatFacts | undefined;
  up: UptimeFacts | undefined;
  ps: ProcStatFacts | undefined;
  top: TopFacts | undefined;
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const inputs: CpuInputs = {
    mp: factsOf(parsed, "mpstat"),
    vm: factsOf(parsed, "vmstat"),
    io: factsOf(parsed, "iostat"),
    pid: factsOf(parsed, "pidstat"),
    up: factsOf(parsed, "uptime"),
    ps: factsOf(parsed, "proc-stat"),
    top: factsOf(parsed, "top"),
  };
  const cpus = hostFacts(parsed, inputs, bag);
  const shares = utilisation(parsed, ctx, inputs, bag);
  if (shares) shareFacts(shares, bag);
  runnableFacts(inputs, cpus, bag);
  loadFacts(inputs, cpus, bag);
  psiFacts(parsed, ctx, bag);
  processFacts(inputs.pid, inputs.top, ctx.scopePids ?? [], bag);
  return bag;
}

/** The CPU count (the first input that prints it) and the uptime. */
function hostFacts(
  parsed: ParsedSet,
  { mp, io, pid, ps, top, up }: CpuInputs,
  bag: FactBag,
): number | undefined {
  const cpus =
    n(mp?.cpu_count) ??
    n(io?.banner?.cpus) ??
    n(pid?.banner?.cpus) ??
    n(ps?.cpu_count) ??
    (arr(top?.summary?.cpus).length || undefined) ??
    n(factsOf(parsed, "sar")?.banner?.cpus);
  const cpuSource =
    mp?.cpu_count !== undefined ? "mpstat" : io?.banner?.cpus ? "iostat" : "pidstat";
  bag.set("host.cpus", cpus, cpuSource);
  bag.set("host.uptime_s", n(up?.uptime_s), "uptime");
  return cpus;
}

/**
 * The CPU time shares: mpstat, else vmstat, else /proc/stat (two snapshots, or since boot),
 * else iostat's avg-cpu, else top's `%Cpu(s)` line.
 */
function utilisation(
  parsed: ParsedSet,
  ctx: DeriveContext,
  { mp, vm, ps, io, top }: CpuInputs,
  bag: FactBag,
): CpuShares | undefined {
  let shares: CpuShares | undefined;
  const sm = mp?.summary;
  if (sm && n(sm.idle_pct) !== undefined) {
    shares = {
      idle: n(sm.idle_pct),
      usr: n(sm.usr_pct),
      sys: n(sm.sys_pct),
      iowait: n(sm.iowait_pct),
      steal: n(sm.steal_pct),
      soft: n(sm.soft_pct),
      source: "mpstat",
      excerpt: `mpstat all: %usr ${sm.usr_pct ?? "-"} %sys ${sm.sys_pct ?? "-"} %iowait ${sm.iowait_pct ?? "-"} %soft ${sm.soft_pct ?? "-"} %steal ${sm.steal_pct ?? "-"} %idle ${sm.idle_pct}`,
    };
    bag.set("cpu.busiest_cpu", n(sm.busiest_cpu), "mpstat", shares.excerpt);
    bag.set("cpu.busiest_cpu_idle_pct", n(sm.busiest_cpu_idle_pct), "mpstat", shares.excerpt);
    bag.set("cpu.steal_pct_max", n(sm.steal_pct_max), "mpstat", shares.excerpt);
    const softMax = Math.max(
      ...arr<{ cpu: unknown; soft_pct?: number }>(mp?.cpu)
        .filter((r) => r.cpu !== "all")
        .map((r) => n(r.soft_pct) ?? 0),
      -1,
    );
    if (softMax >= 0) bag.set("cpu.soft_pct_max", softMax, "mpstat");
  } else if (vm && n(vm.id_pct) !== undefined) {
    shares = {
      idle: n(vm.id_pct),
      usr: n(vm.us_pct),
      sys: n(vm.sy_pct),
      iowait: n(vm.wa_pct),
      steal: n(vm.st_pct),
      source: "vmstat",
      excerpt: `vmstat means: us ${vm.us_pct ?? "-"} sy ${vm.sy_pct ?? "-"} id ${vm.id_pct} wa ${vm.wa_pct ?? "-"} st ${vm.st_pct ?? "-"}`,
    };
    bag.set("cpu.steal_pct_max", n(vm.st_pct_max), "vmstat", shares.excerpt);
  } else {
    const fromStat = procStatShares(ps, startOf(parsed, "proc-stat"), ctx.windowSeconds);
    shares = fromStat;
    if (fromStat?.sinceBoot) {
      bag.sinceBoot = true;
      bag.note("/proc/stat was read once: CPU shares are averages since boot.");
    }
    bag.set("cpu.since_boot", fromStat?.sinceBoot, "proc-stat");
    if (!shares && io?.cpu_summary && n(io.cpu_summary.idle_pct_mean) !== undefined) {
      const c = io.cpu_summary;
      shares = {
        idle: n(c.idle_pct_mean),
        usr: n(c.user_pct_mean),
        sys: n(c.system_pct_mean),
        iowait: n(c.iowait_pct_mean),
        steal: n(c.steal_pct_mean),
        source: "iostat",
        excerpt: `iostat avg-cpu: %user ${c.user_pct_mean ?? "-"} %system ${c.system_pct_mean ?? "-"} %iowait ${c.iowait_pct_mean ?? "-"} %steal ${c.steal_pct_mean ?? "-"} %idle ${c.idle_pct_mean}`,
      };
      bag.set("cpu.steal_pct_max", n(c.steal_pct_max), "iostat", shares.excerpt);
    }
    const tc = top?.summary;
    if (!shares && tc && n(tc.id_pct) !== undefined) {
      shares = {
        idle: n(tc.id_pct),
        usr: (n(tc.us_pct) ?? 0) + (n(tc.ni_pct) ?? 0),
        sys: n(tc.sy_pct),
        iowait: n(tc.wa_pct),
        steal: n(tc.st_pct),
        soft: n(tc.si_pct),
        source: "top",
        excerpt: `%Cpu(s): ${tc.us_pct ?? "-"} us, ${tc.sy_pct ?? "-"} sy, ${tc.ni_pct ?? "-"} ni, ${tc.id_pct} id, ${tc.wa_pct ?? "-"} wa, ${tc.hi_pct ?? "-"} hi, ${tc.si_pct ?? "-"} si, ${tc.st_pct ?? "-"} st`,
      };
    }
  }
  return shares;
}

function shareFacts(shares: CpuShares, bag: FactBag): void {
  const { source, excerpt } = shares;
  bag.set("cpu.idle_pct", shares.idle, source, excerpt);
  bag.set("cpu.usr_pct", shares.usr, source, excerpt);
  bag.set("cpu.sys_pct", shares.sys, source, excerpt);
  bag.set("cpu.iowait_pct", shares.iowait, source, excerpt);
  bag.set("cpu.steal_pct", shares.steal, source, excerpt);
  bag.set("cpu.soft_pct", shares.soft, source, excerpt);
  if (shares.idle !== undefined) {
    const busy = 100 - shares.idle - (shares.iowait ?? 0) - (shares.steal ?? 0);
    bag.set("cpu.busy_pct", round(Math.max(0, busy)), source, excerpt);
  }
}

/** Saturation: threads wanting a CPU (vmstat r, else /proc/stat, /proc/loadavg or top). */
function runnableFacts(
  { vm, ps, up, top }: CpuInputs,
  cpus: number | undefined,
  bag: FactBag,
): void {
  let runnable: number | undefined;
  let runSource = "";
  let runExcerpt: string | undefined;
  if (vm && n(vm.r_mean) !== undefined) {
    runnable = n(vm.r_mean);
    runSource = "vmstat";
    runExcerpt = `vmstat: ${vm.r_mean} runnable threads on average (r, max ${vm.r_max ?? "-"}), ${vm.b_mean ?? "-"} blocked (b), over ${vm.samples} samples`;
    bag.set("cpu.blocked", n(vm.b_mean), "vmstat", runExcerpt);
    bag.set("cpu.cs_per_s", n(vm.cs_per_s), "vmstat", runExcerpt);
  } else if (n(ps?.procs_running) !== undefined) {
    runnable = Math.max(0, (n(ps?.procs_running) ?? 1) - 1);
    runSource = "proc-stat";
    runExcerpt = `/proc/stat: procs_running ${ps?.procs_running} (runnable threads, the reader included)`;
    bag.set("cpu.blocked", n(ps?.procs_blocked), "proc-stat", `procs_blocked ${ps?.procs_blocked}`);
  } else if (n(up?.runnable) !== undefined) {
    runnable = Math.max(0, (n(up?.runnable) ?? 1) - 1);
    runSource = "uptime";
    runExcerpt = `/proc/loadavg: ${up?.load1} ${up?.load5} ${up?.load15} ${up?.runnable}/${up?.threads} (runnable/threads)`;
  } else if (n(top?.summary?.tasks_running) !== undefined) {
    // top counts itself among the running tasks.
    runnable = Math.max(0, (n(top?.summary?.tasks_running) ?? 1) - 1);
    runSource = "top";
    runExcerpt = `top: Tasks: ${top?.summary?.tasks_total ?? "?"} total, ${top?.summary?.tasks_running} running`;
  }
  if (runnable !== undefined) {
    bag.set("cpu.runnable", round(runnable), runSource, runExcerpt);
    if (cpus) bag.set("cpu.runnable_per_cpu", round(runnable / cpus), runSource, runExcerpt);
  }
}

/** Load averages: uptime, else top's first line. */
function loadFacts({ up, top }: CpuInputs, cpus: number | undefined, bag: FactBag): void {
  const load =
    n(up?.load1) !== undefined
      ? { f: up as UptimeFacts, id: "uptime" }
      : n(top?.summary?.load1) !== undefined
        ? { f: top?.summary as TopFacts["summary"] & object, id: "top" }
        : undefined;
  if (load) {
    const { f, id } = load;
    const line = `load average: ${f.load1 ?? "-"}, ${f.load5 ?? "-"}, ${f.load15 ?? "-"}`;
    bag.set("cpu.load1", n(f.load1), id, line);
    bag.set("cpu.load5", n(f.load5), id, line);
    bag.set("cpu.load15", n(f.load15), id, line);
    if (cpus && n(f.load1) !== undefined) {
      bag.set("cpu.load1_per_cpu", round((f.load1 as number) / cpus), id, line);
    }
  }
}

/** CPU pressure stall information (/proc/pressure/cpu). */
function psiFacts(parsed: ParsedSet, ctx: DeriveContext, bag: FactBag): void {
  const psi = factsOf(parsed, "pressure-cpu");
  if (psi) {
    const line = `some avg10=${psi.some_avg10 ?? "-"} avg60=${psi.some_avg60 ?? "-"} avg300=${psi.some_avg300 ?? "-"} total=${psi.some_total_us ?? "-"}`;
    bag.set("psi.cpu.some_avg10", n(psi.some_avg10), "pressure-cpu", line);
    bag.set("psi.cpu.some_avg60", n(psi.some_avg60), "pressure-cpu", line);
    const c = counter(
      n(psi.some_total_us),
      n(startOf(parsed, "pressure-cpu")?.some_total_us),
      ctx.windowSeconds,
    );
    if (c?.mode === "window" && ctx.windowSeconds) {
      bag.set(
        "psi.cpu.some_pct",
        Math.min(100, round((c.delta / (ctx.windowSeconds * 1e6)) * 100) ?? 0),
        "pressure-cpu",
        line,
      );
    }
  }
}

/** The `cpu` derive module (see the header comment of this file). */
export const cpuModule: DeriveModule = {
  id: "cpu",
  needs: [
    "mpstat",
    "iostat",
    "pidstat",
    "proc-stat",
    "top",
    "sar",
    "uptime",
    "vmstat",
    "pressure-cpu",
  ],
  provides,
  derive,
};
