import { describe, expect, it } from "vitest";
import { parseSar, type SarFacts, type SarRow } from "../../src/parsers/sar.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseSar, `sar/${name}`);
const rows = (facts: SarFacts, section: string) => facts.sections[section].rows;
const avg = (facts: SarFacts, section: string) => facts.sections[section].average;
const find = (list: SarRow[], match: Record<string, string | number>) =>
  list.find((r) => Object.entries(match).every(([k, v]) => r[k] === v))!;

describe("sar parser: sysstat history files of old versions (sar -A -f)", () => {
  it("reads data written by sysstat 9.1.6", () => {
    const { facts, problems } = f("sysstat__expected.data-9.1.6.txt");
    expect(facts.banner).toMatchObject({ nodename: "host-a.home", date: "01/21/17", cpus: 8 });
    expect(rows(facts, "queue")[0]).toMatchObject({
      time: "08:17:02",
      plist_sz: 594,
      ldavg_1: 0.11,
    });
    expect(rows(facts, "memory")[0]).toMatchObject({ kbmemfree: 5647308, memused_pct: 30.76 });
    expect(find(rows(facts, "disk"), { dev: "sda" })).toMatchObject({
      tps: 1,
      await: 22,
      util_pct: 2.1,
    });
    expect(facts.restarts).toEqual([{ time: "08:16:11", cpus: 8 }]);
    expect(facts.comments).toEqual([{ time: "08:16:56", text: "Test sysstat 9.1.6" }]);
    expect(problems).toEqual([]);
  });

  it("reads data written by sysstat 10.3.1, USB devices without strings included", () => {
    const { facts, problems } = f("sysstat__expected.data-10.3.1.txt");
    expect(rows(facts, "memory")[0]).toMatchObject({ kbactive: 1536804, kbdirty: 20 });
    expect(rows(facts, "queue")[0].ldavg_1).toBe(0.07);
    expect(find(avg(facts, "usb"), { bus: 1 })).toMatchObject({
      idvendor: "8087",
      idprod: "24",
      maxpower: 0,
    });
    expect(facts.sections.usb.option).toBe("-m USB");
    expect(problems).toEqual([]);
  });

  it("reads data written by sysstat 11.6.5", () => {
    const { facts } = f("sysstat__expected.data-11.6.5.txt");
    expect(find(rows(facts, "disk"), { dev: "sda" })).toMatchObject({
      tps: 5.93,
      wkb_per_s: 173.42,
      areq_sz: 38.57,
    });
    expect(find(rows(facts, "net_dev"), { iface: "enp6s0" })).toMatchObject({
      rxpck_per_s: 4.9,
      rxmcst_per_s: 0.54,
    });
    expect(find(avg(facts, "usb"), { idvendor: "58f" })).toMatchObject({
      manufact: "Generic",
      product: "Mass Storage Device",
    });
    expect(facts.restarts[0]).toEqual({ time: "09:33:38", cpus: 8 });
  });

  it("reads data written by sysstat 12.0.0, with COM records inside sections", () => {
    const { facts } = f("sysstat__expected.data-12.0.0.txt");
    expect(rows(facts, "queue")[0]).toMatchObject({ plist_sz: 826, ldavg_15: 0.26 });
    expect(rows(facts, "memory")[0]).toMatchObject({ kbanonpg: 1599324, kbslab: 349640 });
    expect(facts.comments).toEqual([{ time: "05:40:26", text: "Hello world!" }]);
    expect(find(rows(facts, "net_dev"), { iface: "virbr0-nic" }).txpck_per_s).toBe(0);
  });
});

