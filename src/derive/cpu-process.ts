import type { PidstatFacts, PidstatRow } from "../parsers/pidstat.js";
import type { TopFacts, TopIteration, TopProcess } from "../parsers/top.js";
import type { FactBag, FactSpec } from "./types.js";
import { arr, n, round, s } from "./util.js";

/**
 * Which processes use the CPU: the busiest process on the host and, with a `--pid`/`--process`
 * scope, the scoped processes' own share.
 *
 * Without a scope the busiest is pidstat's (over the window), else top's. With a scope, pidstat
 * ran with `-p` and printed the scoped processes only (src/collectors/pidstat.ts), so its
 * busiest would be the scope itself: the scoped share comes from pidstat, and the busiest on the
 * host from top (every process, one frame), named only when it is outside the scope;
 * `proc.scope.busiest` says when the scope is the busiest itself.
 */
export const PROCESS_FACTS: FactSpec[] = [
  {
    path: "proc.top_cpu.command",
    type: "string",
    from: ["pidstat", "top"],
    doc: "The process using the most CPU on the host; with a process scope, one outside it (top).",
  },
  { path: "proc.top_cpu.pid", type: "number", from: ["pidstat", "top"], doc: "Its PID." },
  {
    path: "proc.top_cpu.cpu_pct",
    type: "number",
    unit: "% of one CPU",
    from: ["pidstat", "top"],
    doc: "Its CPU use (100 = one full CPU).",
  },
  {
    path: "proc.scope.command",
    type: "string",
    from: ["pidstat"],
    doc: "The scoped process's name (--pid/--process), as pidstat prints it.",
  },
  {
    path: "proc.scope.processes",
    type: "number",
    unit: "count",
    from: ["pidstat"],
    doc: "How many scoped processes pidstat reported.",
  },
  {
    path: "proc.scope.cpu_pct",
    type: "number",
    unit: "% of one CPU",
    from: ["pidstat"],
    doc: "The scoped processes' CPU use together, each averaged over the window (100 = one full CPU).",
  },
  {
    path: "proc.scope.busiest",
    type: "boolean",
    from: ["top"],
    doc: "The busiest process on the host (top) is one of the scoped processes.",
    says: {
      yes: "the scoped process is the busiest on the host",
      no: "another process is the busiest on the host",
    },
  },
];

/** Sets the facts of {@link PROCESS_FACTS}. `scopePids`: the PIDs pidstat was limited to. */
export function processFacts(
  pid: PidstatFacts | undefined,
  top: TopFacts | undefined,
  scopePids: readonly number[],
  bag: FactBag,
): void {
  if (scopePids.length === 0) {
    if (!busiestOfPidstat(pid, bag)) busiestOfTop(top, new Set(), bag);
    return;
  }
  const scope = new Set(scopePids);
  scopeShare(pid, scope, bag);
  const hot = busiestOfTop(top, scope, bag);
  if (hot !== undefined) bag.set("proc.scope.busiest", scope.has(hot.pid), "top", topLine(hot));
}

/** pidstat's rows: its Average block when printed, else every interval's rows. */
function pidstatRows(pid: PidstatFacts | undefined): PidstatRow[] {
  const average = arr<PidstatRow>(pid?.average);
  return (average.length > 0 ? average : arr<PidstatRow>(pid?.rows)).filter(
    (r) => !r.thread && n(r.cpu_pct) !== undefined,
  );
}

/** The busiest row of an unscoped pidstat. @returns false when pidstat has no CPU rows. */
function busiestOfPidstat(pid: PidstatFacts | undefined, bag: FactBag): boolean {
  const hot = pidstatRows(pid).sort((a, b) => (b.cpu_pct ?? 0) - (a.cpu_pct ?? 0))[0];
  if (!hot) return false;
  const line = `pidstat: ${hot.command} (pid ${hot.pid ?? "?"}) %CPU ${hot.cpu_pct} (%usr ${hot.usr_pct ?? "-"} %system ${hot.system_pct ?? "-"})`;
  bag.set("proc.top_cpu.command", hot.command, "pidstat", line);
  bag.set("proc.top_cpu.pid", n(hot.pid), "pidstat", line);
  bag.set("proc.top_cpu.cpu_pct", n(hot.cpu_pct), "pidstat", line);
  return true;
}

/**
 * The busiest process in top's last frame that is not in `scope`, set as `proc.top_cpu`.
 * @returns the busiest process of the frame, scoped or not (undefined without top).
 */
function busiestOfTop(
  top: TopFacts | undefined,
  scope: ReadonlySet<number>,
  bag: FactBag,
): TopProcess | undefined {
  const iters = arr<TopIteration>(top?.iterations);
  const procs = arr<TopProcess>(iters[iters.length - 1]?.processes)
    .filter((p) => n(p.cpu_pct) !== undefined)
    .sort((a, b) => (n(b.cpu_pct) ?? 0) - (n(a.cpu_pct) ?? 0));
  const hot = procs[0];
  if (hot && !scope.has(hot.pid)) {
    const line = topLine(hot);
    bag.set("proc.top_cpu.command", s(hot.command), "top", line);
    bag.set("proc.top_cpu.pid", n(hot.pid), "top", line);
    bag.set("proc.top_cpu.cpu_pct", n(hot.cpu_pct), "top", line);
  }
  return hot;
}

function topLine(p: TopProcess): string {
  return `top: PID ${p.pid} ${p.command ?? "?"} %CPU ${p.cpu_pct} %MEM ${p.mem_pct ?? "-"} S ${p.state ?? "-"}`;
}

/**
 * The scoped processes' share: each PID's %CPU averaged over its rows (pidstat prints a process
 * only in the intervals it ran), summed over the PIDs; the name is the busiest PID's.
 */
function scopeShare(pid: PidstatFacts | undefined, scope: ReadonlySet<number>, bag: FactBag): void {
  const byPid = new Map<number, PidstatRow[]>();
  for (const r of pidstatRows(pid)) {
    if (r.pid === undefined || !scope.has(r.pid)) continue;
    byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), r]);
  }
  if (byPid.size === 0) return;
  const shares = [...byPid.values()].map((rows) => ({
    command: rows[0].command,
    pid: rows[0].pid,
    cpu: rows.reduce((t, r) => t + (r.cpu_pct ?? 0), 0) / rows.length,
  }));
  shares.sort((a, b) => b.cpu - a.cpu);
  const total = round(
    shares.reduce((t, x) => t + x.cpu, 0),
    1,
  );
  const names = [...new Set(shares.map((x) => x.command))];
  const line = `pidstat -p ${shares.map((x) => x.pid).join(",")}: ${shares
    .map((x) => `${x.command} (pid ${x.pid}) %CPU ${round(x.cpu, 1)}`)
    .join(", ")}`;
  bag.set("proc.scope.command", names.join(", "), "pidstat", line);
  bag.set("proc.scope.processes", byPid.size, "pidstat", line);
  bag.set("proc.scope.cpu_pct", total, "pidstat", line);
}
