import { describe, expect, it } from "vitest";
import { clock } from "../../../src/derive/kernel-log/clock.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";

/** Scenario 20: the clocksource watchdog marks the TSC unstable and the kernel switches to hpet. */
const TSC_LOG = bundleDmesg("20-tsc-unstable-hpet-clock-gettime-overhead");

describe("clock judge (kernel/time/clocksource.c, arch/x86/kernel/tsc.c)", () => {
  it("names the clocksource marked unstable and the one switched to (scenario 20)", () => {
    const bag = judgeWith(clock, TSC_LOG);
    expect(found(bag)).toEqual({ "clock.unstable": "tsc", "clock.switched_to": "hpet" });
    // The watchdog's report and the switch are one event, cited by its first line.
    const marked =
      "[335323.734091] clocksource: timekeeping watchdog on CPU5: Marking clocksource 'tsc' as unstable because the skew is too large:";
    expect(bag.excerpts.get("clock.unstable")).toBe(marked);
    expect(bag.excerpts.get("clock.switched_to")).toBe(marked);
    expect(bag.sources.get("clock.unstable")).toBe("dmesg");
  });

  it("takes tsc=unstable on the command line for the booter's choice, not a fault", () => {
    // arch/x86/kernel/tsc.c tsc_setup: mark_tsc_unstable("boot parameter"), printed as
    // `Marking TSC unstable due to %s`.
    const bag = judgeWith(clock, [
      "[    0.000000] tsc: Marking TSC unstable due to boot parameter",
      "[    1.204113] clocksource: Switched to clocksource hpet",
    ]);
    expect(found(bag)).toEqual({});
    expect(bag.notes).toEqual([
      "The TSC is off by the tsc=unstable boot parameter: a choice at boot, not a fault.",
    ]);
  });

  it("sets nothing for another family's lines, nor for a watchdog report older than the look-back", () => {
    const nfs = judgeWith(clock, [
      "[ 3223.539141] nfs: server host-b not responding, still trying",
    ]);
    expect(sizes(nfs)).toEqual({ values: 0, notes: 0 });
    const old = judgeWith(clock, TSC_LOG, { uptimeS: 335323.8 + 3700 });
    expect(sizes(old)).toEqual({ values: 0, notes: 0 });
  });
});

/** How many facts and notes a bag holds. */
function sizes(b: ReturnType<typeof judgeWith>): { values: number; notes: number } {
  return { values: b.values.size, notes: b.notes.length };
}
