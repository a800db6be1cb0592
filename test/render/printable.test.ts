import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { printable, printableDeep } from "../../src/render/printable.js";
import { renderTerminal } from "../../src/render/terminal.js";
import { fakeReport } from "../helpers/reports.js";

/** A host's text carrying codes a terminal acts on: retitle, clipboard write, carriage return. */
const HOSTILE = "oom \u001b]0;PWNED\u0007 \u001b]52;c;ZWNobyBoaQ==\u0007 \r\u009b2J end";

describe("host text printed on a terminal", () => {
  it("shows every control character but tab and newline as \\xNN", () => {
    expect(printable(HOSTILE)).toBe(
      "oom \\x1b]0;PWNED\\x07 \\x1b]52;c;ZWNobyBoaQ==\\x07 \\x0d\\x9b2J end",
    );
    expect(printable("a\tb\nc — ü")).toBe("a\tb\nc — ü");
    expect(printableDeep({ a: [HOSTILE], n: 1, b: true })).toEqual({
      a: [printable(HOSTILE)],
      n: 1,
      b: true,
    });
  });

  it("never reaches the terminal raw from a report", () => {
    const report: Report = {
      ...fakeReport({ host: `web-1${HOSTILE}`, excerpt: HOSTILE }),
      collectors: [{ id: "dmesg", status: "failed", durationMs: 3, error: HOSTILE }],
      notes: [HOSTILE],
      summary: HOSTILE,
    };
    const text = renderTerminal(report, { color: false, verbose: true });
    expect(text).toContain("\\x1b]52;c;");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the raw codes
    expect(text).not.toMatch(/[\u001b\u0007\r\u009b]/);
  });
});
