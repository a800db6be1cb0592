import { describe, expect, it } from "vitest";
import { rasMcCtl } from "../../src/collectors/ras-mc-ctl.js";
import { classify } from "../../src/engine/collect.js";
import { parseRasMcCtl } from "../../src/parsers/ras-mc-ctl.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";

/** `ras-mc-ctl --summary` (rasdaemon util/ras-mc-ctl.in `sub summary`). */
const DIR = "ras-mc-ctl";
const NO_EVENTS = `${DIR}/vm-debian12-k6.18__ras-mc-ctl-summary-no-events.txt`;
const UE_DIMM = `${DIR}/constructed__ras-mc-ctl-summary-ue-dimm.txt`;
const AER = `${DIR}/constructed__ras-mc-ctl-summary-aer-fatal.txt`;
const ISSUE_121 = `${DIR}/rasdaemon-issue-121__ras-mc-ctl-0.8.0-summary-mce-corrected.txt`;

describe("ras-mc-ctl parser", () => {
  it("reads a database with no events as four empty classes (recorded on a Debian 12 VM)", () => {
    const { facts, problems } = parseFixture(parseRasMcCtl, NO_EVENTS);
    expect(problems).toEqual([]);
    expect(facts).toEqual({
      memory: [],
      aer: [],
      mce: [],
      other: [],
      none: ["Memory", "PCIe AER", "Extlog", "MCE"],
    });
  });

  it("reads memory events per DIMM and type, and AER events per type", () => {
    const { facts, problems } = parseFixture(parseRasMcCtl, UE_DIMM);
    expect(problems).toEqual([]);
    expect(facts.memory).toEqual([
      {
        type: "Corrected",
        label: "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0",
        location: "0:1:0:-1",
        count: 37,
      },
      {
        type: "Corrected",
        label: "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0",
        location: "1:0:0:-1",
        count: 2,
      },
      {
        type: "Uncorrected",
        label: "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0",
        location: "0:1:0:-1",
        count: 1,
      },
    ]);
    expect(facts.aer).toEqual([{ type: "Corrected", message: "Receiver Error", count: 4 }]);
    expect(facts.none).toEqual(["Extlog", "MCE"]);
    const aer = parseFixture(parseRasMcCtl, AER).facts.aer;
    expect(aer.map((a) => [a.type, a.count, a.message])).toEqual([
      ["Corrected", 6, "Receiver Error"],
      ["Uncorrected (Fatal)", 1, "Completion Timeout"],
      ["Uncorrected (Non-Fatal)", 2, "Unsupported Request"],
    ]);
  });

  it("reads 0.8.0's MCE records and its extra empty classes (rasdaemon issue #121)", () => {
    const { facts, problems } = parseFixture(parseRasMcCtl, ISSUE_121);
    expect(problems).toEqual([]);
    expect(facts.mce).toEqual([
      { message: "Corrected error, no action required.", severity: "corrected", count: 1 },
    ]);
    expect(facts.none).toEqual([
      "Memory",
      "PCIe AER",
      "ARM processor",
      "Extlog",
      "devlink",
      "disk",
    ]);
  });

  it("tells an MCE record's severity only from AMD's messages, and keeps other classes' lines", () => {
    const text = [
      "MCE records summary:",
      "\t2 Uncorrected, software containable error. errors",
      "\t1 Deferred error, no action required. errors",
      "\t5 MEMORY CONTROLLER RD_CHANNEL0_ERR errors",
      "Extlog records summary:",
      "\t3 mem corrected errors",
    ].join("\n");
    const { facts, problems } = parseText(parseRasMcCtl, text);
    expect(problems).toEqual([]);
    expect(facts.mce.map((r) => [r.count, r.severity])).toEqual([
      [2, "uncorrected"],
      [1, "deferred"],
      [5, "unknown"],
    ]);
    expect(facts.other).toEqual([{ section: "Extlog", lines: ["3 mem corrected errors"] }]);
  });

  it("reports an --errors listing and a malformed group line instead of counting them", () => {
    const text = [
      "No Memory errors.",
      "",
      "MCE events:",
      "1 2024-12-19 03:52:38 +0000 error: Corrected error, no action required., CPU 2",
      "Memory controller events summary:",
      "\tCorrected on DIMM 'A1' errors: 3",
    ].join("\n");
    const { facts, problems } = parseText(parseRasMcCtl, text);
    expect(facts.memory).toEqual([]);
    expect(facts.mce).toEqual([]);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [3, "a `ras-mc-ctl --errors` listing: only --summary is read"],
      [4, "not a line of ras-mc-ctl --summary"],
      [6, "not a Memory controller summary line"],
    ]);
  });

  it("rejects empty, foreign and garbage input with the documented error", () => {
    expect(() => parseText(parseRasMcCtl, "")).toThrow(UnrecognisedOutputError);
    const stderr = readFixture(
      `${DIR}/vm-debian12-k6.18__ras-mc-ctl-summary-no-database.stderr.txt`,
    );
    expect(() => parseText(parseRasMcCtl, stderr)).toThrow(UnrecognisedOutputError);
    const pieces = readFixture(UE_DIMM)
      .split("\n")
      .map((l) => `${l}\n`);
    const out = expectOnlyUnrecognised(parseRasMcCtl, pieces, 5);
    expect(out.read).toBeGreaterThan(0);
    expect(out.unrecognised).toBeGreaterThan(0);
  });
});

describe("ras-mc-ctl collector", () => {
  const result = (exitCode: number, stderr: string) => ({
    stdout: Buffer.alloc(0),
    stderr: Buffer.from(stderr),
    exitCode,
    durationMs: 40,
    timedOut: false,
    truncated: false,
  });

  it("is skipped, not failed, where rasdaemon has no database (both stderrs recorded here)", () => {
    for (const [file, code] of [
      ["vm-debian12-k6.18__ras-mc-ctl-summary-no-database.stderr.txt", 255],
      ["vm-debian12-k6.18__ras-mc-ctl-summary-empty-database-file.stderr.txt", 2],
    ] as const) {
      const r = classify(
        rasMcCtl,
        "ras-mc-ctl --summary",
        result(code, readFixture(`${DIR}/${file}`)),
      );
      expect(r.status, file).toBe("skipped");
      expect(r.error).toMatch(/no event database/);
    }
    const own = classify(
      rasMcCtl,
      "ras-mc-ctl --summary",
      result(1, "/var/lib/rasdaemon/ras-mc_event.db: no rasdaemon database\n"),
    );
    expect(own.status).toBe("skipped");
  });

  it("is missing, naming the package, where the tool is not installed", () => {
    const r = classify(
      rasMcCtl,
      "ras-mc-ctl --summary",
      result(127, "ras-mc-ctl: command not found\n"),
    );
    expect(r.status).toBe("missing");
    expect(r.error).toContain("package rasdaemon");
  });

  it("never runs the tool where the database is absent (ras-mc-ctl would create an empty file)", () => {
    const script = rasMcCtl.command({
      windowSeconds: 5,
      pids: [],
      sudo: false,
      root: false,
    })?.script;
    expect(script).toMatch(/\[ -s \/var\/lib\/rasdaemon\/ras-mc_event\.db \] \|\|/);
    expect(script?.indexOf("[ -s")).toBeLessThan(script?.indexOf("exec ras-mc-ctl --summary") ?? 0);
  });
});
