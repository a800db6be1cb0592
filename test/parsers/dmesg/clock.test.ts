import { describe, expect, it } from "vitest";
import { clock } from "../../../src/parsers/dmesg/clock.js";
import { isListed, readWith } from "./read-with.js";

describe("clock family (kernel/time/clocksource.c, arch/x86/kernel/tsc.c)", () => {
  it("is listed with its sources", () => expect(isListed(clock)).toBe(true));

  it("reads the watchdog marking the TSC unstable and the switch (scenario-20)", () => {
    const events = readWith(clock, [
      "[335323.734091] clocksource: timekeeping watchdog on CPU5: Marking clocksource 'tsc' as unstable because the skew is too large:",
      "[335323.734100] clocksource:                       'hpet' wd_now: 6a4d3b5b wd_last: 69f9c2b7 mask: ffffffff",
      "[335323.734130] clocksource: Switched to clocksource hpet",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "clocksource-unstable",
      clocksource: "tsc",
      watchdog: "hpet",
      switched_to: "hpet",
    });
  });
});
