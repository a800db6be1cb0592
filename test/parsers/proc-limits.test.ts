import { describe, expect, it } from "vitest";
import { parseProcLimits } from "../../src/parsers/proc-limits.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("proc-limits parser", () => {
  it("reads two processes from the collector's sections (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseProcLimits,
      "proc-limits/vm-debian12-k6.18__proc-limits.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.processes.map((p) => p.pid)).toEqual([1, 3764]);
    const [init, maria] = facts.processes;
    expect(Object.keys(init.limits)).toHaveLength(16);
    expect(init.limits.max_open_files).toEqual({ soft: 32768, hard: 32768, units: "files" });
    expect(init.limits.max_stack_size).toEqual({ soft: 8388608, hard: null, units: "bytes" });
    expect(init.limits.max_nice_priority).toEqual({ soft: 0, hard: 0, units: "" });
    expect(init.limits.max_realtime_timeout).toEqual({ soft: null, hard: null, units: "us" });
    expect(maria.limits.max_open_files).toEqual({ soft: 20000, hard: 20000, units: "files" });
    expect(maria.limits.max_locked_memory.soft).toBe(8388608);
    expect(init.limits.max_locked_memory.soft).toBeNull();
    expect(facts.lowest_nofile).toEqual({ pid: 3764, soft: 20000, hard: 20000 });
  });

  it("reads a pasted excerpt with elisions (scenario 24: soft 1024, hard 4096)", () => {
    const { facts, problems } = parseFixture(
      parseProcLimits,
      "proc-limits/scenario-24__flynn-issue-1205__proc-limits.txt",
    );
    expect(facts.processes).toEqual([
      { pid: null, limits: { max_open_files: { soft: 1024, hard: 4096, units: "files" } } },
    ]);
    expect(facts.lowest_nofile).toEqual({ pid: null, soft: 1024, hard: 4096 });
    expect(problems.map((p) => [p.line, p.text])).toEqual([
      [1, "..."],
      [4, "..."],
    ]);
  });

  it("splits two unmarked tables, keeps a vanished process and collapsed spacing", () => {
    const text = [
      "$ cat /proc/42/limits /proc/43/limits",
      "Limit Soft Limit Hard Limit Units",
      "Max open files 1024 524288 files",
      "Limit                     Soft Limit           Hard Limit           Units",
      "Max open files            65536                65536                files",
      "==> /proc/44/limits <==",
    ].join("\n");
    const { facts, problems } = parseText(parseProcLimits, text);
    expect(facts.processes).toEqual([
      { pid: null, limits: { max_open_files: { soft: 1024, hard: 524288, units: "files" } } },
      { pid: null, limits: { max_open_files: { soft: 65536, hard: 65536, units: "files" } } },
      { pid: 44, limits: {} },
    ]);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, text: "$ cat /proc/42/limits /proc/43/limits" }),
    ]);
  });

  it("accepts a header alone and rejects empty and garbage input", () => {
    expect(
      parseText(parseProcLimits, "Limit  Soft Limit  Hard Limit  Units\n").facts.processes,
    ).toEqual([{ pid: null, limits: {} }]);
    expect(() => parseText(parseProcLimits, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseProcLimits, "\u0000\u00ff garbage\nMax\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
