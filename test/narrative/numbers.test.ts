import { describe, expect, it } from "vitest";
import { documentNumbers, numbersIn, ungroundedNumbers } from "../../src/narrative/numbers.js";

/** The number rule of the validator, case by case (src/narrative/numbers.ts). */

const doc = {
  window: { seconds: 3 },
  hypotheses: [
    {
      confidence: "95 %",
      evidence: [
        { fact: "disk.worst.await_ms", value: 38.46, excerpt: "sda: util 99.2 %, aqu-sz 4.21" },
        { fact: "memory.rss_kb", value: 2_097_152, excerpt: "rss 2097152 kB" },
        { fact: "memory.top.share", value: 0.873, excerpt: "one process held most" },
        { fact: "disk.worst.r_s", value: 1234, threshold: ">= 1000", excerpt: "r/s 1234" },
      ],
    },
  ],
};
const known = documentNumbers(doc);
const bad = (text: string) => ungroundedNumbers(text, known);

describe("numbers in a narrative", () => {
  it("reads values, decimals and units; skips digits inside names", () => {
    expect(
      numbersIn("sda1 on eth0 and x86_64 with rule#2, 1,234 r/s at 38.5 ms").map((n) => n.raw),
    ).toEqual(["1,234", "38.5 ms"]);
    expect(numbersIn("10.0.0.1 and 5.15.0-91")).toEqual([]);
  });

  it("accepts document numbers rounded to the precision shown, in any unit of their dimension", () => {
    for (const ok of [
      "await 38 ms",
      "await 38.5 ms",
      "await 38.46 ms",
      "await 0.04 s",
      "await 0.038 s",
      "await 38460 µs",
      "util 99 %",
      "util 99.2 %",
      "rss 2 GiB",
      "rss 2.1 GB",
      "rss 2048 MiB",
      "rss 2097152 kB",
      "87 % of the memory",
      "confidence 95 %",
      "1,234 reads per second",
      "over 1000 reads",
      "in a 3 s window",
      "2 of 3 collectors",
      "the 4 devices",
      "4.21 requests queued",
    ]) {
      expect(bad(ok), ok).toEqual([]);
    }
  });

  it("rejects numbers no evidence holds, or in another dimension, or rounded wrongly", () => {
    expect(bad("await 39 ms")).toEqual(["39 ms"]);
    expect(bad("await 38.4 ms")).toEqual(["38.4 ms"]);
    expect(bad("await 38 s")).toEqual(["38 s"]);
    expect(bad("await 38 GiB")).toEqual(["38 GiB"]);
    expect(bad("util 73 %")).toEqual(["73 %"]);
    expect(bad("12 processes")).toEqual(["12"]);
    expect(bad("5 ms")).toEqual(["5 ms"]);
    expect(bad("rss 3 GiB")).toEqual(["3 GiB"]);
  });
});
