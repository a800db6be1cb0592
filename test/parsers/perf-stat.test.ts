import { describe, expect, it } from "vitest";
import { perfStat } from "../../src/collectors/perf-stat.js";
import { baseEvent, parsePerfStat, perfCount } from "../../src/parsers/perf-stat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const VM = "perf-stat/vm-debian12-k6.18__perf-stat";

describe("perf-stat parser", () => {
  it("reads this VM's system-wide run: software events counted, hardware not supported", () => {
    const { facts, problems } = parseFixture(parsePerfStat, `${VM}.txt`);
    expect(problems).toEqual([]);
    expect(facts.target).toBe("system wide");
    expect(facts.events[0]).toMatchObject({
      event: "cpu-clock",
      value: 2003.43,
      unit: "msec",
      status: "counted",
      metric_value: 2,
      metric_unit: "CPUs utilized",
    });
    expect(facts.context_switches).toBe(103);
    expect(facts.cpu_migrations).toBe(6);
    expect(facts.page_faults).toBe(67);
    expect(facts.elapsed_s).toBe(1.00171216);
    expect(facts.cpus_utilized).toBe(2);
    expect(facts.hardware_counters_supported).toBe(false);
    expect(facts.not_supported).toEqual(["cycles", "instructions", "branches", "branch-misses"]);
    expect(facts.events.find((e) => e.event === "branches")).toMatchObject({
      value: null,
      status: "not-supported",
      running_pct: null,
    });
    expect(facts.cycles).toBeUndefined();
    expect(facts.ipc).toBeUndefined();
  });

  it("reads old perf's `task-clock:u (msec)` and user/sys lines (perf-stat man page)", () => {
    const { facts, problems } = parseFixture(
      parsePerfStat,
      "perf-stat/linux-perf-doc__perf-stat.txt__make_example.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.target).toBe("make");
    expect(facts.events[0]).toMatchObject({
      event: "task-clock:u",
      value: 83723.452481,
      unit: "msec",
    });
    expect(facts.task_clock_ms).toBe(83723.452);
    expect(facts.page_faults).toBe(3228188);
    expect(facts.cycles).toBe(229570665834);
    expect(facts.instructions).toBe(313163853778);
    expect(facts.ipc).toBeCloseTo(313163853778 / 229570665834, 3);
    expect(facts.branch_misses_pct).toBeCloseTo((2078861393 / 69704684856) * 100, 2);
    expect(facts.events.find((e) => e.event === "instructions:u")?.metric_unit).toBe(
      "insn per cycle",
    );
    expect([facts.elapsed_s, facts.user_s, facts.sys_s]).toEqual([
      83.40918362, 74.684747, 8.739217,
    ]);
    expect(facts.hardware_counters_supported).toBe(true);
  });

  it("reads the CSV form (-x,)", () => {
    const { facts, problems } = parseFixture(parsePerfStat, `${VM}-x.txt`);
    expect(problems).toEqual([]);
    expect(facts.events).toHaveLength(8);
    expect(facts.events[0]).toMatchObject({
      event: "cpu-clock",
      value: 2003,
      unit: "msec",
      runtime_ns: 2002996772,
      running_pct: 100,
      metric_value: 2,
      metric_unit: "CPUs utilized",
    });
    expect(facts.events[1]).toMatchObject({ event: "context-switches", value: 2846, unit: null });
    expect(facts.page_faults).toBe(66262);
    expect(facts.events[4]).toMatchObject({
      event: "cycles",
      status: "not-supported",
      value: null,
    });
    expect(facts.hardware_counters_supported).toBe(false);
  });

  it("reads -A rows per CPU and adds them up", () => {
    const { facts, problems } = parseFixture(parsePerfStat, `${VM}-A.txt`);
    expect(problems).toEqual([]);
    expect(facts.events).toHaveLength(16);
    expect(facts.events[1]).toMatchObject({ cpu: "CPU1", event: "cpu-clock", value: 1006.36 });
    expect(facts.events[10]).toMatchObject({
      cpu: "CPU0",
      event: "instructions",
      status: "not-supported",
    });
    expect(facts.context_switches).toBe(1218 + 1356);
    expect(facts.page_faults).toBe(33371 + 36225);
    expect(facts.cpu_clock_ms).toBeCloseTo(1006.16 + 1006.36, 3);
    expect(facts.cpus_utilized).toBe(2);
    expect(facts.elapsed_s).toBe(1.006355104);
  });

  it("reads --per-core rows with their CPU count", () => {
    const { facts } = parseFixture(parsePerfStat, `${VM}-per-core.txt`);
    expect(facts.events[0]).toMatchObject({
      cpu: "S0-D0-C0",
      cpus: 1,
      event: "cpu-clock",
      value: 1004.59,
    });
    expect(facts.events[9]).toMatchObject({ cpu: "S0-D0-C1", cpus: 1, value: 1328 });
    expect(facts.events[12]).toMatchObject({
      cpu: "S0-D0-C1",
      status: "not-supported",
      event: "cycles",
    });
    expect(facts.cpu_migrations).toBe(29 + 44);
  });

  it("reads -I intervals and rates over the last stamp", () => {
    const { facts, problems } = parseFixture(parsePerfStat, `${VM}-I.txt`);
    expect(problems).toEqual([]);
    expect(facts.events[0]).toMatchObject({
      time_s: 0.500563015,
      value: 1001.3,
      event: "cpu-clock",
    });
    expect(facts.events[9]).toMatchObject({ time_s: 1.001349165, value: 2022 });
    expect(facts.context_switches).toBe(2728 + 2022);
    expect(facts.context_switches_per_s).toBeCloseTo((2728 + 2022) / 1.001349165, 2);
    expect(facts.cpus_utilized).toBe(2.003);
    expect(facts.elapsed_s).toBeUndefined();
  });

  it("reads -r variance and the averaged elapsed time", () => {
    const { facts } = parseFixture(parsePerfStat, `${VM}-r.txt`);
    expect(facts.runs).toBe(3);
    expect(facts.target).toBe("/bin/ls /");
    expect(facts.events[0]).toMatchObject({ event: "task-clock", value: 0.82, variance_pct: 5.24 });
    expect(facts.events[3]).toMatchObject({ event: "page-faults", value: 84, variance_pct: 0.69 });
    expect(facts.elapsed_s).toBe(0.0013795);
    expect(facts.elapsed_variance_pct).toBe(6.69);
  });

  it("reads hybrid PMUs, multiplexing, two metrics on a line and TopdownL1 groups", () => {
    const text = [
      " Performance counter stats for 'system wide':",
      "",
      "             61.39 msec cpu-clock                        #   24.874 CPUs utilized",
      "         2,753,695      cpu_core/cycles/                 #   44.859 M/sec                       (99.96%)",
      "           903,899      cpu_atom/cycles/                 #   14.725 M/sec                       (99.92%)",
      "         2,927,529      cpu_core/instructions/           #   47.690 M/sec",
      "           428,498      cpu_atom/instructions/           #    6.980 M/sec",
      "     <not counted>      cpu_atom/branch-misses/                                                 (0.00%)",
      "           646,194      cpu_core/topdown-heavy-ops/      #      4.4% heavy operations       #     17.9% light operations",
      "             TopdownL1 (cpu_core)                 #     67.1 %  tma_backend_bound",
      "                                                  #      6.5 %  tma_bad_speculation",
      "",
      "       0.002467839 seconds time elapsed",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfStat, text);
    expect(problems).toEqual([]);
    expect(facts.events[1]).toMatchObject({
      event: "cpu_core/cycles/",
      value: 2753695,
      running_pct: 99.96,
    });
    expect(facts.cycles).toBe(2753695 + 903899);
    expect(facts.instructions).toBe(2927529 + 428498);
    expect(facts.ipc).toBeCloseTo((2927529 + 428498) / (2753695 + 903899), 3);
    expect(facts.multiplexed).toBe(true);
    expect(facts.not_counted).toEqual(["cpu_atom/branch-misses/"]);
    expect(facts.events[5]).toMatchObject({ status: "not-counted", running_pct: null });
    expect(facts.metrics).toEqual([
      {
        event: "cpu_core/topdown-heavy-ops/",
        metric_value: 17.9,
        metric_unit: "% light operations",
      },
      {
        event: null,
        group: "TopdownL1 (cpu_core)",
        metric_value: 67.1,
        metric_unit: "% tma_backend_bound",
      },
      {
        event: null,
        group: "TopdownL1 (cpu_core)",
        metric_value: 6.5,
        metric_unit: "% tma_bad_speculation",
      },
    ]);
  });

  it("reads other locales' separators, decimal commas and cache-miss shares", () => {
    const text = [
      " Performance counter stats for 'go test':",
      "",
      "        55.384.535      cache-references:u",
      "        22.779.399      cache-misses:u                   #   41,13% of all cache refs",
      "          2.003,43 msec task-clock:u",
      "     1’775’489’519      branch-instructions       # 2032.456 M/sec                    (74.45%)",
      "",
      "       2,993211760 seconds time elapsed",
      "       3,047863000 seconds user",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfStat, text);
    expect(problems).toEqual([]);
    expect(facts.cache_references).toBe(55384535);
    expect(facts.cache_misses).toBe(22779399);
    expect(facts.cache_misses_pct).toBeCloseTo((22779399 / 55384535) * 100, 2);
    expect(facts.task_clock_ms).toBe(2003.43);
    expect(facts.branches).toBe(1775489519);
    expect(facts.elapsed_s).toBe(2.99321176);
    expect(facts.user_s).toBe(3.047863);
  });

  it("reads perf 3.x `[49.45%]` and metric continuation lines", () => {
    const text = [
      " Performance counter stats for './bench':",
      "",
      "           35455940 cache-misses              #   53.504 % of all cache refs     [49.45%]",
      "           66267785 cache-references                                             [49.78%]",
      "          450768651 dTLB-loads",
      "                                                   [50.78%]",
      "              24580 dTLB-misses",
      "               #    0.01% of all dTLB cache hits  [51.01%]",
      "",
      "        0.855041819 seconds time elapsed",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfStat, text);
    expect(problems).toEqual([]);
    expect(facts.events[0]).toMatchObject({
      metric_value: 53.504,
      metric_unit: "% of all cache refs",
      running_pct: 49.45,
    });
    expect(facts.events[2]).toMatchObject({ event: "dTLB-loads", running_pct: 50.78 });
    expect(facts.metrics[0]).toMatchObject({
      event: "dTLB-misses",
      metric_value: 0.01,
      running_pct: 51.01,
    });
    expect(facts.cache_misses_pct).toBe(53.5);
  });

  it("reads -j JSON lines and a clock printed without unit (ns)", () => {
    const text = [
      '{"counter-value" : "2003.430000", "unit" : "msec", "event" : "cpu-clock", "event-runtime" : 2003429000, "pcnt-running" : 100.00, "metric-value" : "2.000000", "metric-unit" : "CPUs utilized"}',
      '{"counter-value" : "<not supported>", "unit" : "", "event" : "cycles", "event-runtime" : 0, "pcnt-running" : 100.00}',
    ].join("\n");
    const { facts } = parseText(parsePerfStat, text);
    expect(facts.cpu_clock_ms).toBe(2003.43);
    expect(facts.events[1]).toMatchObject({ status: "not-supported", running_pct: null });
    const ns = parseText(
      parsePerfStat,
      "    18,827,141,572      task-clock     #    1.000 CPUs utilized\n",
    );
    expect(ns.facts.task_clock_ms).toBe(18827.142);
  });

  it("keeps perf's notes and records a pasted prompt and an elision as problems", () => {
    const text = [
      "$ sudo perf stat -a -- sleep 1",
      " Performance counter stats for 'system wide':",
      "           2003.43 msec cpu-clock                        #    2.000 CPUs utilized",
      "...",
      "       1.001712160 seconds time elapsed",
      "Some events weren't counted. Try disabling the NMI watchdog:",
      "\techo 0 > /proc/sys/kernel/nmi_watchdog",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfStat, text);
    expect(facts.cpu_clock_ms).toBe(2003.43);
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
    expect(facts.messages).toHaveLength(2);
  });

  it("accepts a header alone, rejects empty input, garbage and a perf error", () => {
    const header = parseText(parsePerfStat, " Performance counter stats for 'system wide':\n\n");
    expect(header.facts.events).toEqual([]);
    expect(() => parseText(parsePerfStat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parsePerfStat, "\u0000\u00ff\u0001 garbage\n%%%\n")).toThrow(
      UnrecognisedOutputError,
    );
    expect(() =>
      parseText(
        parsePerfStat,
        "Error:\nAccess to performance monitoring and observability operations is limited.\n",
      ),
    ).toThrow(
      "no counters; perf said: Access to performance monitoring and observability operations is limited.",
    );
    // The whole refusal as perf prints it to a non-root user: the setting and what to do.
    const nonRoot = readFixture("perf-stat/vm-debian12-k6.18__perf-stat-a-non-root.txt");
    expect(() => parseText(parsePerfStat, nonRoot)).toThrow(
      /perf refused system-wide counting .*kernel\.perf_event_paranoid is 2, and perf stat -a needs 0 or lower, or root\): connect as root, or set sudo: true/,
    );
  });

  it("normalises event names and counts", () => {
    expect(baseEvent("cpu_core/cycles/u")).toBe("cycles");
    expect(baseEvent("cycles:u")).toBe("cycles");
    expect(baseEvent("cpu-cycles")).toBe("cycles");
    expect(perfCount("1,234,567", false)).toBe(1234567);
    expect(perfCount("1.234", false)).toBe(1234);
    expect(perfCount("1.234", true)).toBe(1.234);
    expect(perfCount("12,5", true)).toBe(12.5);
  });
});

describe("perf-stat collector", () => {
  it("counts system-wide over the window as root, reporting on stderr", () => {
    const line = perfStat.command({ windowSeconds: 7, pids: [], sudo: true, root: false });
    expect(line).toEqual({
      argv: ["/usr/bin/perf", "stat", "-a", "--", "/usr/bin/sleep", "7"],
      root: true,
    });
    expect(perfStat).toMatchObject({
      stream: "stderr",
      cost: "sampling",
      spansWindow: true,
      package: "linux-perf",
    });
  });
});
