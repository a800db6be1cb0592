import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseVmstat } from "../../src/parsers/vmstat.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseVmstat, `vmstat/${name}`);

describe("vmstat parser", () => {
  it("reads -a (inact/active) and takes the means from the since-boot line when alone", () => {
    const { facts, problems } = f("jc__centos-7.7__vmstat-a.out.txt");
    expect(facts.rows[0]).toMatchObject({
      since_boot: true,
      r: 2,
      free: 2794696,
      inact: 295968,
      active: 312736,
    });
    expect(facts.means_since_boot).toBe(true);
    expect(facts.id_pct).toBe(99);
    expect(problems).toEqual([]);
  });

  it("reads -awt: wide with a timestamp and its zone", () => {
    const { facts } = f("jc__centos-7.7__vmstat-awt.out.txt");
    expect(facts.rows[0]).toMatchObject({
      timestamp: "2021-09-16 20:31:30",
      tz: "PDT",
      active: 312724,
      cs: 57,
    });
  });

  it("reads -d disk counters", () => {
    const { facts } = f("jc__centos-7.7__vmstat-d.out.txt");
    expect(facts.rows).toEqual([]);
    expect(facts.disks[0]).toMatchObject({
      device: "sda",
      reads_total: 15257,
      writes_sectors: 1648657,
      io_s: 44,
    });
    expect(facts.disks.find((d) => d.device === "dm-1")?.reads_sectors).toBe(4408);
  });

  it("reads -dt", () => {
    const { facts } = f("jc__centos-7.7__vmstat-dt.out.txt");
    expect(facts.disks.find((d) => d.device === "dm-0")).toMatchObject({
      writes_ms: 180880,
      timestamp: "2021-09-16 20:32:28",
      tz: "UTC",
    });
    expect(facts.disks.find((d) => d.device === "sr0")?.reads_total).toBe(0);
    expect(facts.disks).toHaveLength(4);
  });

  it("reads -w", () => {
    const { facts } = f("jc__centos-7.7__vmstat-w.out.txt");
    expect(facts.rows[0]).toMatchObject({ buff: 2108, cache: 741208, in: 29, cs: 57 });
  });

  it("reads the extra-wide --procs-- layout", () => {
    const { facts } = f("jc__generic__vmstat-extra-wide.out.txt");
    expect(facts.rows[0]).toMatchObject({ cache: 22658240, buff: 1011084, us: 3, bi: 4 });
  });

  it("reads a long run with a repeated header: only the very first line is since boot", () => {
    const { facts, problems } = f("jc__ubuntu-18.04__vmstat-1-long.out.txt");
    // 41 lines: two header pairs and 37 data lines (a blank last line).
    expect(facts.rows).toHaveLength(37);
    expect(facts.samples).toBe(36);
    expect(facts.rows.filter((r) => r.since_boot)).toHaveLength(1);
    expect(facts.rows[0].cs).toBe(2509);
    expect(facts.rows[36]).toMatchObject({ in: 98, cs: 114, id: 100 });
    expect(problems).toEqual([]);
  });

  it("reads this project's VM (vmstat 1 3) and means the two interval lines", () => {
    const { facts } = f("vm-debian12-k6.18__vmstat.txt");
    expect(facts.rows[0]).toMatchObject({ since_boot: true, bi: 1193, bo: 1889 });
    expect(facts.rows[1]).toMatchObject({ in: 62, cs: 96 });
    expect(facts).toMatchObject({
      samples: 2,
      in_per_s: 51,
      cs_per_s: 79.5,
      sy_pct: 0.5,
      id_pct: 100,
      r_mean: 1,
    });
  });

  it("reads the procps 4 gu column and computes swap and steal means", () => {
    const text = [
      "procs -----------memory---------- ---swap-- -----io---- -system-- -------cpu-------",
      " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st gu",
      " 9  3 102400  51200   1024  20480    5   10   100   200 1000 2000 50 20 10 15  5  0",
      "12  4 204800  40960   1024  20480  400  800  5000  6000 3000 4000 60 25  0 10  5  0",
      "10  2 204800  30720   1024  20480  200  600  3000  4000 3000 4000 70 20  0  5  5  2",
    ].join("\n");
    const { facts } = parseText(parseVmstat, text);
    expect(facts).toMatchObject({
      r_mean: 11,
      b_max: 4,
      si_per_s: 300,
      so_per_s: 700,
      wa_pct: 7.5,
      st_pct: 5,
    });
    expect(facts.gu_pct).toBe(1);
    expect(facts.free_min).toBe(30720);
  });

  it("records a prompt and an elision as problems", () => {
    const text = `$ vmstat 1 3\n${readFixture("vmstat/vm-debian12-k6.18__vmstat.txt")}...\n`;
    const { facts, problems } = parseText(parseVmstat, text);
    expect(facts.rows).toHaveLength(3);
    expect(problems.map((p) => p.text)).toEqual(["$ vmstat 1 3", "..."]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseVmstat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseVmstat, "\u0000\u00ff garbage\n 1 2 3\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("vmstat parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --vmstat on every row${jcNote}`, () => {
    for (const name of [
      "jc__ubuntu-18.04__vmstat-1-long.out.txt",
      "jc__centos-7.7__vmstat-awt.out.txt",
    ]) {
      const text = readFixture(`vmstat/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--vmstat"], { input: text, encoding: "utf8" }),
      ) as Record<string, unknown>[];
      const ours = parseText(parseVmstat, text).facts.rows;
      expect(ours.length).toBe(theirs.length);
      theirs.forEach((t, i) => {
        expect(ours[i].r).toBe(t.runnable_procs);
        expect(ours[i].b).toBe(t.uninterruptible_sleeping_procs);
        expect(ours[i].free).toBe(t.free_mem);
        expect(ours[i].si).toBe(t.swap_in);
        expect(ours[i].cs).toBe(t.context_switches);
        expect(ours[i].wa).toBe(t.io_wait_time);
        expect(ours[i].st).toBe(t.stolen_time);
      });
    }
  });
});