describe("sar parser: sysstat test suite reports", () => {
  it("reads sadf -d records", () => {
    const { facts, problems } = f("sysstat__expected.sadf-d.txt");
    expect(facts.hostname).toBe("SYSSTAT.TEST");
    expect(rows(facts, "cpu")[0]).toMatchObject({
      time: "2019-04-18 13:20:19 UTC",
      interval_s: 31,
      cpu: "all",
      usr_pct: 2.15,
    });
    expect(find(rows(facts, "interrupts"), { intr: "sum" })).toMatchObject({
      all: 31915.3,
      cpu0: 5759.67,
    });
    expect(find(rows(facts, "usb"), { idvendor: "174c" })).toMatchObject({
      bus: 3,
      manufact: "ASMT",
      product: "ASM1153",
    });
    expect(facts.restarts).toEqual([
      { time: "2019-04-18 13:37:29 UTC", cpus: 9 },
      { time: "2019-04-18 13:54:09 UTC", cpus: 10 },
    ]);
    expect(facts.comments[0].text).toBe("Testing sysstat!");
    expect(problems).toEqual([]);
  });

  it("reads every section of sar -A run live", () => {
    const { facts } = f("sysstat__expected.sar-A.txt");
    expect(rows(facts, "swap")[0]).toMatchObject({
      time: "12:53:21",
      kbswpfree: 16777212,
      swpused_pct: 0,
    });
    expect(rows(facts, "queue")[0]).toMatchObject({ runq_sz: 3, plist_sz: 956, ldavg_15: 3.43 });
    expect(rows(facts, "net_sock")[0]).toMatchObject({ totsck: 1316, tcpsck: 10, tcp_tw: 1 });
    expect(find(rows(facts, "serial"), { tty: 1 }).rcvin_per_s).toBe(0);
    expect(Object.keys(facts.sections)).toHaveLength(40);
  });

  it("reads sar -u over a file", () => {
    const { facts } = f("sysstat__expected.sar-D.txt");
    expect(rows(facts, "cpu")[0]).toMatchObject({ time: "00:00:04", cpu: "all", user_pct: 2.15 });
    expect(avg(facts, "cpu")[0].idle_pct).toBe(88.22);
    expect(facts.sections.cpu.option).toBe("-u");
  });

  it("reads sar -d -p with DEV last and restarts", () => {
    const { facts } = f("sysstat__expected.sar-dev.txt");
    expect(find(rows(facts, "disk"), { time: "13:20:39" })).toMatchObject({
      dev: "sda",
      tps: 1604.7,
      aqu_sz: 18.56,
      util_pct: 85.36,
    });
    expect(facts.restarts).toEqual([
      { time: "13:37:29", cpus: 9 },
      { time: "13:54:09", cpus: 10 },
    ]);
    expect(avg(facts, "disk")).toHaveLength(2);
  });

  it("reads sar -F with Summary rows", () => {
    const { facts } = f("sysstat__expected.sar-fs.txt");
    expect(find(rows(facts, "filesystem"), { time: "13:20:49" })).toMatchObject({
      filesystem: "/dev/sda6",
      mbfsfree: 2496,
      iused: 150338,
    });
    expect(avg(facts, "filesystem")[1].iused_pct).toBe(0.78);
    expect(facts.sections.filesystem.option).toBe("-F");
  });

  it("converts --human values back into the column's unit", () => {
    const { facts, problems } = f("sysstat__expected.sar-human.txt");
    expect(rows(facts, "memory")[0].kbmemfree).toBeCloseTo(1.4 * 1024 * 1024, 3);
    expect(rows(facts, "memory")[0].kbdirty).toBe(396);
    expect(rows(facts, "cpu")[0]).toMatchObject({ cpu: "all", usr_pct: 2.1, idle_pct: 82.9 });
    expect(find(rows(facts, "battery"), { bat: 0 })).toMatchObject({ cap_pct: 100, status: "↑" });
    expect(find(rows(facts, "filesystem"), { filesystem: "/dev/sda9" }).mbfsfree).toBe(705.2);
    expect(problems).toEqual([]);
  });

  it("reads sar -q PSI", () => {
    const { facts } = f("sysstat__expected.sar-qPSI.txt");
    expect(rows(facts, "psi_cpu")[0].scpu_pct).toBe(0.02);
    expect(rows(facts, "psi_io")[0]).toMatchObject({ sio_pct: 1.34, fio_10_pct: 0.45 });
    expect(rows(facts, "psi_mem")[0].fmem_300_pct).toBe(0);
  });

  it("reads sar -u -P ALL with a restart and a comment", () => {
    const { facts } = f("sysstat__expected.sar-u.txt");
    expect(find(rows(facts, "cpu"), { time: "13:20:19", cpu: 3 }).nice_pct).toBe(99.55);
    expect(find(rows(facts, "cpu"), { time: "13:20:39", cpu: 8 }).system_pct).toBe(26.97);
    expect(facts.restarts).toEqual([{ time: "13:37:29", cpus: 9 }]);
    expect(facts.comments).toEqual([{ time: "13:39:09", text: "Testing sysstat!" }]);
  });
});

