import { describe, expect, it } from "vitest";
import { bccRunqlat } from "../../src/collectors/bcc-runqlat.js";
import { parseBccRunqlat } from "../../src/parsers/bcc-runqlat.js";
import {
  Log2HistogramBuilder,
  mergeToMicros,
  quantileUpper,
  readLog2Line,
  scaleBucket,
} from "../../src/parsers/log2-histogram.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("log2 histogram reader", () => {
  it("classifies header, bucket, section and time lines", () => {
    expect(readLog2Line("     usecs               : count     distribution")).toEqual({
      kind: "header",
      unit: "usecs",
    });
    expect(readLog2Line("     16384 -> 32767      : 809      |******|")).toEqual({
      kind: "bucket",
      low: 16384,
      high: 32767,
      count: 809,
    });
    expect(readLog2Line("disk = b'nvme0n1'")).toEqual({
      kind: "section",
      key: "disk",
      value: "nvme0n1",
    });
    expect(readLog2Line("disk = 'sda'")).toEqual({ kind: "section", key: "disk", value: "sda" });
    expect(readLog2Line("19:05:13")).toEqual({ kind: "time", time: "19:05:13" });
    expect(readLog2Line("The distribution is bimodal")).toBeNull();
  });

  it("refuses a bucket without a header and scales coarse units to the end of the bucket", () => {
    const b = new Log2HistogramBuilder();
    expect(b.accept({ kind: "bucket", low: 0, high: 1, count: 3 }, 1)).toBe(false);
    expect(scaleBucket({ low: 16, high: 31, count: 2 }, 1000)).toEqual({
      low: 16000,
      high: 31999,
      count: 2,
    });
    expect(scaleBucket({ low: 1024, high: 2047, count: 2 }, 0.001)).toEqual({
      low: 1.024,
      high: 2.047,
      count: 2,
    });
    const merged = mergeToMicros([
      { unit: "usecs", buckets: [{ low: 0, high: 1, count: 5 }] },
      {
        unit: "usecs",
        buckets: [
          { low: 0, high: 1, count: 2 },
          { low: 2, high: 3, count: 1 },
        ],
      },
    ]);
    expect(merged).toEqual([
      { low: 0, high: 1, count: 7 },
      { low: 2, high: 3, count: 1 },
    ]);
    expect(quantileUpper(merged, 0.5)).toBe(1);
    expect(quantileUpper(merged, 0.99)).toBe(3);
    expect(quantileUpper([], 0.5)).toBeNull();
  });
});

describe("bcc-runqlat parser", () => {
  it("reads this VM's `runqlat 1 2`: two interval histograms and their merge", () => {
    const { facts, problems } = parseFixture(
      parseBccRunqlat,
      "bcc-runqlat/vm-debian12-k6.18__runqlat.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.histograms).toHaveLength(2);
    const [first, second] = facts.histograms;
    expect(first.unit).toBe("usecs");
    expect(first.buckets[0]).toEqual({ low: 0, high: 1, count: 10 });
    expect(first.buckets[11]).toEqual({ low: 2048, high: 4095, count: 230 });
    expect(first.count).toBe(
      10 + 70 + 79 + 44 + 26 + 31 + 19 + 18 + 9 + 10 + 18 + 230 + 22 + 0 + 1,
    );
    expect(first.p50_us).toBe(255);
    expect(first.p99_us).toBe(8191);
    expect(first.max_us).toBe(32767);
    expect(second.buckets[13]).toEqual({ low: 8192, high: 16383, count: 1 });
    expect(facts.summary.count).toBe(first.count + second.count);
    expect(facts.summary.buckets[11]).toEqual({ low: 2048, high: 4095, count: 460 });
    expect(facts.summary.max_us).toBe(32767);
  });

  it("reads the bcc example file: usecs and msecs, per-PID and per-pidns, prose as problems", () => {
    const { facts, problems } = parseFixture(
      parseBccRunqlat,
      "bcc-runqlat/bcc__runqlat_example.txt",
    );
    expect(facts.histograms).toHaveLength(48);
    expect(facts.histograms[0]).toMatchObject({ unit: "usecs", count: 2398, p99_us: 65535 });
    expect(facts.histograms[0].buckets[14]).toEqual({ low: 16384, high: 32767, count: 809 });
    expect(facts.histograms[1]).toMatchObject({ unit: "msecs", p50_us: 1999 });
    expect(facts.histograms[1].buckets[0]).toEqual({ low: 0, high: 1, count: 3818 });
    expect(facts.histograms.find((h) => h.pid === 12929)?.count).toBe(2);
    expect(facts.histograms.find((h) => h.pidns === 4026532870)?.buckets[6]).toEqual({
      low: 64,
      high: 127,
      count: 5,
    });
    expect(facts.histograms.find((h) => h.tid === 7)?.buckets[2].count).toBe(37);
    expect(problems[0]).toMatchObject({
      line: 1,
      text: "Demonstrations of runqlat, the Linux eBPF/bcc version.",
    });
    expect(problems.some((p) => p.text === "# ./runqlat -m 5 3")).toBe(true);
    expect(problems.some((p) => p.text === "[...]")).toBe(true);
  });

  it("records a pasted prompt and keeps reading", () => {
    const text = [
      "$ sudo runqlat-bpfcc 1 1",
      "Tracing run queue latency... Hit Ctrl-C to end.",
      "     usecs               : count     distribution",
      "         0 -> 1          : 5        |****|",
      "...",
      "         2 -> 3          : 15       |************|",
    ].join("\n");
    const { facts, problems } = parseText(parseBccRunqlat, text);
    expect(facts.summary).toMatchObject({ count: 20, p50_us: 3 });
    expect(problems.map((p) => p.line)).toEqual([1, 5]);
  });

  it("accepts a header alone, rejects empty input and garbage", () => {
    const header = parseText(
      parseBccRunqlat,
      "     usecs               : count     distribution\n",
    );
    expect(header.facts.summary).toMatchObject({ count: 0, p50_us: null, p99_us: null });
    expect(() => parseText(parseBccRunqlat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseBccRunqlat, "\u0000\u00ff -> : |\n***\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("bcc-runqlat collector", () => {
  it("prints one histogram per second of the window, as root", () => {
    const line = bccRunqlat.command({ windowSeconds: 5, pids: [], sudo: true, root: false });
    expect(line?.argv.join(" ")).toBe(
      "/usr/bin/timeout -s INT -k 2 20 /usr/sbin/runqlat-bpfcc 1 5",
    );
    expect(line?.root).toBe(true);
    expect(bccRunqlat).toMatchObject({
      cost: "intrusive",
      package: "bpfcc-tools",
      spansWindow: true,
    });
  });
});
