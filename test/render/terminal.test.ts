import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { ProblemLog } from "../../src/parsers/lines.js";
import { renderTerminal } from "../../src/render/terminal.js";

/** The terminal's collector lines: the real count of unreadable lines, not the 200 listed. */
function reportWith(problems: Report["collectors"][number]["problems"]): Report {
  return {
    version: 1,
    host: "h",
    symptom: "health",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    window: { seconds: 5, mode: "window" },
    hypotheses: [],
    checked: [],
    collectors: [{ id: "dmesg", status: "ok", durationMs: 3, problems }],
    ignored: [],
    notes: [],
    summary: "",
  };
}

describe("unreadable lines in the terminal", () => {
  it("counts the problems that were not listed too", () => {
    const log = new ProblemLog();
    for (let i = 1; i <= 813_239; i++) log.add(i, "\u0001garbage", "not a kernel log line");
    const problems = log.list();
    expect(problems.length).toBe(201);
    const text = renderTerminal(reportWith(problems), { color: false });
    expect(text).toMatch(/dmesg +ok +3 ms {2}813239 unreadable lines/);
    expect(text).not.toMatch(/201 unreadable/);
  });

  it("says one line in the singular", () => {
    const text = renderTerminal(reportWith([{ line: 4, text: "x", reason: "r" }]), {
      color: false,
    });
    expect(text).toMatch(/1 unreadable line$/m);
  });
});
