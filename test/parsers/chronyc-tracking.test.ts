import { describe, expect, it } from "vitest";
import { parseChronycTracking } from "../../src/parsers/chronyc-tracking.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";

describe("chronyc-tracking parser (chronyc(1) tracking)", () => {
  it("reads a synchronised clock's offset, source and leap status (EC2 user guide)", () => {
    const { facts, problems } = parseFixture(
      parseChronycTracking,
      "chronyc-tracking/aws-docs__chronyc-tracking.txt",
    );
    expect(problems).toEqual([]);
    expect(facts).toMatchObject({
      reference_id: "A9FEA97B",
      reference: "169.254.169.123",
      stratum: 4,
      system_time_s: -0.000000626,
      last_offset_s: 0.002852759,
      synchronised: true,
    });
  });

  it("reads a clock far slow and one with no source", () => {
    const slow = parseFixture(
      parseChronycTracking,
      "chronyc-tracking/constructed__chronyc-tracking-1557s-slow.txt",
    ).facts;
    expect(slow.system_time_s).toBe(-1557.763061523);
    const free = parseFixture(
      parseChronycTracking,
      "chronyc-tracking/constructed__chronyc-tracking-not-synchronised.txt",
    ).facts;
    expect(free).toMatchObject({ reference_id: "00000000", synchronised: false, stratum: 0 });
    expect(free.reference).toBeUndefined();
  });

  it("reports a System time without its direction instead of guessing the sign", () => {
    const { facts, problems } = parseText(
      parseChronycTracking,
      "System time     : 0.5 seconds\nLeap status     : Normal\n",
    );
    expect(facts.system_time_s).toBeUndefined();
    expect(problems).toEqual([
      { line: 1, text: "System time     : 0.5 seconds", reason: "System time not read" },
    ]);
  });

  it("rejects empty, foreign and garbage input with the documented error", () => {
    expect(() => parseText(parseChronycTracking, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseChronycTracking, "506 Cannot talk to daemon\n")).toThrow(
      UnrecognisedOutputError,
    );
    const pieces = readFixture("chronyc-tracking/aws-docs__chronyc-tracking.txt")
      .split("\n")
      .map((l) => `${l}\n`);
    const out = expectOnlyUnrecognised(parseChronycTracking, pieces, 5);
    expect(out.read).toBeGreaterThan(0);
    expect(out.unrecognised).toBeGreaterThan(0);
  });
});
