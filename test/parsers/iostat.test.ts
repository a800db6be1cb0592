import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type IostatFacts, parseIostat } from "../../src/parsers/iostat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseIostat, `iostat/${name}`);
const dev = (facts: IostatFacts, report: number, device: string) =>
  facts.devices.find((d) => d.report === report && d.device === device)!;
const sum = (facts: IostatFacts, device: string) => facts.summary.find((s) => s.device === device)!;

describe("iostat parser: old sysstat -x (dd-agent)", () => {
  it("reads avgrq-sz/avgqu-sz/await/svctm, CentOS 5", () => {
    const { facts, problems } = f("dd-agent__test_sysstat__centos_iostat_output.txt");
    const sda = dev(facts, 0, "sda");
    expect(sda.rrqm_per_s).toBe(9.44);
    expect(sda.r_per_s).toBe(16.76);
    expect(sda.r_kb_per_s).toBe(322.05);
    expect(sda.avgrq_sz_sectors).toBe(34.96);
    expect(sda.areq_sz_kb).toBe(17.48);
    expect(sda.since_boot).toBe(true);
    expect(facts.reports).toBe(2);
    expect(sum(facts, "sda")).toMatchObject({ samples: 1, util_pct_max: 102.01 });
    expect(problems).toEqual([]);
  });

  it("keeps the printed await next to r_await/w_await (Debian)", () => {
    const { facts } = f("dd-agent__test_sysstat__debian_iostat_output.txt");
    const sda = dev(facts, 0, "sda");
    expect([sda.r_await_ms, sda.w_await_ms, sda.await_ms]).toEqual([1.82, 55.26, 19.38]);
    expect(sda.await_computed).toBeUndefined();
    expect(sda.svctm_ms).toBe(0.66);
    expect(dev(facts, 1, "sda").util_pct).toBe(100.01);
  });

  it("reads device-mapper names with dashes", () => {
    const { facts } = f("dd-agent__test_sysstat__linux_output_dashes.txt");
    expect(dev(facts, 0, "dm-0").r_per_s).toBe(11.71);
    expect(dev(facts, 0, "dm-1").r_await_ms).toBe(1.68);
    expect(dev(facts, 1, "sda")).toMatchObject({ w_per_s: 1, w_kb_per_s: 4 });
  });

  it("computes await as the IO-weighted mean when only r_await/w_await are printed", () => {
    const { facts } = f("dd-agent__test_sysstat__newer_iostat_output.txt");
    const sda = dev(facts, 0, "sda");
    expect(sda.rareq_sz_kb).toBe(8.92);
    expect(sda.wareq_sz_kb).toBe(65.13);
    expect(sda.wrqm_pct).toBe(72.99);
    // (0.07 × 2.42 + 0.08 × 19.91) / 0.15
    expect(sda.await_ms).toBeCloseTo(11.748, 3);
    expect(sda.await_computed).toBe(true);
  });
});

describe("iostat parser: jc fixtures", () => {
  it("converts rMB/s into kB/s (CentOS 7 -mx)", () => {
    const { facts } = f("jc__centos-7.7__iostat-mx.out.txt");
    expect(dev(facts, 0, "sda").r_kb_per_s).toBe(10.24);
    expect(dev(facts, 0, "sda").avgrq_sz_sectors).toBe(52.51);
    expect(facts.cpu[0].idle_pct).toBe(99.7);
    // A single report is since boot and still summarised.
    expect(facts.summarised_reports).toBe(1);
    expect(facts.banner).toMatchObject({ kernel_release: "3.10.0-1062.1.2.el7.x86_64", cpus: 1 });
  });

  it("reads CentOS 7 -x", () => {
    const { facts } = f("jc__centos-7.7__iostat-x.out.txt");
    expect(dev(facts, 0, "dm-0").r_kb_per_s).toBe(4.41);
    expect(dev(facts, 0, "dm-0").svctm_ms).toBe(0.5);
    expect(facts.cpu[0].user_pct).toBe(0.14);
  });

  it("reads the plain report with totals (CentOS 7)", () => {
    const { facts } = f("jc__centos-7.7__iostat.out.txt");
    expect(dev(facts, 0, "sda").tps).toBe(0.24);
    expect(dev(facts, 0, "sda").r_kb).toBe(203305);
    expect(dev(facts, 0, "dm-1").r_kb_per_s).toBe(0.06);
  });

  it("splits three plain reports (Ubuntu 18.04, iostat 1 3)", () => {
    const { facts } = f("jc__ubuntu-18.04__iostat-1.out.txt");
    expect(facts.reports).toBe(3);
    expect(facts.summarised_reports).toBe(2);
    expect(facts.cpu[0].user_pct).toBe(11.66);
    expect(facts.cpu[1].idle_pct).toBe(98.99);
    expect(dev(facts, 0, "sda")).toMatchObject({ tps: 82.01, w_kb: 2687800 });
  });

  it("converts MB columns (Ubuntu 18.04 -m)", () => {
    const { facts } = f("jc__ubuntu-18.04__iostat-m.out.txt");
    expect(dev(facts, 0, "sda").r_kb_per_s).toBeCloseTo(2.19 * 1024, 6);
    expect(dev(facts, 0, "sda").w_kb).toBe(2624 * 1024);
    expect(facts.cpu[0].nice_pct).toBe(4.14);
  });

  it("reads sysstat 11 -x (Ubuntu 18.04)", () => {
    const { facts } = f("jc__ubuntu-18.04__iostat-x.out.txt");
    expect(dev(facts, 0, "sda")).toMatchObject({
      r_per_s: 127.92,
      w_kb_per_s: 12457.33,
      util_pct: 15.14,
      aqu_sz: 0.79,
    });
    expect(dev(facts, 0, "fd0").svctm_ms).toBe(2.59);
  });

  it("reads sysstat 12 -x with discards and flushes (Ubuntu 20.10)", () => {
    const { facts } = f("jc__ubuntu-20.10__iostat-x.out.txt");
    expect(dev(facts, 0, "sda")).toMatchObject({
      rrqm_per_s: 0.66,
      rrqm_pct: 19.76,
      wareq_sz_kb: 46.11,
    });
    expect(dev(facts, 0, "sr0").util_pct).toBe(0.01);
    expect(dev(facts, 0, "sda").svctm_ms).toBeUndefined();
  });

  it("reads the sysstat 12 plain report with kB_dscd (Ubuntu 20.10)", () => {
    const { facts } = f("jc__ubuntu-20.10__iostat.out.txt");
    expect(dev(facts, 0, "dm-0")).toMatchObject({ tps: 9.78, r_kb_per_s: 101.69, w_kb: 693624 });
    expect(dev(facts, 0, "sda").w_kb_per_s).toBe(133.05);
    expect(dev(facts, 0, "sr0").r_kb).toBe(37658);
  });
});

