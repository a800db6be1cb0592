import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type MpstatFacts, parseMpstat } from "../../src/parsers/mpstat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseMpstat, `mpstat/${name}`);
const cpu = (rows: MpstatFacts["cpu"], id: number | "all", time?: string) =>
  rows.find((r) => r.cpu === id && (time === undefined || r.time === time))!;

describe("mpstat parser: jc fixtures (-A, 12-hour clock)", () => {
  it("reads CentOS 7 -A with PM stamps", () => {
    const { facts, problems } = f("jc__centos-7.7__mpstat-A.out.txt");
    expect(cpu(facts.cpu, "all")).toMatchObject({
      time: "15:15:06",
      sys_pct: 0.37,
      idle_pct: 99.4,
    });
    expect(facts.intr).toEqual([
      { time: "15:15:06", cpu: "all", intr_per_s: 37.61 },
      { time: "15:15:06", cpu: 0, intr_per_s: 33.15 },
    ]);
    expect(facts.softirqs[0].per_s).toMatchObject({ TIMER: 21.26, RCU: 9.39, BLOCK_IOPOLL: 0 });
    expect(facts.irqs[0].per_s["0"]).toBe(0.02);
    expect(facts.cpu_count).toBe(1);
    expect(problems).toEqual([]);
  });

  it("reads Ubuntu 18.04 -A with AM stamps and a NODE table", () => {
    const { facts } = f("jc__ubuntu-18.04__mpstat-A.out.txt");
    expect(facts.node[0]).toMatchObject({ time: "08:50:55", node: "all", usr_pct: 26.15 });
    expect(facts.intr.find((r) => r.cpu === 0)?.intr_per_s).toBe(1973);
    expect(facts.softirqs[0].per_s).toMatchObject({ NET_RX: 470.58, IRQ_POLL: 0, RCU: 1134.22 });
  });
});

describe("mpstat parser: sysstat test suite", () => {
  it("reads -A over four intervals with Average blocks", () => {
    const { facts } = f("sysstat__expected.mpstat-A.txt");
    expect(facts.intervals).toBe(4);
    expect(facts.cpu_count).toBe(9);
    expect(cpu(facts.cpu, 3, "12:53:21").nice_pct).toBe(99.55);
    expect(cpu(facts.cpu_average, "all").idle_pct).toBe(79.29);
    expect(facts.intr_average.find((r) => r.cpu === 8)?.intr_per_s).toBe(911.44);
    expect(facts.softirqs_average.find((r) => r.cpu === 8)?.per_s.TIMER).toBe(909.25);
    expect(facts.summary).toMatchObject({
      idle_pct: 79.29,
      busiest_cpu: 3,
      busiest_cpu_idle_pct: 3.82,
    });
  });

  it("reads -P 0,3-5 -N all", () => {
    const { facts } = f("sysstat__expected.mpstat-APN.txt");
    expect(facts.cpu.map((r) => r.cpu)).toEqual([0, 3, 4, 5]);
    expect(facts.node[0]).toMatchObject({ node: "all", nice_pct: 12.5 });
    expect(facts.intr.find((r) => r.cpu === 4)?.intr_per_s).toBe(68.85);
    expect(facts.irqs.find((r) => r.cpu === 4)?.per_s).toMatchObject({ "19": 25.92, "23": 35.03 });
  });

  it("reads -T topology columns, blank on the all row", () => {
    const { facts, problems } = f("sysstat__expected.mpstat-T.txt");
    expect(cpu(facts.cpu, 2, "12:53:21")).toMatchObject({
      core: 2,
      socket: 4,
      node: 0,
      idle_pct: 95.18,
    });
    const all = cpu(facts.cpu, "all", "12:53:21");
    expect(all.core).toBeUndefined();
    expect(all.usr_pct).toBe(2.15);
    expect(cpu(facts.cpu_average, 8)).toMatchObject({ core: 0, socket: 0, node: 1, idle_pct: 100 });
    expect(problems).toEqual([]);
  });

  it("reads --dec=1 interrupt tables", () => {
    const { facts } = f("sysstat__expected.mpstat-dec.txt");
    expect(facts.intr[0]).toMatchObject({ cpu: "all", intr_per_s: 13222.7 });
    expect(facts.softirqs.find((r) => r.cpu === 2)?.per_s.BLOCK).toBe(13.1);
    expect(facts.softirqs.find((r) => r.cpu === 3)?.per_s.NET_RX).toBe(7.3);
    expect(facts.irqs.find((r) => r.cpu === 2)?.per_s["24"]).toBe(30.7);
  });
});

