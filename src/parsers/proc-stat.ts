import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** CPU time of one `cpu`/`cpuN` line, in USER_HZ ticks (1/100 s on every common build). */
export interface ProcStatCpuTimes {
  user_ticks: number;
  nice_ticks: number;
  system_ticks: number;
  idle_ticks: number;
  /** Linux 2.5.41+. */
  iowait_ticks?: number;
  /** Linux 2.6.0+. */
  irq_ticks?: number;
  softirq_ticks?: number;
  /** Linux 2.6.11+. */
  steal_ticks?: number;
  /** Linux 2.6.24+; already counted in `user_ticks`. */
  guest_ticks?: number;
  /** Linux 2.6.33+; already counted in `nice_ticks`. */
  guest_nice_ticks?: number;
}

/**
 * Facts from `/proc/stat` (counters since boot).
 *
 * Command (collector): `cat /proc/stat`, read at the start and the end of the window
 * (`.start.out` and `.out`). Sample:
 * ```
 * cpu  36776 0 6743 148400 778 0 431 307 0 0
 * cpu0 18661 0 3614 73551 529 0 182 177 0 0
 * intr 469559 0 0 0 ...
 * ctxt 1006866
 * btime 1796050397
 * processes 11602
 * procs_running 1
 * procs_blocked 0
 * softirq 188479 0 16828 4 9341 66202 0 2 59432 0 36670
 * ```
 * Yields: `cpu_count = 1`, `cpus[0].user_ticks = 18661`, `cpus[0].steal_ticks = 177`.
 * Variants read: kernels with 4 to 10 CPU columns (missing ones are absent), no `softirq`
 * line (before 2.6.31). Rates over a window come from {@link procStatDelta}.
 * Source: proc(5), kernel Documentation/filesystems/proc.rst (1.8 Miscellaneous kernel
 * statistics in /proc/stat).
 */
export interface ProcStatFacts {
  /** The `cpu` line: all CPUs summed. */
  cpu_total?: ProcStatCpuTimes;
  cpus: (ProcStatCpuTimes & { cpu: number })[];
  cpu_count: number;
  /** Context switches since boot. */
  ctxt?: number;
  /** Boot time, seconds since the epoch. */
  btime_epoch_s?: number;
  /** Processes and threads created since boot. */
  processes?: number;
  /** Runnable threads now. */
  procs_running?: number;
  /** Threads blocked on I/O now. */
  procs_blocked?: number;
  /** Interrupts serviced since boot (first number of the `intr` line). */
  intr_total?: number;
  softirq_total?: number;
  /** Softirqs since boot by kind (`softirq` line: HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU). */
  softirqs?: Record<string, number>;
}

const CPU_KEYS = [
  "user_ticks",
  "nice_ticks",
  "system_ticks",
  "idle_ticks",
  "iowait_ticks",
  "irq_ticks",
  "softirq_ticks",
  "steal_ticks",
  "guest_ticks",
  "guest_nice_ticks",
] as const;
const SOFTIRQ_NAMES = [
  "hi",
  "timer",
  "net_tx",
  "net_rx",
  "block",
  "irq_poll",
  "tasklet",
  "sched",
  "hrtimer",
  "rcu",
];
const SCALARS: Record<string, keyof ProcStatFacts> = {
  ctxt: "ctxt",
  btime: "btime_epoch_s",
  processes: "processes",
  procs_running: "procs_running",
  procs_blocked: "procs_blocked",
};

function integers(tokens: string[]): number[] | undefined {
  const out: number[] = [];
  for (const t of tokens) {
    if (!/^\d+$/.test(t)) return undefined;
    out.push(Number(t));
  }
  return out;
}

/**
 * Parses /proc/stat (see {@link ProcStatFacts}). Throws UnrecognisedOutputError when no
 * `cpu` line and no known counter line was found.
 */
export function parseProcStat(lines: Iterable<string>): ParseResult<ProcStatFacts> {
  const problems = new ProblemLog();
  const facts: ProcStatFacts = { cpus: [], cpu_count: 0 };
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const t = fields(line);
    if (t.length === 0) continue;
    const name = t[0];
    const m = /^cpu(\d*)$/.exec(name);
    if (m) {
      const v = integers(t.slice(1));
      if (!v || v.length < 4) {
        problems.add(n, line, "cpu line without at least 4 tick counters");
        continue;
      }
      const times = {} as ProcStatCpuTimes;
      v.slice(0, CPU_KEYS.length).forEach((x, i) => {
        times[CPU_KEYS[i]] = x;
      });
      if (m[1] === "") facts.cpu_total = times;
      else facts.cpus.push({ cpu: Number(m[1]), ...times });
      found = true;
      continue;
    }
    if (name in SCALARS && t.length === 2 && /^\d+$/.test(t[1])) {
      (facts as unknown as Record<string, number>)[SCALARS[name]] = Number(t[1]);
      found = true;
      continue;
    }
    if (name === "intr" && t.length >= 2 && /^\d+$/.test(t[1])) {
      facts.intr_total = Number(t[1]);
      found = true;
      continue;
    }
    if (name === "softirq" && t.length >= 2) {
      const v = integers(t.slice(1));
      if (v) {
        facts.softirq_total = v[0];
        const kinds: Record<string, number> = {};
        v.slice(1).forEach((x, i) => {
          kinds[SOFTIRQ_NAMES[i] ?? `softirq${i}`] = x;
        });
        facts.softirqs = kinds;
        found = true;
        continue;
      }
    }
    if (/^(page|swap|disk_io|disk|disk_rio|disk_wio|disk_rblk|disk_wblk)$/.test(name)) {
      // Linux 2.4 lines: known, not used.
      continue;
    }
    problems.add(n, line, "not a /proc/stat line");
  }
  if (!found) throw new UnrecognisedOutputError("proc-stat");
  facts.cpu_count = facts.cpus.length;
  return { facts, problems: problems.list() };
}

