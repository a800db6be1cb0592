import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type PidstatRow, parsePidstat } from "../../src/parsers/pidstat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parsePidstat, `pidstat/${name}`);
const by = (rows: PidstatRow[], match: Partial<PidstatRow>) =>
  rows.filter((r) => Object.entries(match).every(([k, v]) => r[k] === v));

describe("pidstat parser: jc fixtures", () => {
  it("reads -hdlrsuw: one line per process with every column", () => {
    const { facts, problems } = f("jc__centos-7.7__pidstat-hdlrsuw.out.txt");
    const [bash] = by(facts.rows, { pid: 1852 });
    expect(bash).toMatchObject({
      time: "1646857494",
      uid: 1000,
      minflt_per_s: 0.25,
      vsz_kb: 115708,
      rss_kb: 2324,
      stksize_kb: 264,
      kb_rd_per_s: 0.08,
      command: "-bash",
    });
    expect(by(facts.rows, { pid: 2 })[0]).toMatchObject({
      kb_rd_per_s: -1,
      cswch_per_s: 0.03,
      command: "kthreadd",
    });
    expect(by(facts.rows, { pid: 6 })[0].cswch_per_s).toBe(0.77);
    expect(problems).toEqual([]);
  });

  it("keeps -l command lines with their spaces", () => {
    const { facts } = f("jc__centos-7.7__pidstat-hl.out.txt");
    expect(by(facts.rows, { pid: 1031 })[0].command).toMatch(
      /^\/sbin\/dhclient -d -q -sf \/usr\/libexec\/nm-dhcp-helper /,
    );
    expect(by(facts.rows, { pid: 2240 })[0]).toMatchObject({
      uid: 89,
      command: "pickup -l -t unix -u",
    });
    expect(by(facts.rows, { pid: 2232 })[0].system_pct).toBe(0.01);
  });

  it("reads the default report with PM stamps", () => {
    const { facts } = f("jc__centos-7.7__pidstat.out.txt");
    expect(facts.banner?.nodename).toBe("localhost");
    expect(by(facts.rows, { pid: 543 })[0]).toMatchObject({
      time: "12:06:39",
      cpu_pct: 0.01,
      command: "systemd-journal",
    });
    expect(by(facts.rows, { pid: 1031 })[0].command).toBe("dhclient");
    expect(by(facts.rows, { pid: 1 })[0].system_pct).toBe(0.05);
  });

  it("merges the -H CPU and CHILD tables of one process", () => {
    const { facts } = f("jc__generic__pidstat-ht.out.txt");
    expect(facts.rows).toHaveLength(1);
    expect(facts.rows[0]).toMatchObject({
      time: "1692579199",
      pid: 1,
      wait_pct: 0.08,
      system_pct: 0.07,
      usr_ms: 2890,
      system_ms: 4260,
      command: "systemd",
    });
  });
});

