import type { TopProcess } from "../parsers/top.js";
import type { VmstatRow } from "../parsers/vmstat.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n } from "./util.js";

/**
 * Threads that stay blocked over the window, before the kernel's hung-task detector speaks
 * (it waits `kernel.hung_task_timeout_secs`, 120 s by default, and is off on many kernels).
 *
 * - vmstat's `b` is `procs_blocked` of /proc/stat: the kernel's `nr_iowait()`, the tasks asleep
 *   in `io_schedule()` (block I/O, page-cache waits, NFS and other network filesystems' RPC
 *   waits). A task that is in every sample of the window has waited the whole window.
 * - top's `S` column `D` is TASK_UNINTERRUPTIBLE at the snapshot (proc(5) `/proc/PID/stat`
 *   field 3: "D Waiting in uninterruptible disk sleep"): it names the processes, including
 *   those waiting on a lock rather than on I/O (not counted in `b`).
 *
 * Source: fs/proc/stat.c (`procs_blocked`, nr_iowait()); kernel/sched/core.c (io_schedule
 * sets in_iowait); vmstat(8) ("b: The number of processes blocked waiting for I/O to
 * complete"); kernel/hung_task.c (hung_task_timeout_secs).
 */

const provides: ModuleFactSpec[] = [
  {
    path: "blocked.iowait_min",
    says: "{} threads waiting on I/O in every sample",
    type: "number",
    unit: "threads",
    from: ["vmstat"],
    doc: "Fewest threads asleep in io_schedule (vmstat b) in any interval sample of the window: that many waited the whole window.",
  },
  {
    path: "blocked.samples",
    type: "number",
    unit: "samples",
    from: ["vmstat"],
    doc: "vmstat interval samples blocked.iowait_min is taken over (the since-boot line excluded).",
  },
  {
    path: "blocked.d_tasks",
    says: "{} processes in uninterruptible sleep (D) in top",
    type: "number",
    unit: "processes",
    from: ["top"],
    doc: "Processes in state D in top's last iteration.",
  },
  {
    path: "blocked.d_task",
    type: "string",
    from: ["top"],
    doc: "The command of the first of them (its excerpt lists up to five, with their pids).",
  },
];

/** `b` of every interval row: the since-boot first row is left out when there are others. */
function blockedPerSample(rows: readonly VmstatRow[]): number[] {
  const interval = rows.length > 1 ? rows.slice(1) : [];
  return interval.map((r) => n(r.b)).filter((b): b is number => b !== undefined);
}

function derive(parsed: ParsedSet, _ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const vm = factsOf(parsed, "vmstat");
  const perSample = blockedPerSample(vm?.rows ?? []);
  if (perSample.length > 0) {
    const min = Math.min(...perSample);
    const excerpt = `vmstat b (threads waiting on I/O) per second: ${perSample.join(" ")}`;
    bag.set("blocked.iowait_min", min, "vmstat", excerpt);
    bag.set("blocked.samples", perSample.length, "vmstat", excerpt);
  }
  const top = factsOf(parsed, "top");
  const last = top?.iterations.at(-1);
  if (last) {
    const d = last.processes.filter((p: TopProcess) => p.state === "D");
    const names = d.map((p) => `${p.command ?? "?"} (pid ${p.pid})`);
    bag.set("blocked.d_tasks", d.length, "top", names.slice(0, 5).join(", ") || undefined);
    if (d.length > 0) bag.set("blocked.d_task", d[0].command, "top", names.slice(0, 5).join(", "));
  }
  return bag;
}

export const blockedModule: DeriveModule = {
  id: "blocked",
  needs: ["vmstat", "top"],
  provides,
  derive,
};
