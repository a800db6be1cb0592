import { describe, expect, it } from "vitest";
import { parseFileNr } from "../../src/parsers/file-nr.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("file-nr parser", () => {
  it("reads /proc/sys/fs/file-nr (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseFileNr, "file-nr/vm-debian12-k6.18__file-nr.txt");
    expect(problems).toEqual([]);
    expect(facts.allocated).toBe(757);
    expect(facts.unused).toBe(0);
    expect(facts.max).toBe(2466177);
    expect(facts.used).toBe(757);
    expect(facts.used_pct).toBe(0.03);
  });

  it("reads sysctl's form, a LONG_MAX maximum, fs.nr_open, and a prompt", () => {
    const text =
      "$ sysctl fs.file-nr fs.nr_open\nfs.file-nr = 3264\t0\t9223372036854775807\nfs.nr_open = 1048576\n";
    const { facts, problems } = parseText(parseFileNr, text);
    expect(facts).toMatchObject({
      allocated: 3264,
      max: Number("9223372036854775807"), // LONG_MAX, rounded to 2^63
      used_pct: 0,
      nr_open: 1048576,
    });
    expect(problems).toEqual([expect.objectContaining({ line: 1 })]);
  });

  it("takes the maximum from a file-max section when file-nr is near it", () => {
    const text =
      "==> /proc/sys/fs/file-nr <==\n99000\t0\t100000\n==> /proc/sys/fs/file-max <==\n100000\n";
    expect(parseText(parseFileNr, text).facts).toEqual({
      allocated: 99000,
      unused: 0,
      max: 100000,
      used: 99000,
      used_pct: 99,
    });
    expect(parseText(parseFileNr, "fs.file-max = 2097152\n").facts).toEqual({ max: 2097152 });
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseFileNr, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseFileNr, "\u0000\u00ff garbage\n1 2\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
