import type { HungTaskEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Kernel locks that hung tasks wait on, as the hung-task detector names them with
 * CONFIG_DETECT_HUNG_TASK_BLOCKER (kernel/hung_task.c debug_show_blocker, 6.15+): after a
 * task's report, `INFO: task %s:%d is blocked on a mutex likely owned by task %s:%d.`,
 * `INFO: task %s:%d blocked on a semaphore likely last held by task %s:%d` or `INFO: task %s:%d
 * <%s> blocked on an rw-semaphore likely owned by task %s:%d <%s>`.
 */
export const locks: LogJudge = {
  name: "locks",
  provides: [
    {
      path: "lock.kernel_waits",
      says: "{} hung tasks waiting on a kernel lock another task holds",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Hung-task reports (current) that name the task holding the lock the task waits on.",
    },
    {
      path: "lock.kind",
      type: "string",
      from: LOG,
      doc: "The kind of lock the most-named holder holds: `mutex`, `semaphore` or `rw-semaphore`.",
    },
    {
      path: "lock.owner",
      type: "string",
      from: LOG,
      doc: "The task (`comm:pid`) named as holder by the most reports.",
    },
    {
      path: "lock.owner_waiters",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Hung tasks that wait on a lock of that holder.",
    },
    {
      path: "lock.owner_hung",
      type: "boolean",
      from: LOG,
      doc: "True when the holder is itself a hung task of the log: a chain of waits, or a deadlock.",
    },
  ],
  judge(ev, bag) {
    const hung = ev.of("hung-task") as HungTaskEvent[];
    const waits = hung.filter((h) => h.blocker_task !== undefined && h.blocker_pid !== undefined);
    const line = (h: HungTaskEvent | undefined) => h?.blocker_line ?? h?.text;
    bag.set("lock.kernel_waits", waits.length, SRC, line(waits[0]));
    if (waits.length === 0) return;
    const byOwner = new Map<string, HungTaskEvent[]>();
    for (const w of waits) {
      const owner = `${w.blocker_task}:${w.blocker_pid}`;
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), w]);
    }
    const [owner, of] = [...byOwner].sort((a, b) => b[1].length - a[1].length)[0];
    const first = of[0];
    bag.set("lock.owner", owner, SRC, line(first));
    bag.set("lock.kind", first.blocked_on, SRC, line(first));
    bag.set("lock.owner_waiters", of.length, SRC, line(first));
    const ownerHung = hung.some((h) => h.pid === first.blocker_pid && h.blocked_s > 0);
    bag.set("lock.owner_hung", ownerHung, SRC, line(first));
  },
};
