import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

/**
 * run-queue-wait-cpus-idle: PSI cpu "some" high while CPU time is left idle. Replayed from
 * bundles holding `/proc/pressure/cpu` (Documentation/accounting/psi.rst layout) and a vmstat
 * in procps-ng's layout.
 */
function pressure(someAvg10: number): string {
  return [
    `some avg10=${someAvg10.toFixed(2)} avg60=${(someAvg10 / 2).toFixed(2)} avg300=1.20 total=48211934`,
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0",
    "",
  ].join("\n");
}

/** `vmstat 1 4` with `id` (idle %) as given in the three interval lines. */
function vmstat(idle: number): string {
  const line = (us: number, sy: number, id: number) =>
    ` 3  0      0 24232596   3488 351580    0    0     0     8  900 4100 ${us} ${sy} ${id}  0  0`;
  const busy = 100 - idle;
  return [
    "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----",
    " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st",
    " 1  0      0 24232596   3488 351580    0    0  1193  1889  559 1456 14  8 77  0  0",
    line(busy - 5, 5, idle),
    line(busy - 5, 5, idle),
    line(busy - 5, 5, idle),
    "",
  ].join("\n");
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(someAvg10: number, idle: number) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-psi-"));
  dirs.push(dir);
  writeFileSync(join(dir, "pressure-cpu.out"), pressure(someAvg10));
  writeFileSync(join(dir, "vmstat.out"), vmstat(idle));
  const report = (await diagnoseBundle(dir, "t", "latency", await loadRunbooks())).report;
  return {
    report,
    hyp: report.hypotheses.find((h) => h.rule === "run-queue-wait-cpus-idle"),
  };
}

describe("tasks wait for a CPU while CPU time is idle (PSI cpu some)", () => {
  it("is a run-queue-latency finding", async () => {
    const { hyp } = await replay(18.5, 55);
    expect(hyp?.category).toBe("run-queue-latency");
    expect(hyp?.title).toBe(
      "Runnable tasks waited for a CPU 18.5 % of the last 10 s while 55 % of CPU time was idle",
    );
    expect(hyp?.confidence).toBeCloseTo(0.4, 5);
    const psi = hyp?.evidence.find((e) => e.fact === "psi.cpu.some_avg10");
    expect(psi?.excerpt).toMatch(/^some avg10=18\.5 avg60=9\.25 /);
  });

  it("gains confidence when a quarter of the time some task waited", async () => {
    const { hyp } = await replay(30, 40);
    expect(hyp?.confidence).toBeCloseTo(0.5, 5);
  });

  it("is saturation, not this, when the CPUs are busy", async () => {
    const { report, hyp } = await replay(40, 3);
    expect(hyp).toBeUndefined();
    expect(report.checked.find((c) => c.rule === "run-queue-wait-cpus-idle")?.verdict).toBe("fine");
  });

  it("is quiet under 10 % some", async () => {
    const { hyp } = await replay(4, 60);
    expect(hyp).toBeUndefined();
  });
});

describe("busy CPUs with tasks waiting in bursts (10 to 30 % idle, PSI cpu some)", () => {
  const bursts = (r: Awaited<ReturnType<typeof replay>>) =>
    r.report.hypotheses.find((h) => h.rule === "cpu-saturation-bursts");

  it("is cpu-saturation in bursts", async () => {
    const r = await replay(32, 18);
    const hyp = bursts(r);
    expect(hyp?.category).toBe("cpu-saturation");
    expect(hyp?.title).toBe(
      "CPUs are saturated in bursts: runnable tasks waited for a CPU 32 % of the last 10 s though 18 % of CPU time was idle on average",
    );
    expect(hyp?.confidence).toBeCloseTo(0.45, 5);
    expect(r.report.hypotheses[0]?.category).toBe("cpu-saturation");
  });

  it("gains confidence when tasks waited 40 % of the time", async () => {
    expect(bursts(await replay(45, 12))?.confidence).toBeCloseTo(0.6, 5);
  });

  it("leaves each neighbour its own range: saturation under 10 % idle, idle capacity from 30 %", async () => {
    const saturated = await replay(40, 5);
    expect(bursts(saturated)).toBeUndefined();
    expect(saturated.report.hypotheses[0]?.rule).toBe("cpu-saturation");
    const idle = await replay(40, 35);
    expect(bursts(idle)).toBeUndefined();
    expect(idle.hyp).toBeDefined();
  });

  it("is quiet when tasks seldom waited", async () => {
    const r = await replay(12, 20);
    expect(bursts(r)).toBeUndefined();
    expect(r.report.checked.find((c) => c.rule === "cpu-saturation-bursts")?.verdict).toBe("fine");
  });
});
