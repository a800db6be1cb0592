import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProcStat, procStatDelta } from "../../src/parsers/proc-stat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const start = () =>
  parseFixture(parseProcStat, "proc-stat/vm-debian12-k6.18__proc-stat.start.txt").facts;
const end = () => parseFixture(parseProcStat, "proc-stat/vm-debian12-k6.18__proc-stat.txt").facts;

describe("proc-stat parser", () => {
  it("reads the start snapshot", () => {
    const { facts, problems } = parseFixture(
      parseProcStat,
      "proc-stat/vm-debian12-k6.18__proc-stat.start.txt",
    );
    expect(facts.cpu_total).toMatchObject({
      user_ticks: 36776,
      system_ticks: 6743,
      idle_ticks: 148400,
      steal_ticks: 307,
    });
    expect(facts.cpus[1]).toMatchObject({ cpu: 1, iowait_ticks: 248, softirq_ticks: 249 });
    expect(facts).toMatchObject({
      cpu_count: 2,
      ctxt: 1613395,
      btime_epoch_s: 1796050397,
      procs_running: 11,
    });
    expect(facts.intr_total).toBe(831972);
    expect(facts.softirqs).toMatchObject({ timer: 43615, net_rx: 10797, block: 77170, rcu: 97388 });
    expect(problems).toEqual([]);
  });

  it("reads the end snapshot", () => {
    const facts = end();
    expect(facts.cpu_total?.user_ticks).toBe(37028);
    expect(facts.cpus[0].idle_ticks).toBe(73629);
    expect(facts).toMatchObject({ processes: 30143, procs_running: 1, softirq_total: 364363 });
  });

  it("reads an old kernel with fewer CPU columns and no softirq line; records a prompt", () => {
    const text = "$ cat /proc/stat\ncpu  100 0 50 850\ncpu0 100 0 50 850\nctxt 42\n...\n";
    const { facts, problems } = parseText(parseProcStat, text);
    expect(facts.cpu_total).toEqual({
      user_ticks: 100,
      nice_ticks: 0,
      system_ticks: 50,
      idle_ticks: 850,
    });
    expect(facts.softirqs).toBeUndefined();
    expect(problems.map((p) => p.line)).toEqual([1, 5]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseProcStat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseProcStat, "\u0000\u00ff garbage\ncpu x y\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("procStatDelta", () => {
  it("turns the two snapshots into CPU shares and rates", () => {
    const d = procStatDelta(start(), end(), 2)!;
    // Δ user 252, system 99, idle 134, iowait 15, softirq 2, steal 1: 503 ticks.
    expect(d.total).toEqual({
      user_pct: 50.1,
      nice_pct: 0,
      system_pct: 19.68,
      idle_pct: 26.64,
      iowait_pct: 2.98,
      irq_pct: 0,
      softirq_pct: 0.4,
      steal_pct: 0.2,
      guest_pct: 0,
      guest_nice_pct: 0,
      busy_pct: 70.38,
    });
    // cpu0: Δ user 113 of 254 ticks, idle 78.
    expect(d.cpus[0]).toMatchObject({ cpu: 0, user_pct: 44.49, idle_pct: 30.71 });
    expect(d).toMatchObject({
      ctxt_per_s: 3222.5,
      intr_per_s: 1602,
      softirq_per_s: 1114,
      forks_per_s: 224,
    });
    expect(d.softirqs_per_s).toMatchObject({ net_rx: 9.5, block: 103.5 });
    expect(d.procs_running).toBe(1);
  });

  it("refuses snapshots across a reboot, counters going backwards, or no time", () => {
    const rebooted = { ...end(), btime_epoch_s: 1796050400 };
    expect(procStatDelta(start(), rebooted, 2)).toBeUndefined();
    expect(procStatDelta(end(), start(), 2)).toBeUndefined();
    expect(procStatDelta(start(), end(), 0)).toBeUndefined();
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("proc-stat parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --proc-stat${jcNote}`, () => {
    const text = readFixture("proc-stat/vm-debian12-k6.18__proc-stat.txt");
    const theirs = JSON.parse(
      execFileSync(JC, ["--proc-stat"], { input: text, encoding: "utf8" }),
    ) as Record<string, unknown>;
    const ours = parseText(parseProcStat, text).facts;
    const cpu = theirs.cpu as Record<string, number>;
    expect(ours.cpu_total?.user_ticks).toBe(cpu.user);
    expect(ours.cpu_total?.iowait_ticks).toBe(cpu.iowait);
    expect(ours.cpu_total?.steal_ticks).toBe(cpu.steal);
    expect((theirs.cpu1 as Record<string, number>).idle).toBe(ours.cpus[1].idle_ticks);
    expect(ours.ctxt).toBe(theirs.context_switches);
    expect(ours.btime_epoch_s).toBe(theirs.boot_time);
    expect(ours.procs_blocked).toBe(theirs.processes_blocked);
  });
});
