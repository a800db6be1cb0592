import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * The clock-skew rules of runbooks/kernel.yaml on parsed outputs replayed as bundles.
 */
const replay = bundleReplayer();

/** scenario 20's `perf report`: 59 % of samples in sys_clock_gettime (sozu issue 500). */
const SOZU_PERF = "perf-report/scenario-20__sozu-issue-500__perf-report.txt";
/** The Debian VM's perf report: an idle guest, no time calls. */
const IDLE_PERF = "perf-report/vm-debian12-k6.18__perf-report.txt";
/** The Debian VM's clocksource files (tsc current). */
const VM_CLOCKSOURCE = "clocksource/vm-debian12-k6.18__clocksource.txt";

/**
 * The VM's clocksource files after the watchdog dropped the TSC: current hpet and tsc gone from
 * the available list (kernel/time/clocksource.c clocksource_change_rating removes an unstable
 * clocksource from the list).
 */
function hpetClocksource(): { text: string } {
  const text = readFixture(VM_CLOCKSOURCE);
  expect(text).toMatch(/^tsc$/m);
  return { text: text.replace(/^tsc$/m, "hpet").replace(/^tsc kvm-clock\s*$/m, "hpet acpi_pm") };
}

describe("clocksource-slow-gettime on perf report and clocksource outputs", () => {
  it("fires when time calls dominate the profile on hpet", async () => {
    const r = await replay({ "perf-report": SOZU_PERF, clocksource: hpetClocksource() }, "cpu");
    const h = hyp(r, "clocksource-slow-gettime");
    expect(h?.category).toBe("clock-skew");
    expect(h?.title).toBe(
      "Time calls are slow system calls on clocksource hpet: they dominate the CPU profile",
    );
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    expect(h?.evidence.map((e) => e.excerpt).join("\n")).toMatch(/current_clocksource: hpet/);
    expect(r.hypotheses[0]?.category).toBe("clock-skew");
  });

  it("stays quiet on the same profile when the clocksource is tsc (vDSO reads)", async () => {
    const r = await replay({ "perf-report": SOZU_PERF, clocksource: VM_CLOCKSOURCE }, "cpu");
    expect(hyp(r, "clocksource-slow-gettime")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "clocksource-slow-gettime")?.verdict).toBe("fine");
  });

  it("stays quiet on hpet when the profile has no time calls", async () => {
    const r = await replay({ "perf-report": IDLE_PERF, clocksource: hpetClocksource() }, "cpu");
    expect(hyp(r, "clocksource-slow-gettime")).toBeUndefined();
  });
});
