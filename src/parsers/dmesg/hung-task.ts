/**
 * Hung-task family: `INFO: task … blocked for more than N seconds.` with the task's state, its
 * call trace, the lock owner the kernel names (6.15+), and a hung_task panic. Sources:
 * kernel/hung_task.c (check_hung_task, debug_show_blocker), kernel/sched/core.c sched_show_task.
 */
import type { HungTaskEvent } from "./events.js";
import type { Family, Taken } from "./reader.js";
import { Match } from "./text.js";
import { absorbTraceLine } from "./trace.js";

/** kernel/hung_task.c check_hung_task: `INFO: task %s:%d blocked for more than %ld seconds.` */
const HUNG_TASK = /^(?:INFO: )?task (.+):(\d+) blocked for more than (\d+) seconds\./;
/**
 * kernel/hung_task.c debug_show_blocker (6.15+): `INFO: task %s:%d is blocked on a mutex likely
 * owned by task %s:%d.`, `INFO: task %s:%d blocked on a semaphore likely last held by task
 * %s:%d`, `INFO: task %s:%d <%s> blocked on an rw-semaphore likely owned by task %s:%d <%s>`.
 */
const HUNG_BLOCKER =
  /^INFO: task .+:(\d+) (?:<\w+> )?(?:is )?blocked on an? ([\w-]+(?: [\w-]+)?) likely (?:owned|last held) by task (.+):(\d+)/;
/** kernel/sched/core.c sched_show_task: `task:%-15.15s state:%c …` (5.x+). */
const TASK_STATE = /^\s*task:.{1,16}?\s+state:(\w)/;
/** kernel/sched/core.c sched_show_task (≤ 4.x): `%-15.15s %c [%p] %5lu %5d %6d 0x%08lx`. */
const OLD_TASK_STATE =
  /^\s*\S.{0,15}\s+([RSDTtXZPIWK])\+?\s+(?:[0-9a-f]{8,16}\s+)?\d+\s+\d+\s+\d+\s+0x[0-9a-f]+\s*$/;
/** kernel/hung_task.c with kernel.hung_task_panic = 1. */
const HUNG_PANIC = /^Kernel panic - not syncing: hung_task/;
/**
 * A line that is a hung-task event on its own: the 6.18+ blocker hint `INFO: task %s:%d is
 * blocked on a mutex likely owned by task %s:%d.` printed without its report, and the panic text
 * `hung_task: blocked tasks` (kernel/hung_task.c, hung_task_panic=1).
 */
const HUNG_ALONE =
  /^INFO: task (.+?):(\d+) (?:<\w+> )?(?:is )?blocked on |^Kernel panic - not syncing: hung_task/;

function takeHungLine(e: HungTaskEvent, msg: string): Taken {
  const mt = new Match();
  if (mt.test(HUNG_BLOCKER, msg)) {
    // The line of another waiter (lines kept by a grep, or of tasks without a report): its own event.
    if (e.blocked_on !== undefined || (e.pid !== 0 && Number(mt.m[1]) !== e.pid)) return false;
    e.blocked_on = mt.m[2];
    e.blocker_task = mt.m[3];
    e.blocker_pid = Number(mt.m[4]);
    e.blocker_line = msg;
    return true;
  }
  if (mt.test(TASK_STATE, msg) || mt.test(OLD_TASK_STATE, msg)) {
    e.state = mt.m[1];
    return true;
  }
  if (HUNG_PANIC.test(msg)) {
    e.panic = true;
    return true;
  }
  return absorbTraceLine(msg, e);
}

export const hungTask: Family = {
  name: "hung-task",
  sources: ["kernel/hung_task.c", "kernel/sched/core.c"],
  classify(r, p, t, raw) {
    const m = HUNG_TASK.exec(t);
    if (!m) {
      const a = HUNG_ALONE.exec(t);
      if (!a) return false;
      const e: HungTaskEvent = {
        ...r.base("hung-task", p, raw),
        kind: "hung-task",
        task: a[1] ?? "",
        pid: a[2] ? Number(a[2]) : 0,
        blocked_s: 0,
        trace: [],
      };
      takeHungLine(e, t);
      r.open({ event: e, take: (_p, msg) => takeHungLine(e, msg) }, p);
      return true;
    }
    const e: HungTaskEvent = {
      ...r.base("hung-task", p, raw),
      kind: "hung-task",
      task: m[1],
      pid: Number(m[2]),
      blocked_s: Number(m[3]),
      trace: [],
    };
    r.open({ event: e, take: (_p, msg) => takeHungLine(e, msg) }, p);
    return true;
  },
};
