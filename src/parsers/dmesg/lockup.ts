/**
 * Lockup family: soft and hard lockups and RCU stalls, each with its call trace. Sources:
 * kernel/watchdog.c (watchdog_timer_fn), kernel/watchdog_perf.c and kernel/watchdog_hld.c (hard
 * lockups), kernel/panic.c, kernel/rcu/tree_stall.h.
 */
import type { TraceEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader } from "./reader.js";
import { traceReport } from "./trace.js";

/** kernel/watchdog.c watchdog_timer_fn: `BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]` (prefix `watchdog: ` since 4.15). */
const SOFT_LOCKUP = /BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\]/;
/** kernel/watchdog_perf.c / watchdog_hld.c: `Watchdog detected hard LOCKUP on cpu %d`; kernel/panic.c `Kernel panic - not syncing: Hard LOCKUP`. */
const HARD_LOCKUP =
  /Watchdog detected hard LOCKUP on cpu (\d+)|Kernel panic - not syncing: Hard LOCKUP/;
/** kernel/rcu/tree_stall.h: `INFO: %s self-detected stall on CPU`, `INFO: %s detected stalls on CPUs/tasks:`, `… detected expedited stalls …`, `%s kthread starved for %ld jiffies!`. */
const RCU_STALL =
  /^(?:rcu: )?INFO: (rcu_\w+|rcu) (?:self-detected stall|detected (?:expedited )?stalls?)/;
const RCU_STARVED =
  /^(?:rcu: )?(rcu_\w+) kthread (?:timer wakeup didn't happen|starved) for (\d+) jiffies/;
/** The other lines of an RCU stall report (kernel/rcu/tree_stall.h print_cpu_stall_info, rcu_check_gp_kthread_starvation). */
const RCU_BODY =
  /^(?:rcu: )?(?:\s|\(detected by|\(t=|Unless rcu_|RCU grace-period kthread|Possible timer handling issue|rcu_\w+ kthread|Task dump for CPU|All QSes seen)/;

function rcuReport(e: TraceEvent) {
  return traceReport(e, (msg) => {
    const m = RCU_STARVED.exec(msg);
    if (m) {
      e.starved_jiffies = Number(m[2]);
      return true;
    }
    return RCU_BODY.test(msg);
  });
}

function lockupEvent(r: KernelLogReader, p: Prefixed, t: string, raw: string): TraceEvent | null {
  let m = SOFT_LOCKUP.exec(t);
  if (m) {
    return {
      ...r.base("soft-lockup", p, raw),
      kind: "soft-lockup",
      bug: "soft lockup",
      cpu: Number(m[1]),
      stuck_s: Number(m[2]),
      task: m[3],
      pid: Number(m[4]),
      trace: [],
    };
  }
  m = HARD_LOCKUP.exec(t);
  if (m) {
    const e: TraceEvent = {
      ...r.base("hard-lockup", p, raw),
      kind: "hard-lockup",
      bug: "hard LOCKUP",
      trace: [],
    };
    if (m[1] !== undefined) e.cpu = Number(m[1]);
    if (/Kernel panic/.test(t)) e.panic = true;
    return e;
  }
  return null;
}

function rcuEvent(r: KernelLogReader, p: Prefixed, t: string, raw: string): TraceEvent | null {
  let m = RCU_STALL.exec(t);
  if (m) {
    return {
      ...r.base("rcu-stall", p, raw),
      kind: "rcu-stall",
      bug: "rcu stall",
      flavour: m[1],
      trace: [],
    };
  }
  m = RCU_STARVED.exec(t);
  if (m) {
    return {
      ...r.base("rcu-stall", p, raw),
      kind: "rcu-stall",
      bug: "rcu kthread starved",
      flavour: m[1],
      starved_jiffies: Number(m[2]),
      trace: [],
    };
  }
  return null;
}

export const lockup: Family = {
  name: "lockup",
  sources: [
    "kernel/watchdog.c",
    "kernel/watchdog_perf.c",
    "kernel/watchdog_hld.c",
    "kernel/panic.c",
    "kernel/rcu/tree_stall.h",
  ],
  classify(r, p, t, raw) {
    const lock = lockupEvent(r, p, t, raw);
    if (lock) {
      r.open(traceReport(lock), p);
      return true;
    }
    const rcu = rcuEvent(r, p, t, raw);
    if (rcu) {
      r.open(rcuReport(rcu), p);
      return true;
    }
    return false;
  },
};