describe("sar parser: other sources", () => {
  it("reads sar -A over a file recorded on this project's VM", () => {
    const { facts, problems } = f("vm-debian12-k6.18__sar-A.txt");
    expect(facts.banner).toMatchObject({ date: "2026-11-30", cpus: 2 });
    expect(find(rows(facts, "cpu"), { time: "15:11:24", cpu: 1 }).usr_pct).toBe(88);
    expect(rows(facts, "memory")[1]).toMatchObject({ kbmemfree: 21857980, kbavail: 23743912 });
    expect(avg(facts, "queue")[0].runq_sz).toBe(3);
    expect(find(rows(facts, "disk"), { time: "15:11:24" })).toMatchObject({
      dev: "vda",
      dkb_per_s: 7.92,
    });
    expect(problems).toEqual([]);
  });

  it("reads sar -n DEV with 12-hour stamps (yardstick)", () => {
    const one = f("yardstick__networking_netutilization_sample_output1.txt").facts;
    expect(rows(one, "net_dev")[0]).toMatchObject({
      time: "14:01:51",
      iface: "eth0",
      ifutil_pct: 0,
    });
    const two = f("yardstick__networking_netutilization_sample_output2.txt").facts;
    expect(rows(two, "net_dev")).toHaveLength(4);
    expect(rows(two, "net_dev")[3]).toMatchObject({ time: "14:01:53", iface: "lo" });
    expect(avg(two, "net_dev").map((r) => r.iface)).toEqual(["eth0", "lo"]);
  });
});

describe("sar parser: odd input", () => {
  it("records a prompt, an elision and a truncated row; reads decimal commas", () => {
    const text = [
      "$ sar -q",
      "Linux 5.10.0 (db-1) \t2024-01-02 \t_x86_64_\t(4 CPU)",
      "",
      "00:00:01      runq-sz  plist-sz   ldavg-1   ldavg-5  ldavg-15   blocked",
      "00:10:01           12       600      8,50      7,25      6,00         3",
      "...",
      "00:20:01            9       601",
    ].join("\n");
    const { facts, problems } = parseText(parseSar, text);
    expect(rows(facts, "queue")[0]).toMatchObject({ runq_sz: 12, ldavg_1: 8.5, blocked: 3 });
    expect(problems.map((p) => p.line)).toEqual([1, 6, 7]);
  });

  it("gives an unknown header a section named after its columns", () => {
    const text = "00:00:01     newcol/s  %other\n00:10:01         1.00    2.00\n";
    expect(
      parseText(parseSar, text).facts.sections["newcol_per_s,other_pct"].rows[0],
    ).toMatchObject({
      newcol_per_s: 1,
      other_pct: 2,
    });
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseSar, "")).toThrow(UnrecognisedOutputError);
    expect(() =>
      parseText(parseSar, "\u0000\u00ff garbage\nCannot open /var/log/sysstat/sa30\n"),
    ).toThrow(UnrecognisedOutputError);
  });
});