describe("mpstat parser: other sources", () => {
  it("reads this project's VM (mpstat -P ALL 1 1)", () => {
    const { facts } = f("vm-debian12-k6.18__mpstat.txt");
    expect(facts.cpu_count).toBe(2);
    expect(facts.cpu).toHaveLength(3);
    expect(facts.cpu_average).toHaveLength(3);
    expect(cpu(facts.cpu, 1).time).toBe("13:29:06");
    expect(facts.summary?.idle_pct).toBe(100);
  });

  it("reads yardstick's mpstat -P ALL 1 1 with PM stamps", () => {
    const { facts } = f("yardstick__compute_cpuload_sample_output1.txt");
    expect(cpu(facts.cpu, 0).time).toBe("16:34:26");
    expect(facts.banner?.nodename).toBe("host-a");
    expect(cpu(facts.cpu_average, "all").idle_pct).toBe(100);
  });
});

describe("mpstat parser: odd input", () => {
  it("reads old %user columns, decimal commas and records a prompt and an elision", () => {
    const text = [
      "$ mpstat -P ALL 1 1",
      "Linux 2.6.32 (db-1)   01/02/2015   _x86_64_   (2 CPU)",
      "",
      "10:00:01     CPU   %user   %nice    %sys %iowait    %irq   %soft  %steal  %guest   %idle",
      "10:00:02     all   10,50    0,00    2,00   30,25    0,00    0,25    5,00    0,00   52,00",
      "...",
      "10:00:02       1   12,00    0,00    2,00   40,00    0,00    0,00    6,00    0,00   40,00",
    ].join("\n");
    const { facts, problems } = parseText(parseMpstat, text);
    expect(cpu(facts.cpu, "all")).toMatchObject({ usr_pct: 10.5, iowait_pct: 30.25, steal_pct: 5 });
    expect(cpu(facts.cpu, 1).idle_pct).toBe(40);
    expect(facts.summary?.busiest_cpu).toBe(1);
    expect(problems.map((p) => p.line)).toEqual([1, 6]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseMpstat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseMpstat, "\u0000\u00ff garbage\n12 34\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("mpstat parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --mpstat on the CPU rows${jcNote}`, () => {
    // Not -T: jc 1.22 shifts the `all` row's values into the blank CORE/SOCK/NODE cells.
    for (const name of ["sysstat__expected.mpstat-A.txt", "sysstat__expected.mpstat-APN.txt"]) {
      const text = readFixture(`mpstat/${name}`);
      const theirs = (
        JSON.parse(execFileSync(JC, ["--mpstat"], { input: text, encoding: "utf8" })) as Record<
          string,
          unknown
        >[]
      ).filter((r) => r.type === "cpu" && r.time !== undefined && r.cpu !== undefined);
      const ours = parseText(parseMpstat, text).facts.cpu;
      expect(ours.length).toBe(theirs.length);
      theirs.forEach((t, i) => {
        expect(String(ours[i].cpu)).toBe(String(t.cpu));
        expect(ours[i].usr_pct).toBe(t.percent_usr);
        expect(ours[i].iowait_pct).toBe(t.percent_iowait);
        expect(ours[i].steal_pct).toBe(t.percent_steal);
        expect(ours[i].idle_pct).toBe(t.percent_idle);
      });
    }
  });
});
