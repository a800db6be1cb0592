import { describe, expect, it } from "vitest";
import { perfReport, perfReportScript } from "../../src/collectors/perf-report.js";
import { parsePerfReport } from "../../src/parsers/perf-report.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const VM = "perf-report/vm-debian12-k6.18__perf-report";

describe("perf-report parser", () => {
  it("reads the collector's report: entries, call graphs skipped, top symbols", () => {
    const { facts, problems } = parseFixture(parsePerfReport, `${VM}.txt`);
    expect(problems).toEqual([]);
    expect(facts.event).toBe("cpu-clock:pppH");
    expect(facts.samples).toBe(814);
    expect(facts.event_count).toBe(8222222140);
    expect(facts.lost_samples).toBe(0);
    expect(facts.rows[0]).toEqual({
      overhead_pct: 20.52,
      command: "swapper",
      shared_object: "[kernel.kallsyms]",
      symbol: "pv_native_safe_halt",
      kernel: true,
    });
    expect(facts.rows[1]).toMatchObject({
      overhead_pct: 2.95,
      command: "dd",
      symbol: "do_syscall_64",
    });
    expect(facts.rows.find((r) => r.symbol === "read")).toMatchObject({
      overhead_pct: 1.11,
      command: "dd",
      shared_object: "libc.so.6",
      kernel: false,
    });
    expect(facts.rows).toHaveLength(25);
    expect(facts.top_symbols[0]).toMatchObject({
      symbol: "pv_native_safe_halt",
      overhead_pct: 20.52,
    });
    expect(facts.top_commands[0]).toEqual({ command: "swapper", overhead_pct: 20.52 });
    expect(facts.top_commands.map((c) => c.command)).toContain("node");
    expect(facts.callchain_top.find((c) => c.symbol === "__GI___libc_write")?.pct).toBeGreaterThan(
      0,
    );
  });

  it("reads Children/Self without a Command column (--comms)", () => {
    const { facts, problems } = parseFixture(parsePerfReport, `${VM}-children-comms.txt`);
    expect(problems).toEqual([]);
    expect(facts.samples).toBe(395);
    expect(facts.rows).toHaveLength(6);
    expect(facts.rows[1]).toEqual({
      overhead_pct: 8.1,
      children_pct: 13.16,
      shared_object: "[kernel.kallsyms]",
      symbol: "do_syscall_64",
      kernel: true,
    });
    expect(facts.rows[2]).toMatchObject({
      children_pct: 11.9,
      overhead_pct: 4.81,
      symbol: "read",
      kernel: false,
    });
    expect(facts.rows[5]).toMatchObject({
      children_pct: 2.03,
      overhead_pct: 0,
      symbol: "ksys_write",
    });
    expect(facts.kernel_pct).toBe(8.35);
    expect(facts.callchain_top[0]).toEqual({ symbol: "entry_SYSCALL_64_after_hwframe", pct: 7.09 });
  });

  it("reads --sort pid (Pid:Command, commands with spaces and colons)", () => {
    const { facts, problems } = parseFixture(parsePerfReport, `${VM}-sort-pid.txt`);
    expect(problems).toEqual([]);
    expect(facts.samples).toBe(16000);
    expect(facts.rows).toHaveLength(114);
    expect(facts.rows[0]).toEqual({
      overhead_pct: 43.52,
      pid: 14377,
      command: "sh",
      kernel: false,
    });
    expect(facts.rows[2]).toMatchObject({
      pid: 14446,
      command: "npm exec tsc -p",
      overhead_pct: 7.78,
    });
    expect(facts.rows.find((r) => r.pid === 14455)?.command).toBe("memfd:sealed-91");
    expect(facts.top_symbols).toEqual([]);
  });

  it("reads -n (Samples) with folded call chains", () => {
    const { facts, problems } = parseFixture(parsePerfReport, `${VM}-n-folded.txt`);
    expect(problems).toEqual([]);
    expect(facts.rows[0]).toEqual({
      overhead_pct: 12.87,
      samples: 2059,
      command: "dd",
      symbol: "do_syscall_64",
      kernel: true,
    });
    expect(facts.rows[1]).toMatchObject({
      samples: 1175,
      symbol: "__GI___libc_write",
      kernel: false,
    });
    expect(facts.rows).toHaveLength(12);
  });

  it("reads the TUI copy pasted in sozu#500 (no #, a leading -, tree children)", () => {
    const { facts, problems } = parseFixture(
      parsePerfReport,
      "perf-report/scenario-20__sozu-issue-500__perf-report.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.rows).toEqual([
      {
        overhead_pct: 0.28,
        children_pct: 80.05,
        command: "sozu",
        shared_object: "[kernel.kallsyms]",
        symbol: "entry_SYSCALL_64_fastpath",
        kernel: true,
      },
    ]);
    expect(facts.callchain_top).toEqual([
      { symbol: "entry_SYSCALL_64_fastpath", pct: 79.77 },
      { symbol: "sys_clock_gettime", pct: 59.34 },
      { symbol: "posix_ktime_get_ts", pct: 31.99 },
    ]);
    expect(facts.samples).toBeNull();
  });

  it("tags rows with their event when a report holds several", () => {
    const text = [
      "# Samples: 1K of event 'cycles'",
      "# Overhead  Command  Shared Object      Symbol",
      "    60.00%  nginx    [kernel.kallsyms]  [k] _raw_spin_lock",
      "    40.00%  nginx    nginx              [.] ngx_http_parse",
      "# Samples: 2K of event 'instructions'",
      "# Overhead  Command  Shared Object      Symbol",
      "    90.00%  nginx    nginx              [.] ngx_http_parse",
    ].join("\n");
    const { facts } = parseText(parsePerfReport, text);
    expect(facts.events.map((e) => [e.event, e.samples])).toEqual([
      ["cycles", 1000],
      ["instructions", 2000],
    ]);
    expect(facts.rows.map((r) => r.event)).toEqual(["cycles", "cycles", "instructions"]);
    expect(facts.top_symbols[0]).toMatchObject({
      symbol: "_raw_spin_lock",
      overhead_pct: 60,
      kernel: true,
    });
    expect(facts.kernel_pct).toBe(60);
  });

  it("records a shell prompt and an elision, and keeps reading", () => {
    const text = [
      "$ perf report --stdio",
      "# Overhead  Command  Shared Object      Symbol",
      "    45.12%  nginx    [kernel.kallsyms]  [k] _raw_spin_lock",
      "...",
      "     5.00%  nginx    libc.so.6          [.] memcpy",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfReport, text);
    expect(facts.rows.map((r) => r.symbol)).toEqual(["_raw_spin_lock", "memcpy"]);
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("accepts a header alone, rejects empty input and garbage", () => {
    expect(
      parseText(parsePerfReport, "# Overhead  Command  Shared Object  Symbol\n").facts.rows,
    ).toEqual([]);
    expect(() => parseText(parsePerfReport, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parsePerfReport, "\u0000\u00ff\u0001 12% garbage\n%%\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("perf-report collector", () => {
  it("records at most 5 s at 99 Hz into a temporary directory, skipped under sudo", () => {
    expect(perfReport.command({ windowSeconds: 10, pids: [], sudo: true, root: false })).toBeNull();
    const script = perfReport.command({
      windowSeconds: 10,
      pids: [],
      sudo: false,
      root: true,
    })?.script;
    expect(script).toContain('perf record -F 99 -a -g -o "$d/perf.data" -- sleep 5 ');
    expect(script).toContain("trap 'rm -rf \"$d\"' EXIT");
    expect(perfReportScript(3)).toContain("sleep 3 ");
    expect(perfReport.cost).toBe("intrusive");
  });
});
