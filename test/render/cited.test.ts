import { describe, expect, it } from "vitest";
import { citedLines } from "../../src/render/cited.js";
import { renderTerminal } from "../../src/render/terminal.js";
import { fakeReport } from "../helpers/reports.js";

/**
 * An OOM report gives several facts from one dmesg line (the kill count, the victim): the
 * report shows that line once, with the rules of every fact that read it.
 */

const line =
  "[ 2854.105868] Memory cgroup out of memory: Killed process 6877 (python3) total-vm:278720kB";

const evidence = [
  { collector: "dmesg", fact: "oom.kills", value: 1, threshold: ">= 1", excerpt: line },
  { collector: "dmesg", fact: "oom.memcg_kills", value: 1, threshold: ">= 1", excerpt: line },
  {
    collector: "meminfo",
    fact: "mem.available_pct",
    value: 3,
    threshold: "< 5",
    excerpt: "MemAvailable: 120000 kB",
  },
];

describe("citedLines", () => {
  it("gives a line read by several facts once, with their thresholds", () => {
    expect(citedLines(evidence)).toEqual([
      {
        collector: "dmesg",
        excerpt: line,
        threshold: "oom.kills >= 1; oom.memcg_kills >= 1",
        ids: [],
      },
      { collector: "meminfo", excerpt: "MemAvailable: 120000 kB", threshold: "< 5", ids: [] },
    ]);
    const withIds = evidence.map((e, i) => ({ ...e, id: `oom#${i + 1}` }));
    expect(citedLines(withIds).map((l) => l.ids)).toEqual([["oom#1", "oom#2"], ["oom#3"]]);
  });

  it("keeps the same text from two collectors apart", () => {
    const twice = [
      { collector: "a", fact: "x", value: 1, excerpt: "same" },
      { collector: "b", fact: "y", value: 1, excerpt: "same" },
    ];
    expect(citedLines(twice)).toHaveLength(2);
  });

  it("is what the terminal report prints", () => {
    const report = fakeReport({ category: "memory-oom" });
    report.hypotheses[0].evidence = evidence;
    const text = renderTerminal(report, { color: false });
    expect(text.split(line)).toHaveLength(2);
    expect(text).toContain("(rule: oom.kills >= 1; oom.memcg_kills >= 1)");
  });
});
