import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { perfSched, perfSchedScript } from "../../src/collectors/perf-sched.js";
import { parsePerfSched } from "../../src/parsers/perf-sched.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("perf-sched parser", () => {
  it("reads the newer columns (Count, Max delay start/end) of the perf-sched man page", () => {
    const { facts, problems } = parseFixture(
      parsePerfSched,
      "perf-sched/linux-perf-doc__perf-sched.txt__latency_example.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.tasks).toHaveLength(5);
    expect(facts.tasks[0]).toEqual({
      task: "perf:(2)",
      comm: "perf",
      pid: null,
      tasks: 2,
      runtime_ms: 2.804,
      switches: 66,
      avg_delay_ms: 0.524,
      max_delay_ms: 1.069,
      max_delay_at_s: 254752.316029,
      max_delay_start_s: 254752.31496,
    });
    expect(facts.tasks[2]).toMatchObject({ comm: "kworker/1:2-xfs", pid: 4649, runtime_ms: 0.012 });
    expect(facts.tasks[1]).toMatchObject({ comm: "NetworkManager", pid: 1343, switches: 13 });
    expect(facts.worst_max_delay?.task).toBe("perf:(2)");
    expect(facts.max_delay_ms).toBe(1.069);
    expect(facts.total_runtime_ms).toBeNull();
  });

  it("reads this VM's run with the TOTAL line", () => {
    const { facts, problems } = parseFixture(
      parsePerfSched,
      "perf-sched/vm-debian12-k6.18__perf-sched-latency.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.tasks).toHaveLength(11);
    expect(facts.tasks[1]).toMatchObject({ comm: "memfd:sealed-91", pid: 1449, runtime_ms: 1.367 });
    expect(facts.tasks[10]).toMatchObject({ task: "kworker/0:0-mm_:18765", runtime_ms: 0.015 });
    expect(facts.total_runtime_ms).toBe(4.263);
    expect(facts.total_switches).toBe(11);
    expect(facts.max_delay_ms).toBe(0);
  });

  it("reads the collector script's output: merged rows, an empty comm, INFO lines", () => {
    const { facts, problems } = parseFixture(
      parsePerfSched,
      "perf-sched/vm-debian12-k6.18__perf-sched-script.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.tasks[2]).toMatchObject({
      comm: "node",
      tasks: 59,
      switches: 2274,
      avg_delay_ms: 2.317,
      max_delay_ms: 83.997,
      max_delay_start_s: 1445.420682,
      max_delay_at_s: 1445.50468,
    });
    expect(facts.tasks[3]).toMatchObject({ comm: "npm exec tsc -p", pid: 6352 });
    expect(facts.tasks.find((t) => t.pid === 2182)?.comm).toBe("postgres");
    expect(facts.worst_max_delay?.task).toBe("node:(59)");
    expect(facts.worst_avg_delay?.task).toBe("readlink:6337");
    expect(facts.total_runtime_ms).toBe(3987.14);
    expect(facts.total_switches).toBe(2947);
    expect(facts.info).toEqual(["INFO: 13.158% context switch bugs (10 out of 76)"]);
  });

  it("reads old perf's columns from a pasted issue (tikv#2473), sysctl lines are problems", () => {
    const { facts, problems } = parseFixture(
      parsePerfSched,
      "perf-sched/scenario-30__tikv-issue-2473__perf-sched.txt",
    );
    expect(facts.tasks[0]).toEqual({
      task: "raftstore-4:82059",
      comm: "raftstore-4",
      pid: 82059,
      tasks: 1,
      runtime_ms: 3568.419,
      switches: 9713,
      avg_delay_ms: 0.025,
      max_delay_ms: 12.974,
      max_delay_at_s: 9394868.547878,
    });
    expect(facts.tasks[1]).toMatchObject({ comm: "tidb-ycsb", tasks: 63, switches: 367843 });
    expect(facts.tasks[4]).toMatchObject({
      task: "rocksdb:bg0:(6)",
      comm: "rocksdb:bg0",
      max_delay_ms: 6.635,
    });
    expect(facts.worst_max_delay?.comm).toBe("raftstore-4");
    expect(facts.worst_avg_delay?.comm).toBe("tidb-ycsb");
    expect(facts.max_delay_ms).toBe(12.974);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3]);
  });

  it("records a shell prompt and an elision, and keeps reading", () => {
    const text = [
      "# perf sched latency",
      "  Task                  |   Runtime ms  | Switches | Average delay ms | Maximum delay ms | Maximum delay at       |",
      "  a:1                   |      1.000 ms |        2 | avg:    0.500 ms | max:    0.900 ms | max at:    10.000000 s",
      "...",
      "  b:2                   |      2.000 ms |        4 | avg:    1.500 ms | max:    1.900 ms | max at:    11.000000 s",
    ].join("\n");
    const { facts, problems } = parseText(parsePerfSched, text);
    expect(facts.tasks.map((t) => t.pid)).toEqual([1, 2]);
    expect(facts.mean_delay_ms).toBeCloseTo((0.5 * 2 + 1.5 * 4) / 6, 3);
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("accepts a header alone, rejects empty input and garbage", () => {
    const header = parseText(
      parsePerfSched,
      "  Task                  |   Runtime ms  | Count | Avg delay ms | Max delay ms | Max delay start | Max delay end |\n",
    );
    expect(header.facts.tasks).toEqual([]);
    expect(header.facts.worst_max_delay).toBeNull();
    expect(() => parseText(parsePerfSched, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parsePerfSched, "\u0000\u00ff\u0001|\u0002\n|||\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("perf-sched collector", () => {
  it("is a script capped to 5 s, skipped where root is only reachable through sudo", () => {
    expect(perfSched.command({ windowSeconds: 30, pids: [], sudo: true, root: false })).toBeNull();
    const line = perfSched.command({ windowSeconds: 30, pids: [], sudo: false, root: true });
    expect(line?.script).toContain("sleep 5 ");
    expect(line?.script).toContain('perf sched latency -i "$d/perf.data"');
    expect(perfSchedScript(2)).toContain("sleep 2 ");
    expect(perfSched.cost).toBe("intrusive");
  });

  it("removes its temporary directory when stopped with SIGINT", () => {
    // A stand-in `perf` that notes its output path and sleeps: no perf and no root needed.
    const fake = mkdtempSync(join(tmpdir(), "diagbot-test-fake-perf-"));
    const note = join(fake, "note");
    writeFileSync(join(fake, "perf"), `#!/bin/sh\necho "$4" > "${note}"\nexec sleep 5\n`, {
      mode: 0o755,
    });
    try {
      execFileSync("timeout", ["-s", "INT", "1", "sh", "-c", perfSchedScript(5)], {
        env: { ...process.env, PATH: `${fake}:${process.env.PATH}` },
        stdio: "ignore",
      });
    } catch {
      // timeout exits 124
    }
    const data = readFileSync(note, "utf8").trim();
    rmSync(fake, { recursive: true });
    expect(data).toMatch(/\/tmp\/diagbot\.\d+\/sched\.\d+\/perf\.data$/);
    expect(existsSync(dirname(data))).toBe(false);
  });
});