describe("iostat parser: sysstat test suite", () => {
  it("reads -c -t: CPU-only reports with time stamps", () => {
    const { facts } = f("sysstat__expected.iostat-ct.txt");
    expect(facts.devices).toEqual([]);
    expect(facts.cpu[0]).toMatchObject({
      time: "06/01/20 12:53:20",
      user_pct: 1.49,
      nice_pct: 39.91,
    });
    expect(facts.cpu[1]).toMatchObject({ time: "06/01/20 12:53:21", idle_pct: 82.89 });
    expect(facts.cpu_summary).toMatchObject({ samples: 1, idle_pct_mean: 82.89 });
  });

  it("marks -g group rows", () => {
    const { facts } = f("sysstat__expected.iostat-g.txt");
    expect(dev(facts, 0, "disks")).toMatchObject({ group: true, tps: 8.6, r_kb: 1599857 });
    expect(dev(facts, 0, "other").group).toBe(true);
    expect(dev(facts, 0, "sdb").group).toBeUndefined();
  });

  it("reads -h: device last and human sizes in kB", () => {
    const { facts, problems } = f("sysstat__expected.iostat-h.txt");
    expect(dev(facts, 0, "sda").r_kb).toBe(1.5 * 1024 * 1024);
    expect(dev(facts, 0, "sda12").w_kb).toBeCloseTo(261.2 * 1024, 6);
    expect(dev(facts, 0, "sdq").d_kb_per_s).toBe(25.2);
    expect(problems).toEqual([]);
  });

  it("reads -x 12.x columns and computes await with discards", () => {
    const { facts } = f("sysstat__expected.iostat-x.txt");
    expect(dev(facts, 0, "sdq")).toMatchObject({
      d_per_s: 1.2,
      d_kb_per_s: 25.21,
      d_await_ms: 14.24,
    });
    expect(dev(facts, 1, "sdr").w_await_ms).toBe(40);
    // (6.90 × 12.58 + 1.69 × 9.61) / 8.59
    expect(dev(facts, 0, "sda").await_ms).toBeCloseTo(11.9957, 4);
  });

  it("reads -xs short reports", () => {
    const { facts } = f("sysstat__expected.iostat-xs.txt");
    expect(dev(facts, 0, "sdb")).toMatchObject({ await_ms: 60.92, areq_sz_kb: 41.33 });
    expect(dev(facts, 2, "sdd")).toMatchObject({ tps: 1.63, kb_per_s: 67.48 });
    expect(sum(facts, "sdd").samples).toBe(1);
    expect(sum(facts, "sdr")).toMatchObject({ util_pct_max: 6.42, aqu_sz_max: 0.06 });
  });

  it("reads -y -m", () => {
    const { facts } = f("sysstat__expected.iostat-ym.txt");
    expect(dev(facts, 0, "sdq").d_kb_per_s).toBeCloseTo(0.02 * 1024, 6);
    expect(facts.cpu[0].iowait_pct).toBe(0.12);
    expect(dev(facts, 1, "sdd").r_kb).toBe(2048);
  });

  it("reads three plain reports", () => {
    const { facts } = f("sysstat__expected.iostat.txt");
    expect(facts.reports).toBe(3);
    expect(dev(facts, 0, "sdq").d_kb).toBe(181305);
    expect(dev(facts, 2, "sds").w_kb).toBe(75);
    expect(dev(facts, 2, "sdd").r_kb_per_s).toBe(67.48);
  });
});