describe("pidstat parser: sysstat test suite", () => {
  it("reads -t -H -h: TGID and TID rows, thread names with spaces, text policy", () => {
    const { facts } = f("sysstat__expected.pidstat-Hh.txt");
    const [shell] = by(facts.rows, { tgid: 7900 });
    expect(shell).toMatchObject({
      usr_pct: 359.42,
      cpu_pct: 412.96,
      iodelay_ticks: 253,
      policy: "NORMAL",
    });
    expect(shell.usr_ms).toBe(112090);
    const [helper] = by(facts.rows, { tid: 8785 });
    expect(helper).toMatchObject({
      thread: true,
      command: "JS Helper",
      vsz_kb: 2535720,
      threads: 67,
      fd_nr: 5,
    });
    expect(by(facts.rows, { tid: 7900 })[0].minflt_nr).toBe(740534);
  });

  it("reads -T TASK -d", () => {
    const { facts } = f("sysstat__expected.pidstat-d-TTASK-ALL.txt");
    expect(by(facts.rows, { pid: 8407 })[0]).toMatchObject({
      kb_rd_per_s: 23.34,
      kb_ccwr_per_s: 0.01,
      iodelay_ticks: 58,
    });
    expect(by(facts.rows, { pid: 21342 })[0].kb_wr_per_s).toBe(4.65);
    expect(by(facts.rows, { pid: 9009 })[0].command).toBe("WebExtensions");
  });

  it("reads --dec=1 tables and merges them per task", () => {
    const { facts } = f("sysstat__expected.pidstat-dec.txt");
    const [office] = by(facts.rows, { tgid: 21342 });
    expect(office).toMatchObject({
      cpu: 5,
      usr_ms: 8760,
      minflt_per_s: 19.5,
      rss_kb: 439484,
      mem_pct: 5.4,
    });
    expect(by(facts.rows, { tid: 21342 })[0]).toMatchObject({
      usr_ms: 8520,
      system_ms: 450,
      thread: true,
    });
  });

  it("reads -l -t with Average rows whose CPU is `-`", () => {
    const { facts } = f("sysstat__expected.pidstat-l.txt");
    expect(facts.intervals).toBe(6);
    expect(by(facts.rows, { tgid: 9009 })[0].command).toMatch(
      /^\/usr\/lib64\/firefox\/firefox -contentproc -childID 3 /,
    );
    const [avg] = by(facts.average, { tgid: 8407 });
    expect(avg).toMatchObject({
      usr_pct: 0.77,
      cpu_pct: 0.83,
      command: "/usr/libexec/gnome-terminal-server",
    });
    expect(avg.cpu).toBeUndefined();
    expect(by(facts.average, { tid: 8785 })[0].command).toBe("disk_cache:0");
  });

  it("reads -R -w with empty tables and an Average block", () => {
    const { facts, problems } = f("sysstat__expected.pidstat-sigint.txt");
    expect(by(facts.rows, { pid: 7900 }).map((r) => r.cswch_per_s)).toEqual([
      5700.42, 12.32, 11.71, 43.77,
    ]);
    expect(by(facts.average, { pid: 8741 })[0]).toMatchObject({
      cswch_per_s: 9.3,
      nvcswch_per_s: 0,
    });
    expect(by(facts.rows, { pid: 8407, time: "12:53:30" })[0].cswch_per_s).toBe(0);
    expect(problems).toEqual([]);
  });

  it("reads this project's VM (the collector's options, -p)", () => {
    const { facts } = f("vm-debian12-k6.18__pidstat-udwrh.txt");
    expect(facts.intervals).toBe(2);
    const busy = by(facts.rows, { command: "python3" });
    expect(busy.map((r) => r.cpu_pct)).toEqual([99, 98]);
    expect(busy[1]).toMatchObject({
      time: "15:11:32",
      nvcswch_per_s: 84,
      vsz_kb: 16200,
      rss_kb: 13244,
    });
    expect(by(facts.rows, { command: "sleep" })[0].mem_pct).toBe(0.01);
  });
});

describe("pidstat parser: odd input", () => {
  it("records a prompt and an elision, and reads -U user names", () => {
    const text = [
      "$ pidstat -U 1 1",
      "12:00:01     USER       PID    %usr %system  %guest    %CPU   CPU  Command",
      "12:00:02     root         1    1,00    0,50    0,00    1,50     0  systemd",
      "...",
      "12:00:02   postgres    4242   80.00    5.00    0.00   85.00     1  postgres: writer process",
    ].join("\n");
    const { facts, problems } = parseText(parsePidstat, text);
    expect(facts.rows[0]).toMatchObject({ user: "root", cpu_pct: 1.5 });
    expect(facts.rows[1]).toMatchObject({
      user: "postgres",
      pid: 4242,
      command: "postgres: writer process",
    });
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parsePidstat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parsePidstat, "\u0000\u00ff garbage\n12:00:00 1 2 3\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("pidstat parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --pidstat on -h -H rows${jcNote}`, () => {
    const text = readFixture("pidstat/jc__centos-7.7__pidstat-hdlrsuw.out.txt");
    const theirs = JSON.parse(
      execFileSync(JC, ["--pidstat"], { input: text, encoding: "utf8" }),
    ) as Record<string, unknown>[];
    const ours = parseText(parsePidstat, text).facts.rows;
    expect(ours.length).toBe(theirs.length);
    theirs.forEach((t, i) => {
      expect(ours[i].pid).toBe(t.pid);
      expect(ours[i].cpu_pct).toBe(t.percent_cpu);
      expect(ours[i].rss_kb).toBe(t.rss);
      expect(ours[i].kb_rd_per_s).toBe(t.kb_rd_s);
      expect(ours[i].cswch_per_s).toBe(t.cswch_s);
      expect(ours[i].command).toBe(String(t.command).trim());
    });
  });
});
