import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTop, type TopProcess } from "../../src/parsers/top.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseTop, `top/${name}`);
const proc = (list: TopProcess[], pid: number) => list.find((p) => p.pid === pid)!;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe("top parser", () => {
  it("reads every extra field by column position, text with spaces included (-w, all fields)", () => {
    const { facts, problems } = f("jc__centos-7.7__top-b-n1-gib-allfields-w.out.txt");
    const topProc = proc(facts.iterations[0].processes, 2225);
    expect(topProc).toMatchObject({
      command: "top",
      ppid: 1884,
      tty: "pts/0",
      environ: "XDG_SESSION_ID=2 HOSTNAME=localhost S+",
      cgroups: "1:name=systemd:/user.slice/user-1000.+",
      supgrps: "wheel,user001",
      nsipc: 4026531839,
    });
    expect(topProc.res_kb).toBeCloseTo(2.2 * 1024, 6);
    const systemd = proc(facts.iterations[0].processes, 1);
    expect(systemd).toMatchObject({
      nmin: 13 * 1024,
      wchan: "ep_poll",
      flags: "..4.21..",
      nsipc: "-",
    });
    expect(problems).toEqual([]);
  });

  it("reads GiB summary lines and scaled memory cells (-E g)", () => {
    const { facts } = f("jc__centos-7.7__top-b-n1-gib.out.txt");
    expect(facts.summary).toMatchObject({
      uptime_s: 68 * 60,
      users: 2,
      tasks_total: 108,
      us_pct: 5.9,
    });
    expect(facts.summary?.mem_total_bytes).toBe(Math.round(3.7 * GiB));
    expect(proc(facts.iterations[0].processes, 1).virt_kb).toBeCloseTo(125.1 * 1024, 6);
    expect(proc(facts.iterations[0].processes, 4).ni).toBe(-20);
  });

  it("reads three iterations and keeps the last as the summary", () => {
    const { facts } = f("jc__centos-7.7__top-b-n3.out.txt");
    expect(facts.iterations.map((i) => i.time)).toEqual(["11:24:50", "11:24:53", "11:24:56"]);
    expect(facts.iterations[0]).toMatchObject({
      mem_free_bytes: 3446476 * 1024,
      mem_available_bytes: 3419356 * 1024,
    });
    expect(facts.iterations[1]).toMatchObject({ us_pct: 0.3, si_pct: 0.3, id_pct: 99 });
    expect(proc(facts.iterations[0].processes, 1935)).toMatchObject({
      user: "user001",
      cpu_pct: 6.2,
      time_s: 0.01,
    });
    expect(facts.summary?.time).toBe("11:24:56");
    expect(facts.process_count).toBe(facts.iterations[2].processes.length);
  });

  it("reads procps-ng 3.3.16 (Ubuntu 20.10): MiB lines, rt priority, long command names", () => {
    const { facts } = f("jc__ubuntu-20.10__top-b-n1.out.txt");
    expect(facts.summary?.mem_total_bytes).toBe(Math.round(3903.6 * MiB));
    expect(facts.summary?.mem_available_bytes).toBe(Math.round(3345.3 * MiB));
    const list = facts.iterations[0].processes;
    expect(proc(list, 5).command).toBe("kworker/0:0-cgroup_destroy");
    expect(proc(list, 12).pr).toBe("rt");
    expect(proc(list, 13).pr).toBe(-51);
    expect(proc(list, 1)).toMatchObject({
      virt_kb: 104364,
      res_kb: 13208,
      time_plus: "0:06.01",
      time_s: 6.01,
    });
  });

  it("reads procps-ng 4 (this project's VM, -w 512 -p)", () => {
    const { facts } = f("vm-debian12-k6.18__top-b-n1-w512-p.txt");
    expect(facts.summary).toMatchObject({
      users: 0,
      load1: 2.08,
      tasks_total: 2,
      id_pct: 100,
      swap_total_bytes: 0,
    });
    expect(proc(facts.iterations[0].processes, 5488)).toMatchObject({
      command: "python3",
      cpu_pct: 100,
      state: "R",
    });
    expect(proc(facts.iterations[0].processes, 5489).res_kb).toBe(1488);
  });

  it("reads procps 3.2 summary lines, per-CPU lines and -c command lines", () => {
    const text = [
      "$ top -b -n 1 -c",
      "top - 10:00:01 up 40 days, 21:17,  3 users,  load average: 12.00, 8.50, 4.25",
      "Tasks: 300 total,  10 running, 289 sleeping,   0 stopped,   1 zombie",
      "Cpu0  : 90.0%us,  5.0%sy,  0.0%ni,  0.0%id,  5.0%wa,  0.0%hi,  0.0%si,  0.0%st",
      "Cpu(s): 45.0%us,  2.5%sy,  0.0%ni, 40.0%id,  2.5%wa,  0.0%hi,  0.0%si, 10.0%st",
      "Mem:   8000000k total,  7900000k used,   100000k free,    20000k buffers",
      "Swap:  2000000k total,  1500000k used,   500000k free,   300000k cached",
      "",
      "  PID USER      PR  NI  VIRT  RES  SHR S %CPU %MEM    TIME+  COMMAND",
      " 4242 app       20   0 6.5g 5.9g  10m R 99.9 77.0 123:45.67 java -Xmx6g -jar app.jar --port 8080",
      "...",
    ].join("\n");
    const { facts, problems } = parseText(parseTop, text);
    expect(facts.summary).toMatchObject({
      uptime_s: 40 * 86400 + 21 * 3600 + 17 * 60,
      tasks_zombie: 1,
      st_pct: 10,
      mem_total_bytes: 8000000 * 1024,
      mem_buffers_bytes: 20000 * 1024,
      mem_cached_bytes: 300000 * 1024,
      swap_used_bytes: 1500000 * 1024,
    });
    expect(facts.summary?.cpus).toEqual([
      {
        cpu: 0,
        us_pct: 90,
        sy_pct: 5,
        ni_pct: 0,
        id_pct: 0,
        wa_pct: 5,
        hi_pct: 0,
        si_pct: 0,
        st_pct: 0,
      },
    ]);
    expect(facts.iterations[0].processes[0]).toMatchObject({
      pid: 4242,
      virt_kb: 6.5 * 1024 * 1024,
      time_s: 123 * 60 + 45.67,
      command: "java -Xmx6g -jar app.jar --port 8080",
    });
    expect(problems.map((p) => p.line)).toEqual([1, 11]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseTop, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseTop, "\u0000\u00ff garbage\n1 2 3\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("top parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --top on summaries and processes${jcNote}`, () => {
    for (const name of ["jc__ubuntu-20.10__top-b-n1.out.txt", "jc__centos-7.7__top-b-n3.out.txt"]) {
      const text = readFixture(`top/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--top", "-q"], {
          input: text,
          encoding: "utf8",
          stdio: ["pipe", "pipe", "ignore"],
        }),
      ) as Record<string, unknown>[];
      const ours = parseText(parseTop, text).facts.iterations;
      expect(ours.length).toBe(theirs.length);
      theirs.forEach((t, i) => {
        expect(ours[i].load1).toBe(t.load_1m);
        expect(ours[i].tasks_total).toBe(t.tasks_total);
        expect(ours[i].us_pct).toBe(t.cpu_user);
        expect(ours[i].st_pct).toBe(t.cpu_steal);
        const procs = t.processes as Record<string, unknown>[];
        expect(ours[i].processes.length).toBe(procs.length);
        procs.forEach((p, j) => {
          expect(ours[i].processes[j].pid).toBe(p.pid);
          expect(ours[i].processes[j].cpu_pct).toBe(p.percent_cpu);
          expect(ours[i].processes[j].res_kb).toBe(p.resident_mem);
          expect(ours[i].processes[j].command).toBe(p.command);
        });
      });
    }
  });
});
