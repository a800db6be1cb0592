import { describe, expect, it } from "vitest";
import { bccBiolatency } from "../../src/collectors/bcc-biolatency.js";
import { parseBccBiolatency } from "../../src/parsers/bcc-biolatency.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("bcc-biolatency parser", () => {
  it("reads -D -T: a disk section (with a trailing tab) under each time stamp", () => {
    const { facts, problems } = parseFixture(
      parseBccBiolatency,
      "bcc-biolatency/vm-debian12-k6.18__biolatency-D-T.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.histograms).toHaveLength(3);
    expect(facts.histograms[0]).toMatchObject({ time: "15:03:56", disk: "vda", unit: "usecs" });
    expect(facts.histograms[0].count).toBe(3 + 196 + 47 + 12 + 63 + 296 + 10 + 6);
    expect(facts.histograms[0].buckets[9]).toEqual({ low: 512, high: 1023, count: 296 });
    expect(facts.histograms[0].p50_us).toBe(511);
    expect(facts.histograms[0].max_us).toBe(32767);
    expect(facts.histograms[1]).toMatchObject({
      time: "15:03:57",
      disk: "vda",
      count: 1,
      p99_us: 1023,
    });
    expect(facts.histograms[2]).toMatchObject({ time: "15:03:58", count: 1, p99_us: 511 });
    expect(facts.disks).toHaveLength(1);
    expect(facts.disks[0]).toMatchObject({ disk: "vda", count: 635 });
    expect(facts.worst_disk).toEqual({ disk: "vda", p99_us: facts.disks[0].p99_us, count: 635 });
  });

  it("reads -m -F: msecs histograms per I/O flags, scaled to µs in the summary", () => {
    const { facts, problems } = parseFixture(
      parseBccBiolatency,
      "bcc-biolatency/vm-debian12-k6.18__biolatency-m-F.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.histograms.map((h) => h.flags)).toEqual([
      "Sync-Discard",
      "Idle-Sync-Write",
      "Write",
    ]);
    expect(facts.histograms[0]).toMatchObject({ unit: "msecs", count: 6, p99_us: 31999 });
    expect(facts.histograms[0].buckets[4]).toEqual({ low: 16, high: 31, count: 2 });
    expect(facts.histograms[1]).toMatchObject({ count: 135, p50_us: 1999 });
    expect(facts.summary.count).toBe(142);
    expect(facts.summary.buckets[0]).toEqual({ low: 0, high: 1999, count: 138 });
    expect(facts.disks).toEqual([]);
    expect(facts.worst_disk).toBeNull();
  });

  it("reads several disks, quoted and b'' names, and -e averages", () => {
    const text = [
      "Tracing block device I/O... Hit Ctrl-C to end.",
      "^C",
      "",
      "disk = 'sda'",
      "     usecs               : count     distribution",
      "       512 -> 1023       : 10       |*****|",
      "",
      "avg = 700 usecs, total: 7000 usecs, count: 10",
      "",
      "disk = b'nvme0n1'",
      "     usecs               : count     distribution",
      "        16 -> 31         : 99       |*****|",
      "     65536 -> 131071     : 1        |     |",
    ].join("\n");
    const { facts, problems } = parseText(parseBccBiolatency, text);
    expect(problems).toEqual([]);
    expect(facts.disks.map((d) => [d.disk, d.count, d.p99_us])).toEqual([
      ["sda", 10, 1023],
      ["nvme0n1", 100, 31],
    ]);
    expect(facts.worst_disk).toEqual({ disk: "sda", p99_us: 1023, count: 10 });
    expect(facts.histograms[1].max_us).toBe(131071);
    expect(facts.averages).toEqual([{ avg_us: 700, total_us: 7000, count: 10, histogram: 0 }]);
  });

  it("records a prompt and an elision, rejects empty input and garbage", () => {
    const text =
      "# biolatency-bpfcc\n     usecs               : count     distribution\n...\n         0 -> 1          : 5 |*|\n";
    const { facts, problems } = parseText(parseBccBiolatency, text);
    expect(facts.summary.count).toBe(5);
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
    expect(() => parseText(parseBccBiolatency, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseBccBiolatency, "\u0000\u00ff disk\n= =\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("bcc-biolatency collector", () => {
  it("prints one histogram per disk and second of the window, as root", () => {
    const line = bccBiolatency.command({ windowSeconds: 4, pids: [], sudo: true, root: false });
    expect(line?.argv.join(" ")).toBe(
      "/usr/bin/timeout -s INT -k 2 19 /usr/sbin/biolatency-bpfcc -D 1 4",
    );
    expect(line?.root).toBe(true);
    expect(bccBiolatency).toMatchObject({ cost: "intrusive", package: "bpfcc-tools" });
  });
});
