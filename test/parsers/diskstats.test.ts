import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diskstatsDelta, parseDiskstats } from "../../src/parsers/diskstats.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseDiskstats, `diskstats/${name}`);
const dev = <T extends { device: string }>(list: T[], name: string): T =>
  list.find((d) => d.device === name)!;

describe("diskstats parser", () => {
  it("reads 11-, 15- and 17-counter lines (node_exporter)", () => {
    const { facts, problems } = f("node_exporter__proc_diskstats.txt");
    expect(dev(facts.devices, "sda")).toMatchObject({
      major: 8,
      fields: 11,
      reads_completed: 25354637,
      weighted_io_ms: 82621804,
    });
    expect(dev(facts.devices, "sda").discards_completed).toBeUndefined();
    expect(dev(facts.devices, "sdb")).toMatchObject({
      fields: 15,
      discards_completed: 68851,
      sectors_discarded: 1925173784,
      discard_ms: 11130,
    });
    expect(dev(facts.devices, "sdc")).toMatchObject({
      fields: 17,
      flushes_completed: 1555,
      flush_ms: 1944,
    });
    expect(facts.devices).toHaveLength(51);
    expect(problems).toEqual([]);
  });

  it("reads the start snapshot of this project's VM (20 fields)", () => {
    const { facts } = f("vm-debian12-k6.18__diskstats.start.txt");
    expect(dev(facts.devices, "vda")).toMatchObject({
      major: 254,
      fields: 17,
      writes_completed: 45633,
      sectors_written: 26880808,
      flushes_completed: 7698,
    });
    expect(dev(facts.devices, "loop0").reads_completed).toBe(0);
  });

  it("reads the end snapshot", () => {
    const { facts } = f("vm-debian12-k6.18__diskstats.txt");
    expect(dev(facts.devices, "vda")).toMatchObject({
      writes_completed: 45890,
      write_ms: 26600,
      io_ms: 12648,
    });
  });

  it("reads old 4-counter partition lines and records a prompt", () => {
    const text =
      "$ cat /proc/diskstats\n   8    0 sda 100 2 800 10 50 1 400 20 0 25 30\n   8    1 sda1 90 720 40 320\n";
    const { facts, problems } = parseText(parseDiskstats, text);
    expect(dev(facts.devices, "sda1")).toEqual({
      major: 8,
      minor: 1,
      device: "sda1",
      fields: 4,
      reads_completed: 90,
      sectors_read: 720,
      writes_completed: 40,
      sectors_written: 320,
    });
    expect(problems.map((p) => p.line)).toEqual([1]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseDiskstats, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseDiskstats, "\u0000\u00ff garbage\n1 2 sda x\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("diskstatsDelta", () => {
  it("computes iostat-style rates for the VM's disk writer", () => {
    const a = f("vm-debian12-k6.18__diskstats.start.txt").facts;
    const b = f("vm-debian12-k6.18__diskstats.txt").facts;
    const vda = dev(diskstatsDelta(a, b, 2), "vda");
    // Δ writes 257, sectors 1000072, write_ms 648, io_ms 324, weighted 667, discards 14 (168
    // sectors, 16 ms), flushes 61 (2 ms), over 2 s.
    expect(vda).toMatchObject({
      r_per_s: 0,
      w_per_s: 128.5,
      w_kb_per_s: 250018,
      w_await_ms: 2.52,
      wareq_sz_kb: 1945.67,
      util_pct: 16.2,
      aqu_sz: 0.33,
      d_per_s: 7,
      d_kb_per_s: 42,
      d_await_ms: 1.14,
      f_per_s: 30.5,
      f_await_ms: 0.03,
      await_ms: 2.45,
    });
    expect(dev(diskstatsDelta(a, b, 2), "loop0")).toMatchObject({ util_pct: 0, await_ms: 0 });
  });

  it("leaves out devices that went backwards or are missing, and a zero window", () => {
    const a = parseText(
      parseDiskstats,
      " 8 0 sda 10 0 80 5 10 0 80 5 0 10 10\n 8 16 sdb 1 0 8 1 1 0 8 1 0 1 1\n",
    ).facts;
    const b = parseText(
      parseDiskstats,
      " 8 0 sda 5 0 40 2 10 0 80 5 0 10 10\n 8 32 sdc 1 0 8 1 1 0 8 1 0 1 1\n",
    ).facts;
    expect(diskstatsDelta(a, b, 1)).toEqual([]);
    expect(diskstatsDelta(a, a, 0)).toEqual([]);
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("diskstats parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --proc-diskstats${jcNote}`, () => {
    const text = readFixture("diskstats/node_exporter__proc_diskstats.txt");
    const theirs = JSON.parse(
      execFileSync(JC, ["--proc-diskstats"], { input: text, encoding: "utf8" }),
    ) as Record<string, number | string>[];
    const ours = parseText(parseDiskstats, text).facts.devices;
    expect(ours.length).toBe(theirs.length);
    theirs.forEach((t, i) => {
      expect(ours[i].device).toBe(t.device);
      expect(ours[i].reads_completed).toBe(t.reads_completed);
      expect(ours[i].sectors_written).toBe(t.sectors_written);
      expect(ours[i].io_ms).toBe(t.io_time_ms);
      expect(ours[i].weighted_io_ms).toBe(t.weighted_io_time_ms);
      if (t.discard_requests_completed !== undefined)
        expect(ours[i].discards_completed).toBe(t.discard_requests_completed);
    });
  });
});
