import { describe, expect, it } from "vitest";
import { parsePressure, pressureDelta } from "../../src/parsers/pressure.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("pressure parser", () => {
  it("reads /proc/pressure/cpu (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parsePressure,
      "pressure-cpu/vm-debian12-k6.18__pressure-cpu.txt",
    );
    expect(problems).toEqual([]);
    expect([facts.some_avg10, facts.some_avg60, facts.some_avg300]).toEqual([14.64, 19.13, 15.84]);
    expect(facts.some_total_us).toBe(101865283);
    expect(facts.full_total_us).toBe(0);
    expect(facts.cgroups).toEqual([]);
  });

  it("reads tail's sections: system-wide and the root cgroup (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parsePressure,
      "pressure-cpu/vm-debian12-k6.18__tail-pressure-cpu-and-cgroup.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.resource).toBe("cpu");
    expect(facts.some_avg60).toBe(19.13);
    expect(facts.system).toHaveLength(1);
    expect(facts.cgroups).toEqual([
      {
        path: "/sys/fs/cgroup/unified/cpu.pressure",
        resource: "cpu",
        cgroup: "/",
        some_avg10: 14.64,
        some_avg60: 19.13,
        some_avg300: 15.84,
        some_total_us: 101865283,
        full_avg10: 0,
        full_avg60: 0,
        full_avg300: 0,
        full_total_us: 0,
      },
    ]);
  });

  it("reads a cgroup cpu.pressure without a full line (elastic docker system.slice)", () => {
    const { facts } = parseFixture(
      parsePressure,
      "pressure-cpu/elastic-asm__docker.zip__system.slice_cpu.pressure.txt",
    );
    expect([facts.some_avg10, facts.some_avg60, facts.some_avg300]).toEqual([0, 0.04, 0]);
    expect(facts.some_total_us).toBe(2798967170);
    expect(facts.full_avg10).toBeUndefined();
  });

  it.each([
    [
      "pressure-cpu/elastic-asm__docker2.zip__session-520.scope_cpu.pressure.txt",
      0,
      115056064,
      0,
      29254180,
    ],
    ["pressure-cpu/node_exporter__proc_pressure_cpu.txt", 0, 14036781, 0, 0],
    ["pressure-cpu/telegraf__cgroup__v2_cpu.pressure.txt", 0.08, 293391454, 0.08, 277111656],
    ["pressure-cpu/telegraf__kernel__pressure_cpu.txt", 60, 114514, 0, 0],
    ["pressure-memory/node_exporter__proc_pressure_memory.txt", 0, 0, 0, 0],
    ["pressure-memory/vm-debian12-k6.18__pressure-memory.txt", 0, 0, 0, 0],
    [
      "pressure-io/elastic-asm__docker2.zip__session-520.scope_io.pressure.txt",
      0,
      10748370,
      0,
      7726267,
    ],
    ["pressure-io/node_exporter__proc_pressure_io.txt", 0.34, 159886802, 0.34, 159229614],
    ["pressure-io/vm-debian12-k6.18__pressure-io.txt", 0.02, 4452893, 0.01, 3820464],
  ])("reads some/full avg60 and totals: %s", (file, someAvg60, someTotal, fullAvg60, fullTotal) => {
    const { facts, problems } = parseFixture(parsePressure, file);
    expect(problems).toEqual([]);
    expect([facts.some_avg60, facts.some_total_us, facts.full_avg60, facts.full_total_us]).toEqual([
      someAvg60,
      someTotal,
      fullAvg60,
      fullTotal,
    ]);
  });

  it("reads the other averages of three fixtures by hand", () => {
    const t = parseFixture(parsePressure, "pressure-cpu/telegraf__kernel__pressure_cpu.txt").facts;
    expect([t.some_avg10, t.some_avg300]).toEqual([10, 300]);
    const io = parseFixture(parsePressure, "pressure-io/node_exporter__proc_pressure_io.txt").facts;
    expect([io.some_avg10, io.some_avg300, io.full_avg10, io.full_avg300]).toEqual([
      0.18, 0.1, 0.18, 0.1,
    ]);
    const vm = parseFixture(parsePressure, "pressure-io/vm-debian12-k6.18__pressure-io.txt").facts;
    expect([vm.some_avg300, vm.full_avg300]).toEqual([0.14, 0.12]);
    const tg = parseFixture(
      parsePressure,
      "pressure-cpu/telegraf__cgroup__v2_cpu.pressure.txt",
    ).facts;
    expect([tg.some_avg300, tg.full_avg300]).toEqual([0.06, 0.05]);
  });

  it("reads the legacy pre-upstream format's averages and records its other rows (oomd)", () => {
    const { facts, problems } = parseFixture(
      parsePressure,
      "pressure-memory/oomd__fixtures_cgroup_service3.service_memory.pressure.txt",
    );
    expect([facts.some_avg10, facts.some_avg60, facts.some_avg300]).toEqual([1.11, 2.22, 3.33]);
    expect([facts.full_avg10, facts.full_avg60, facts.full_avg300]).toEqual([4.44, 5.55, 6.66]);
    expect(facts.some_total_us).toBeUndefined();
    expect(problems.map((p) => p.line)).toEqual([1, 4, 5, 6, 7]);
  });

  it("records a prompt and an elision and keeps reading", () => {
    const { facts, problems } = parseText(
      parsePressure,
      "$ cat /proc/pressure/io\nsome avg10=1.50 avg60=0.50 avg300=0.10 total=123\n...\n",
    );
    expect(facts.some_avg10).toBe(1.5);
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
  });

  it("gives the stall share over a window from the totals", () => {
    const start = parseText(
      parsePressure,
      "some avg10=0 avg60=0 avg300=0 total=1000000\nfull avg10=0 avg60=0 avg300=0 total=500000\n",
    ).facts;
    const end = parseText(
      parsePressure,
      "some avg10=0 avg60=0 avg300=0 total=3500000\nfull avg10=0 avg60=0 avg300=0 total=500000\n",
    ).facts;
    expect(pressureDelta(start, end, 5)).toEqual({ some_pct: 50, full_pct: 0, cgroups: [] });
    expect(pressureDelta(end, start, 5)).toEqual({ full_pct: 0, cgroups: [] }); // some went down: no value
    expect(() => pressureDelta(start, end, 0)).toThrow(RangeError);
    const c = (t: number) =>
      parseText(
        parsePressure,
        `==> /sys/fs/cgroup/app.slice/cpu.pressure <==\nsome avg10=0 avg60=0 avg300=0 total=${t}\n`,
      ).facts;
    expect(pressureDelta(c(0), c(2000000), 10).cgroups).toEqual([
      { path: "/sys/fs/cgroup/app.slice/cpu.pressure", cgroup: "/app.slice", some_pct: 20 },
    ]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parsePressure, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parsePressure, "\u0000\u00ff garbage\nsome avg10=x\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
