import type { SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * The scheduler and the timer interrupt as the kernel log tells them: real-time tasks that used
 * their whole RT budget on a CPU (kernel/sched/rt.c: more than kernel.sched_rt_runtime_us of a
 * kernel.sched_rt_period_us, 950 ms of 1 s by default, Documentation/scheduler/sched-rt-group.rst)
 * and a timer interrupt delayed long enough to give up (kernel/time/hrtimer.c hrtimer_interrupt).
 * Each message is printed once per boot: a count of 1 says "since boot, at least once".
 */
export const schedLog: LogJudge = {
  name: "sched",
  provides: [
    {
      path: "sched.log.rt_throttled",
      says: "{} `sched: RT throttling activated` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`sched: RT throttling activated` messages (once per boot): real-time tasks used all of kernel.sched_rt_runtime_us in a period on a CPU and were stopped until its end.",
    },
    {
      path: "sched.log.hrtimer_interrupt_ms",
      says: "the longest timer interrupt the log reports (`hrtimer: interrupt took`): {}",
      type: "number",
      unit: "ms",
      from: LOG,
      doc: "The longest `hrtimer: interrupt took N ns` (once per boot), in ms: the timer interrupt ran three passes over expired timers and still found more; 0 when the log holds no such message.",
    },
  ],
  judge(ev, bag) {
    const rt = ev.of("rt-throttling") as SimpleEvent[];
    bag.set("sched.log.rt_throttled", rt.length, SRC, rt[rt.length - 1]?.text);
    const hr = (ev.of("hrtimer-slow") as SimpleEvent[]).filter((e) => e.took_ns !== undefined);
    const worst = [...hr].sort((a, b) => (b.took_ns ?? 0) - (a.took_ns ?? 0))[0];
    const ms = worst?.took_ns === undefined ? 0 : Math.round(worst.took_ns / 1e4) / 100;
    bag.set("sched.log.hrtimer_interrupt_ms", ms, SRC, worst?.text);
  },
};
