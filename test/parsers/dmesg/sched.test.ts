import { describe, expect, it } from "vitest";
import { sched } from "../../../src/parsers/dmesg/sched.js";
import { isListed, readWith } from "./read-with.js";

/**
 * Lines as printed by kernel/sched/rt.c (`sched: RT throttling activated`) and
 * kernel/time/hrtimer.c (`hrtimer: interrupt took %llu ns`); the hrtimer line is the one of
 * test/fixtures/dmesg/scenario-20-tsc-unstable-hpet-clock-gettime-overhead.txt.
 */
describe("sched family (kernel/sched/rt.c, kernel/time/hrtimer.c)", () => {
  it("is listed with its sources", () => expect(isListed(sched)).toBe(true));

  it("reads RT throttling and a late timer interrupt", () => {
    const events = readWith(sched, [
      "[17344.541839] sched: RT throttling activated",
      "[335538.326632] hrtimer: interrupt took 6663395 ns",
      "Dec  7 10:00:01 host kernel: sched: RT throttling activated for cpu 3",
    ]);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ kind: "rt-throttling", t_s: 17344.541839 });
    expect(events[0]).not.toHaveProperty("cpu");
    expect(events[1]).toMatchObject({ kind: "hrtimer-slow", took_ns: 6663395 });
    expect(events[2]).toMatchObject({ kind: "rt-throttling", cpu: 3 });
  });

  it("leaves other scheduler and timer lines alone", () => {
    const events = readWith(sched, [
      "[    0.101010] sched_clock: Marking stable (1234, 5678)->(9012, 3456)",
      "[    0.200000] hrtimer: interrupt took",
      "[    0.300000] sched: RT throttling activated by the user",
    ]);
    expect(events).toEqual([]);
  });
});
