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

/** chronyc tracking on EC2, synchronised to the Amazon Time Sync Service (the user guide's sample). */
const CHRONY_SYNCED = "chronyc-tracking/aws-docs__chronyc-tracking.txt";
const CHRONY_SLOW = "chronyc-tracking/constructed__chronyc-tracking-1557s-slow.txt";
const CHRONY_FREE = "chronyc-tracking/constructed__chronyc-tracking-not-synchronised.txt";

describe("clock-unsynchronised on chronyc tracking", () => {
  it("says how far the clock is from NTP time, and is surer past Kerberos's 300 s", async () => {
    const r = await replay({ "chronyc-tracking": CHRONY_SLOW }, "errors");
    const h = hyp(r, "clock-unsynchronised");
    expect(h?.category).toBe("clock-skew");
    expect(h?.title).toBe("The system clock is 1557.76 s slow of NTP time");
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    expect(h?.evidence[0]?.excerpt).toBe(
      "System time : 1557.763061523 seconds slow of NTP time; Leap status : Normal",
    );
    expect(r.hypotheses[0]?.category).toBe("clock-skew");
  });

  it("says when chronyd follows no source", async () => {
    const r = await replay({ "chronyc-tracking": CHRONY_FREE }, "health");
    const h = hyp(r, "clock-unsynchronised");
    expect(h?.title).toBe("The system clock is not synchronised: chronyd follows no NTP source");
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(h?.evidence[0]?.excerpt).toMatch(/Leap status : Not synchronised$/);
  });

  it("stays quiet on a clock synchronised within a microsecond, and on one 0.4 s off", async () => {
    const synced = await replay({ "chronyc-tracking": CHRONY_SYNCED }, "health");
    expect(hyp(synced, "clock-unsynchronised")).toBeUndefined();
    expect(synced.checked.find((c) => c.rule === "clock-unsynchronised")?.verdict).toBe("fine");
    const text = readFixture(CHRONY_SYNCED).replace(
      "0.000000626 seconds slow",
      "0.400000000 seconds fast",
    );
    const near = await replay({ "chronyc-tracking": { text } }, "health");
    expect(hyp(near, "clock-unsynchronised")).toBeUndefined();
    expect(near.checked.find((c) => c.rule === "clock-unsynchronised")?.why).toMatch(/0\.4/);
  });
});
