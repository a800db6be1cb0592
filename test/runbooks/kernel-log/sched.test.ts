import { describe, expect, it } from "vitest";
import { schedLog } from "../../../src/derive/kernel-log/sched.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { FILE_MAX, HRTIMER_SLOW, RT_THROTTLING } from "./lines.js";

describe("sched judge (kernel/sched/rt.c, kernel/time/hrtimer.c)", () => {
  it("counts RT throttling and gives the late timer interrupt in ms", () => {
    const bag = judgeWith(schedLog, [RT_THROTTLING, HRTIMER_SLOW]);
    expect(found(bag)).toEqual({
      "sched.log.rt_throttled": 1,
      "sched.log.hrtimer_interrupt_ms": 23.43,
    });
    expect(bag.excerpts.get("sched.log.rt_throttled")).toBe(RT_THROTTLING);
    expect(bag.excerpts.get("sched.log.hrtimer_interrupt_ms")).toBe(HRTIMER_SLOW);
    expect(bag.sources.get("sched.log.rt_throttled")).toBe("dmesg");
  });

  it("reads the hrtimer line of the HPET clocksource incident (6.66 ms)", () => {
    const bag = judgeWith(schedLog, bundleDmesg("20-tsc-unstable-hpet-clock-gettime-overhead"), {
      lookbackSeconds: Number.POSITIVE_INFINITY,
    });
    expect(found(bag)).toEqual({ "sched.log.hrtimer_interrupt_ms": 6.66 });
  });

  it("says 0 for a log without either message", () => {
    const bag = judgeWith(schedLog, [FILE_MAX]);
    expect(found(bag)).toEqual({});
    expect(bag.values.get("sched.log.rt_throttled")).toBe(0);
    expect(bag.values.get("sched.log.hrtimer_interrupt_ms")).toBe(0);
  });
});