describe("iostat parser: this project's VM", () => {
  it("reads the collector's own form (-x -t, ISO stamps) and summarises reports 2 and 3", () => {
    const { facts, problems } = f("vm-debian12-k6.18__iostat-x-t.txt");
    expect(facts.banner).toMatchObject({ nodename: "vm", date: "2026-11-30", cpus: 2 });
    expect(dev(facts, 0, "vda")).toMatchObject({
      since_boot: true,
      w_kb_per_s: 12925.3,
      f_per_s: 7.29,
    });
    expect(dev(facts, 1, "vda")).toMatchObject({
      time: "2026-11-30T15:11:17+0000",
      w_per_s: 2,
      wrqm_pct: 90.48,
    });
    // (2 × 0.50 + 2 × 0.00) / 4
    expect(dev(facts, 1, "vda").await_ms).toBe(0.25);
    expect(sum(facts, "vda")).toMatchObject({ samples: 2, util_pct_mean: 0.2, util_pct_max: 0.4 });
    expect(facts.cpu_summary).toMatchObject({ samples: 2, idle_pct_min: 97.51 });
    expect(problems).toEqual([]);
  });

  it("reads an idle -x -y run", () => {
    const { facts } = f("vm-debian12-k6.18__iostat-x-y.txt");
    expect(facts.cpu[0].system_pct).toBe(0.5);
    expect(facts.cpu[1].idle_pct).toBe(100);
    expect(dev(facts, 1, "vda").util_pct).toBe(0);
  });
});

describe("iostat parser: odd input", () => {
  it("uses a pasted -y command line to keep the first report", () => {
    const text = `$ iostat -x -y 1 2\n${readFixture("iostat/vm-debian12-k6.18__iostat-x-y.txt")}`;
    const { facts, problems } = parseText(parseIostat, text);
    expect(facts.first_report_since_boot).toBe(false);
    expect(facts.summarised_reports).toBe(2);
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "$ iostat -x -y 1 2" })]);
  });

  it("records prompts, elisions and a truncated row as problems and keeps going", () => {
    const text = [
      "# iostat -x 1 2",
      "Device            r/s     w/s     rkB/s     wkB/s  aqu-sz  %util",
      "sda              1.00    2.00      4.00      8.00    0.50  50.00",
      "...",
      "sdb              1.00    2.00",
    ].join("\n");
    const { facts, problems } = parseText(parseIostat, text);
    expect(facts.devices).toHaveLength(1);
    expect(facts.devices[0]).toMatchObject({ device: "sda", util_pct: 50, aqu_sz: 0.5 });
    expect(problems.map((p) => p.line)).toEqual([1, 4, 5]);
  });

  it("reads decimal commas", () => {
    const text =
      "avg-cpu:  %user   %nice %system %iowait  %steal   %idle\n           1,50    0,00    0,50   10,25    0,00   87,75\n";
    expect(parseText(parseIostat, text).facts.cpu[0].iowait_pct).toBe(10.25);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseIostat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseIostat, "\u0000\u00ff\u0001 garbage\n\u0007\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("iostat parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --iostat on every device value${jcNote}`, () => {
    for (const name of [
      "jc__ubuntu-20.10__iostat-x.out.txt",
      "jc__ubuntu-18.04__iostat-x.out.txt",
      "jc__centos-7.7__iostat.out.txt",
    ]) {
      const text = readFixture(`iostat/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--iostat"], { input: text, encoding: "utf8" }),
      ) as Record<string, number | string>[];
      const ours = parseText(parseIostat, text).facts;
      const devices = theirs.filter((r) => r.type === "device");
      expect(devices.length).toBe(ours.devices.length);
      devices.forEach((d, i) => {
        const o = ours.devices[i];
        expect(o.device).toBe(d.device);
        if (d.r_s !== undefined) expect(o.r_per_s).toBe(d.r_s);
        if (d.w_s !== undefined) expect(o.w_per_s).toBe(d.w_s);
        if (d.rkb_s !== undefined) expect(o.r_kb_per_s).toBe(d.rkb_s);
        if (d.aqu_sz !== undefined) expect(o.aqu_sz).toBe(d.aqu_sz);
        if (d.percent_util !== undefined) expect(o.util_pct).toBe(d.percent_util);
        if (d.tps !== undefined) expect(o.tps).toBe(d.tps);
        if (d.kb_read !== undefined) expect(o.r_kb).toBe(d.kb_read);
      });
      const cpu = theirs.find((r) => r.type === "cpu")!;
      expect(ours.cpu[0].iowait_pct).toBe(cpu.percent_iowait);
    }
  });
});
