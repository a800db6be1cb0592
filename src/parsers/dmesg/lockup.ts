/**
 * Lockup family: soft and hard lockups and RCU stalls, each with its call trace. Sources:
 * kernel/watchdog.c (watchdog_timer_fn), kernel/softlockup.c (≤2.6.32), kernel/watchdog_perf.c
 * and kernel/watchdog_hld.c (hard lockups), the old NMI watchdogs of arch/x86, kernel/panic.c,
 * kernel/rcutree.c (≤3.x) and kernel/rcu/tree_stall.h.
 */
import type { TraceEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader } from "./reader.js";
import { traceReport } from "./trace.js";

/**
 * `BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]` (kernel/softlockup.c 2.6.24–2.6.32, then
 * kernel/watchdog.c watchdog_timer_fn; prefix `NMI watchdog: ` 3.19–4.12, `watchdog: ` 4.14+) and
 * the 2.6.18 `BUG: soft lockup detected on CPU#%d!` (kernel/softlockup.c).
 */
const SOFT_LOCKUP =
  /BUG: soft lockup (?:- CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\]|detected on CPU#(\d+)!)/;
/** `Kernel panic - not syncing: softlockup: hung tasks` (kernel/watchdog.c, softlockup_panic=1). */
const SOFT_PANIC = /^Kernel panic - not syncing: softlockup: hung tasks/;
/**
 * Hard lockups: `Watchdog detected hard LOCKUP on cpu %d` (kernel/watchdog.c, watchdog_perf.c,
 * watchdog_hld.c; 6.14+ `CPU%u: Watchdog detected …`), the NMI watchdog of 2.6.9–2.6.32
 * (arch/i386/kernel/nmi.c, arch/x86_64/kernel/nmi.c, arch/x86/kernel/apic/nmi.c:
 * `[BUG: ]NMI Watchdog detected LOCKUP[ on CPU[ ]%d[, registers:]]`) and the kernel/panic.c text
 * `Kernel panic - not syncing: Hard LOCKUP`.
 */
const HARD_LOCKUP =
  /Watchdog detected hard LOCKUP on cpu (\d+)|NMI Watchdog detected LOCKUP(?: on CPU ?(\d+))?|Kernel panic - not syncing: Hard LOCKUP/;
/**
 * `INFO: %s detected stall(s) on CPU…`, `self-detected stall`, `expedited stalls`, `rcu_tasks
 * detected stalls on tasks` (kernel/rcutree.c 2.6.39–3.x, kernel/rcu/tree*.c, tree_stall.h with
 * the `rcu: ` pr_fmt from 4.19) and 2.6.32's `INFO: RCU detected CPU %d stall` /
 * `RCU detected CPU stalls:` (kernel/rcutree.c). Group 2/3: the CPU of a self-detected stall.
 */
const RCU_STALL =
  /^(?:rcu: )?INFO: (rcu_\w+|RCU|rcu) (?:self-detected stall|detected (?:expedited )?stalls?|detected CPU (?:(\d+) )?stall)(?: on CPU (\d+))?/;
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
    const e: TraceEvent = {
      ...r.base("soft-lockup", p, raw),
      kind: "soft-lockup",
      bug: "soft lockup",
      cpu: Number(m[1] ?? m[5]),
      trace: [],
    };
    if (m[2] !== undefined)
      Object.assign(e, { stuck_s: Number(m[2]), task: m[3], pid: Number(m[4]) });
    return e;
  }
  if (SOFT_PANIC.test(t)) {
    return {
      ...r.base("soft-lockup", p, raw),
      kind: "soft-lockup",
      bug: "soft lockup",
      panic: true,
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
    const cpu = m[1] ?? m[2];
    if (cpu !== undefined) e.cpu = Number(cpu);
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
      ...((m[2] ?? m[3]) ? { cpu: Number(m[2] ?? m[3]) } : {}),
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
    "kernel/softlockup.c",
    "arch/x86/kernel/apic/nmi.c",
    "arch/x86_64/kernel/nmi.c",
    "kernel/rcutree.c",
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