/** Shares of CPU time over a window, in % of all the CPU time of those CPUs. */
export interface CpuShares {
  user_pct: number;
  nice_pct: number;
  system_pct: number;
  idle_pct: number;
  iowait_pct?: number;
  irq_pct?: number;
  softirq_pct?: number;
  steal_pct?: number;
  guest_pct?: number;
  guest_nice_pct?: number;
  /** 100 − idle − iowait. */
  busy_pct: number;
}

/** Rates over a window from two /proc/stat snapshots (see {@link procStatDelta}). */
export interface ProcStatDelta {
  seconds: number;
  total?: CpuShares;
  /** CPUs present in both snapshots. */
  cpus: (CpuShares & { cpu: number })[];
  ctxt_per_s?: number;
  intr_per_s?: number;
  softirq_per_s?: number;
  /** Processes and threads created per second. */
  forks_per_s?: number;
  /** Softirqs per second by kind (`net_rx`, `timer`…). */
  softirqs_per_s?: Record<string, number>;
  /** Gauges at the end of the window. */
  procs_running?: number;
  procs_blocked?: number;
}

function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

function shares(a: ProcStatCpuTimes, b: ProcStatCpuTimes): CpuShares | undefined {
  const d = (k: (typeof CPU_KEYS)[number]) =>
    a[k] !== undefined && b[k] !== undefined ? b[k]! - a[k]! : undefined;
  // guest and guest_nice are already inside user and nice: leave them out of the total.
  const parts = CPU_KEYS.slice(0, 8).map((k) => d(k));
  if (parts.some((x) => x !== undefined && x < 0)) return undefined;
  const total = parts.reduce<number>((s, x) => s + (x ?? 0), 0);
  if (total <= 0) return undefined;
  const pct = (k: (typeof CPU_KEYS)[number]) => {
    const x = d(k);
    return x === undefined ? undefined : r2((x / total) * 100);
  };
  const out: CpuShares = {
    user_pct: pct("user_ticks")!,
    nice_pct: pct("nice_ticks")!,
    system_pct: pct("system_ticks")!,
    idle_pct: pct("idle_ticks")!,
    busy_pct: 0,
  };
  for (const [k, name] of [
    ["iowait_ticks", "iowait_pct"],
    ["irq_ticks", "irq_pct"],
    ["softirq_ticks", "softirq_pct"],
    ["steal_ticks", "steal_pct"],
    ["guest_ticks", "guest_pct"],
    ["guest_nice_ticks", "guest_nice_pct"],
  ] as const) {
    const v = pct(k);
    if (v !== undefined) out[name] = v;
  }
  out.busy_pct = r2(100 - out.idle_pct - (out.iowait_pct ?? 0));
  return out;
}

/**
 * Turns a start and an end /proc/stat snapshot into rates over `seconds`: per-CPU and total
 * shares of user/system/iowait/steal/idle… time (% of the CPU time that elapsed, as mpstat
 * computes them) and context switches, interrupts, softirqs and forks per second.
 * Returns undefined when the snapshots are not comparable: a different `btime` (a reboot in
 * between), counters that went backwards, or `seconds` not above 0.
 */
export function procStatDelta(
  start: ProcStatFacts,
  end: ProcStatFacts,
  seconds: number,
): ProcStatDelta | undefined {
  if (!(seconds > 0)) return undefined;
  if (
    start.btime_epoch_s !== undefined &&
    end.btime_epoch_s !== undefined &&
    start.btime_epoch_s !== end.btime_epoch_s
  ) {
    return undefined;
  }
  const out: ProcStatDelta = { seconds, cpus: [] };
  if (start.cpu_total && end.cpu_total) {
    const s = shares(start.cpu_total, end.cpu_total);
    if (!s) return undefined;
    out.total = s;
  }
  const before = new Map(start.cpus.map((c) => [c.cpu, c]));
  for (const c of end.cpus) {
    const b = before.get(c.cpu);
    if (!b) continue;
    const s = shares(b, c);
    if (s) out.cpus.push({ cpu: c.cpu, ...s });
  }
  const rate = (a?: number, b?: number) =>
    a !== undefined && b !== undefined && b >= a ? r2((b - a) / seconds) : undefined;
  const ctxt = rate(start.ctxt, end.ctxt);
  if (ctxt !== undefined) out.ctxt_per_s = ctxt;
  const intr = rate(start.intr_total, end.intr_total);
  if (intr !== undefined) out.intr_per_s = intr;
  const soft = rate(start.softirq_total, end.softirq_total);
  if (soft !== undefined) out.softirq_per_s = soft;
  const forks = rate(start.processes, end.processes);
  if (forks !== undefined) out.forks_per_s = forks;
  if (start.softirqs && end.softirqs) {
    const kinds: Record<string, number> = {};
    for (const [k, v] of Object.entries(end.softirqs)) {
      const r = rate(start.softirqs[k], v);
      if (r !== undefined) kinds[k] = r;
    }
    out.softirqs_per_s = kinds;
  }
  if (end.procs_running !== undefined) out.procs_running = end.procs_running;
  if (end.procs_blocked !== undefined) out.procs_blocked = end.procs_blocked;
  return out;
}
