import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";
import { type CpuShare, mpstatOutput } from "../helpers/mpstat.js";

/**
 * The CPU rules read from the kernel log, replayed as bundles: the Debian VM's dmesg
 * (test/fixtures/dmesg/vm-debian12-k6.18__dmesg.txt) with one line appended as the kernel prints
 * it, `sched: RT throttling activated` (kernel/sched/rt.c) or `hrtimer: interrupt took %llu ns`
 * (kernel/time/hrtimer.c); mpstat in sysstat's layout (test/helpers/mpstat.ts);
 * /proc/pressure/cpu (Documentation/accounting/psi.rst); the clocksource sysfs files.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The VM's dmesg, plus `line` printed 0.2 s after its last one (at 715.95 s). */
function dmesg(line?: string): string {
  const base = readFixture("dmesg/vm-debian12-k6.18__dmesg.txt");
  return line === undefined ? base : `${base}[  716.152944] ${line}\n`;
}

const RT = "sched: RT throttling activated";
/** The hrtimer line of an LKML report (23.4 ms). */
const HRTIMER = "hrtimer: interrupt took 23434934 ns";

function pressure(someAvg10: number): string {
  return [
    `some avg10=${someAvg10.toFixed(2)} avg60=${(someAvg10 / 2).toFixed(2)} avg300=1.20 total=48211934`,
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0",
    "",
  ].join("\n");
}

interface Host {
  log?: string;
  cpus: CpuShare[];
  psi?: number;
  clocksource?: string;
}

async function replay(h: Host) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-cpu-log-"));
  dirs.push(dir);
  writeFileSync(join(dir, "dmesg.out"), dmesg(h.log));
  writeFileSync(join(dir, "mpstat.out"), mpstatOutput(h.cpus));
  if (h.psi !== undefined) writeFileSync(join(dir, "pressure-cpu.out"), pressure(h.psi));
  if (h.clocksource !== undefined) {
    const sys = "/sys/devices/system/clocksource/clocksource0";
    writeFileSync(
      join(dir, "clocksource.out"),
      `==> ${sys}/current_clocksource <==\n${h.clocksource}\n==> ${sys}/available_clocksource <==\ntsc hpet acpi_pm \n`,
    );
  }
  const report = (await diagnoseBundle(dir, "t", "cpu", await loadRunbooks())).report;
  return {
    report,
    hyp: (rule: string) => report.hypotheses.find((x) => x.rule === rule),
    verdict: (rule: string) => report.checked.find((c) => c.rule === rule)?.verdict,
  };
}

const BUSY: CpuShare[] = [
  { usr: 93, sys: 4 },
  { usr: 95, sys: 3 },
];
/** cpu 1 held by one task, cpu 0 98 % idle: 49 % idle over both. */
const ONE_HELD: CpuShare[] = [
  { usr: 0, sys: 2 },
  { usr: 97, sys: 3 },
];

describe("sched: RT throttling activated (kernel/sched/rt.c)", () => {
  it("with every CPU busy, is cpu-saturation by real-time tasks", async () => {
    const { hyp } = await replay({ log: RT, cpus: BUSY, psi: 35 });
    const h = hyp("rt-tasks-throttled");
    expect(h?.category).toBe("cpu-saturation");
    expect(h?.title).toBe(
      "CPUs are saturated (2.5 % idle) and real-time tasks used their whole RT budget: the kernel throttled them ('sched: RT throttling activated')",
    );
    // base 0.55, PSI cpu some ≥ 10 adds 0.1
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    const line = h?.evidence.find((e) => e.fact === "sched.log.rt_throttled");
    expect(line?.excerpt).toMatch(/^\[ {2}716\.152944\] sched: RT throttling activated\b/);
  });

  it("with CPUs left idle and tasks waiting, is run-queue-latency behind them", async () => {
    const { hyp } = await replay({ log: RT, cpus: ONE_HELD, psi: 22 });
    expect(hyp("rt-tasks-throttled")).toBeUndefined();
    const h = hyp("run-queue-behind-rt-tasks");
    expect(h?.category).toBe("run-queue-latency");
    expect(h?.title).toBe(
      "Runnable tasks waited for a CPU 22 % of the last 10 s with 49 % of CPU time idle, behind real-time tasks the kernel had to throttle ('sched: RT throttling activated')",
    );
    // base 0.5, cpu 1 at 0 % idle adds 0.15
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    expect(h?.evidence.map((e) => e.fact)).toContain("psi.cpu.some_avg10");
  });

  it("is neither without the message, however busy the CPUs", async () => {
    const busy = await replay({ cpus: BUSY, psi: 35 });
    expect(busy.hyp("rt-tasks-throttled")).toBeUndefined();
    expect(busy.verdict("rt-tasks-throttled")).toBe("fine");
    const held = await replay({ cpus: ONE_HELD, psi: 22 });
    expect(held.hyp("run-queue-behind-rt-tasks")).toBeUndefined();
    expect(held.verdict("run-queue-behind-rt-tasks")).toBe("fine");
  });

  it("is not run-queue-latency when no task waits (PSI cpu some 1 %)", async () => {
    const { hyp, verdict } = await replay({ log: RT, cpus: ONE_HELD, psi: 1 });
    expect(hyp("run-queue-behind-rt-tasks")).toBeUndefined();
    expect(verdict("run-queue-behind-rt-tasks")).toBe("fine");
  });
});

describe("hrtimer: interrupt took N ns (kernel/time/hrtimer.c) with steal", () => {
  const STOLEN: CpuShare[] = [
    { usr: 40, sys: 5, steal: 6 },
    { usr: 38, sys: 5, steal: 8 },
  ];

  it("is steal-time: the vCPU was paused in the interrupt", async () => {
    const { hyp } = await replay({ log: HRTIMER, cpus: STOLEN });
    const h = hyp("steal-timer-interrupt-late");
    expect(h?.category).toBe("steal-time");
    expect(h?.title).toBe(
      "A timer interrupt of this VM took 23.43 ms ('hrtimer: interrupt took') with 7 % of CPU time stolen: the hypervisor paused the vCPU mid-interrupt",
    );
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    const line = h?.evidence.find((e) => e.fact === "sched.log.hrtimer_interrupt_ms");
    expect(line?.excerpt).toMatch(/^\[ {2}716\.152944\] hrtimer: interrupt took 23434934 ns\b/);
    // 7 % steal alone is under the steal-time rule's 10 %.
    expect(hyp("steal-time")).toBeUndefined();
  });

  it("weighs less when the clocksource is the HPET (its reads make the handler slow)", async () => {
    const { hyp } = await replay({ log: HRTIMER, cpus: STOLEN, clocksource: "hpet" });
    expect(hyp("steal-timer-interrupt-late")?.confidence).toBeCloseTo(0.25, 5);
  });

  it("is quiet on bare metal or a VM without steal", async () => {
    const { hyp, verdict } = await replay({ log: HRTIMER, cpus: ONE_HELD });
    expect(hyp("steal-timer-interrupt-late")).toBeUndefined();
    expect(verdict("steal-timer-interrupt-late")).toBe("fine");
  });

  it("is quiet on steal without the message", async () => {
    const { hyp, verdict } = await replay({ cpus: STOLEN });
    expect(hyp("steal-timer-interrupt-late")).toBeUndefined();
    expect(verdict("steal-timer-interrupt-late")).toBe("fine");
  });
});
