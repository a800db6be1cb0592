/**
 * Scheduler and timer family: real-time tasks throttled by RT bandwidth control, and a timer
 * interrupt that had to run its expired timers three times over. Both are printed once per boot
 * (`printk_deferred_once`, `printk_once` / `pr_warn_once`).
 * Sources: kernel/sched/rt.c (sched_rt_runtime_exceeded), kernel/time/hrtimer.c
 * (hrtimer_interrupt); Documentation/scheduler/sched-rt-group.rst.
 */
import type { Family } from "./reader.js";

/**
 * kernel/sched/rt.c sched_rt_runtime_exceeded: `sched: RT throttling activated` (the same text
 * from 2.6.25's printk_once to printk_deferred_once in 3.x–6.x); Android vendor hooks add
 * ` for cpu %d`.
 */
const RT_THROTTLING = /^sched: RT throttling activated(?: for cpu (\d+))?\s*$/;

/**
 * kernel/time/hrtimer.c hrtimer_interrupt: `hrtimer: interrupt took %llu ns` (printk_once with
 * KERN_WARNING up to 3.x, pr_warn_once since): the time from entering the interrupt to giving up
 * after three passes over the expired timers.
 */
const HRTIMER = /^hrtimer: interrupt took (\d+) ns/;

export const sched: Family = {
  name: "sched",
  sources: ["kernel/sched/rt.c", "kernel/time/hrtimer.c"],
  classify(r, p, t, raw) {
    const rt = RT_THROTTLING.exec(t);
    if (rt) {
      const e = { ...r.base("rt-throttling", p, raw), kind: "rt-throttling" as const };
      return r.single(rt[1] === undefined ? e : { ...e, cpu: Number(rt[1]) });
    }
    const hr = HRTIMER.exec(t);
    if (!hr) return false;
    return r.single({
      ...r.base("hrtimer-slow", p, raw),
      kind: "hrtimer-slow",
      took_ns: Number(hr[1]),
    });
  },
};
