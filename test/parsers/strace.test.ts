import { describe, expect, it } from "vitest";
import { STRACE_MAX_PIDS, strace } from "../../src/collectors/strace.js";
import { parseStrace } from "../../src/parsers/strace.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const VM = "strace/vm-debian12-k6.18__strace";

describe("strace parser: -c summaries", () => {
  it("reads this VM's `strace -c -f -p` summary, blank errors cells included", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-c.txt`);
    expect(problems).toEqual([]);
    expect(facts.source).toBe("summary");
    expect(facts.attached).toBe(35);
    expect(facts.syscalls).toHaveLength(42);
    expect(facts.syscalls[0]).toEqual({
      syscall: "wait4",
      calls: 70,
      errors: 35,
      seconds: 0.067672,
      usecs_per_call: 966,
      time_pct: 21.52,
      call_pct: 0.1,
    });
    expect(facts.syscalls.find((s) => s.syscall === "close")).toMatchObject({
      calls: 10586,
      errors: 0,
    });
    expect(facts.syscalls.find((s) => s.syscall === "ioctl")).toMatchObject({
      calls: 10389,
      errors: 10389,
    });
    expect(facts.total).toEqual({
      calls: 67134,
      errors: 11022,
      seconds: 0.314404,
      usecs_per_call: 4,
    });
    expect(facts.dominant).toEqual({
      syscall: "wait4",
      by: "time",
      share_pct: 21.52,
      time_pct: 21.52,
      call_pct: 0.1,
    });
  });

  it("reads -w -S calls (another order: the dominant call is not the first row)", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-c-w-S.txt`);
    expect(problems).toEqual([]);
    expect(facts.syscalls[0]).toMatchObject({
      syscall: "getdents64",
      calls: 1864,
      seconds: 0.015875,
    });
    expect(facts.syscalls[3]).toMatchObject({ syscall: "openat", errors: 1 });
    expect(facts.total).toMatchObject({ calls: 5877, errors: 16, seconds: 0.359331 });
    expect(facts.dominant).toMatchObject({
      syscall: "clock_nanosleep",
      by: "time",
      share_pct: 55.69,
    });
  });

  it("reads -U columns in another order, with shortest and longest", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-c-U.txt`);
    expect(problems).toEqual([]);
    expect(facts.attached).toBe(2);
    expect(facts.syscalls[0]).toEqual({
      syscall: "wait4",
      calls: 4,
      errors: 2,
      usecs_per_call: 1077,
      shortest_s: 0.000005,
      longest_s: 0.003031,
      seconds: 0.004311,
      time_pct: 54.59,
      call_pct: expect.any(Number),
    });
    expect(facts.syscalls.find((s) => s.syscall === "execve")).toMatchObject({
      calls: 3,
      errors: 0,
    });
    expect(facts.syscalls.find((s) => s.syscall === "ioctl")).toMatchObject({
      calls: 7,
      errors: 7,
    });
    expect(facts.total).toMatchObject({ calls: 295, errors: 19, seconds: 0.007896 });
  });

  it("reads a total line cut inside its name as the total, not as a system call `tot`", () => {
    // Found by test/properties: the cut total was a call with 100 % of the time, the dominant.
    const { facts, problems } = parseText(
      parseStrace,
      [
        "% time     seconds  usecs/call     calls    errors syscall",
        "------ ----------- ----------- --------- --------- ----------------",
        " 60.00    0.000600          60        10           futex",
        " 40.00    0.000400           4       100         3 read",
        "------ ----------- ----------- --------- --------- ----------------",
        "100.00    0.001000           9       110         3 tot",
      ].join("\n"),
    );
    expect(facts.syscalls.map((s) => s.syscall)).toEqual(["futex", "read"]);
    expect(facts.total).toEqual({ calls: 110, errors: 3, seconds: 0.001, usecs_per_call: 9 });
    expect(facts.dominant).toMatchObject({ syscall: "futex", by: "time", share_pct: 60 });
    expect(problems).toEqual([
      { line: 6, text: expect.stringContaining(" tot"), reason: "total line cut short" },
    ]);
  });
});

describe("strace parser: one call in a loop", () => {
  it("reads -c summaries of a sigprocmask loop and a getrandom loop, strace's own lines apart", () => {
    const spin = parseFixture(parseStrace, `${VM}-c-spin-sigprocmask.txt`);
    expect(spin.problems).toEqual([]);
    expect(spin.facts.syscalls).toEqual([
      expect.objectContaining({ syscall: "rt_sigprocmask", calls: 56700, usecs_per_call: 2 }),
    ]);
    expect(spin.facts.total).toMatchObject({ calls: 56700, seconds: 0.136183 });
    const rnd = parseFixture(parseStrace, `${VM}-c-getrandom.txt`);
    expect(rnd.facts.syscalls).toEqual([
      expect.objectContaining({ syscall: "getrandom", calls: 260, usecs_per_call: 1781 }),
    ]);
    expect(rnd.facts.total.seconds).toBe(0.463191);
  });

  it("adds up a plain trace of the sigprocmask loop, call by call", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-spin-sigprocmask.txt`);
    expect(problems).toEqual([]);
    expect(facts.source).toBe("trace");
    expect(facts.total.calls).toBe(200);
    expect(facts.dominant).toMatchObject({
      syscall: "rt_sigprocmask",
      by: "calls",
      share_pct: 100,
    });
  });
});

describe("strace parser: traces", () => {
  it("adds up a -f -tt -T trace written with -o (PID prefixes, times, errnos)", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-f-tt-T.txt`);
    expect(problems).toEqual([]);
    expect(facts.source).toBe("trace");
    expect(facts.timed).toBe(true);
    expect(facts.errno_counts).toMatchObject({ ECONNREFUSED: 1, ENOENT: 6, ENOTTY: 7 });
    expect(facts.syscalls.find((s) => s.syscall === "connect")).toMatchObject({
      errors: 3,
      top_errno: "ENOENT",
      errnos: { ENOENT: 2, ECONNREFUSED: 1 },
    });
    expect(facts.syscalls.find((s) => s.syscall === "clock_nanosleep")).toMatchObject({
      calls: 1,
      seconds: 0.100158,
    });
    expect(facts.signals).toEqual({ SIGCHLD: 3 });
    expect(facts.exits).toBe(4);
    expect(facts.processes).toBe(4);
    expect(facts.span_s).toBe(0.11753);
    expect(facts.dominant?.by).toBe("time");
  });

  it("reads [pid N] prefixes and a clone line cut by `strace: Process N attached`", () => {
    const { facts, problems } = parseFixture(parseStrace, `${VM}-f.txt`);
    expect(problems).toEqual([]);
    expect(facts.attached).toBe(2);
    expect(facts.syscalls.find((s) => s.syscall === "clone")?.calls).toBe(2);
    expect(facts.errno_counts.ENOENT).toBe(5);
    expect(facts.exits).toBe(3);
    expect(facts.timed).toBeUndefined();
    expect(facts.dominant?.by).toBe("calls");
  });

  it("reads a -f -o trace with wait4 unfinished/resumed pairs (strace-process-tree)", () => {
    const { facts, problems } = parseFixture(
      parseStrace,
      "strace/strace-process-tree__tests.py__example.log.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.syscalls.find((s) => s.syscall === "wait4")?.calls).toBe(4);
    expect(facts.syscalls.find((s) => s.syscall === "execve")?.calls).toBe(6);
    expect(facts.syscalls.find((s) => s.syscall === "clone")?.calls).toBe(4);
    expect(facts.processes).toBe(5);
    expect(facts.signals).toEqual({ SIGCHLD: 4 });
  });

  it("reads -tt -T with unfinished/resumed pairs (strace-process-tree log_lines)", () => {
    const { facts, problems } = parseFixture(
      parseStrace,
      "strace/strace-process-tree__tests.py__log_lines.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.attached).toBe(1);
    expect(facts.syscalls.find((s) => s.syscall === "clone")).toMatchObject({
      calls: 1,
      seconds: 0.001466,
    });
    expect(facts.syscalls.find((s) => s.syscall === "execve")).toMatchObject({
      calls: 2,
      seconds: 0.000832 + 0.000132,
    });
    expect(facts.span_s).toBeCloseTo(27.216441 - 26.881056, 6);
    expect(facts.dominant).toMatchObject({ syscall: "clone", by: "time" });
  });

  it("reads a bare trace pasted in shadowsocks-libev#2930 (EADDRINUSE from bind)", () => {
    const { facts, problems } = parseFixture(
      parseStrace,
      "strace/scenario-13__shadowsocks-libev-issue-2930__strace.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.total.calls).toBe(6);
    expect(facts.errno_counts).toEqual({ EADDRINUSE: 1 });
    expect(facts.syscalls.find((s) => s.syscall === "bind")).toMatchObject({
      calls: 1,
      errors: 1,
      top_errno: "EADDRINUSE",
    });
    expect(facts.syscalls.find((s) => s.syscall === "fcntl")?.calls).toBe(2);
    expect(facts.processes).toBe(0);
    // bind(..., sin_port=htons(0), ...) = -1 EADDRINUSE: the ephemeral range is used up.
    expect(facts.bind_port0_eaddrinuse).toBe(1);
  });

  it("tells a bind to port 0 that found no free port from a bind to a taken port", () => {
    const { facts } = parseText(
      parseStrace,
      [
        'bind(3, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}, 28) = -1 EADDRINUSE (Address already in use)',
        'bind(4, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("0.0.0.0")}, 16) = -1 EADDRINUSE (Address already in use)',
        'bind(5, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("10.0.0.1")}, 16) = 0',
      ].join("\n"),
    );
    expect(facts.bind_port0_eaddrinuse).toBe(1);
    expect(facts.syscalls.find((s) => s.syscall === "bind")).toMatchObject({ calls: 3, errors: 2 });
  });

  it("reads the rt_sigprocmask loop of pbench#871, the `...` lines are problems", () => {
    const { facts, problems } = parseFixture(
      parseStrace,
      "strace/scenario-38__pbench-issue-871__strace.txt",
    );
    expect(facts.syscalls).toHaveLength(1);
    expect(facts.syscalls[0]).toMatchObject({ syscall: "rt_sigprocmask", calls: 6, call_pct: 100 });
    expect(facts.dominant).toEqual({
      syscall: "rt_sigprocmask",
      by: "calls",
      share_pct: 100,
      time_pct: null,
      call_pct: 100,
    });
    expect(problems.map((p) => [p.line, p.text])).toEqual([
      [1, "..."],
      [8, "..."],
    ]);
  });

  it("reads -ttt and -r stamps, killed processes, ERESTARTSYS and decorated results", () => {
    const text = [
      "1700000000.100000 read(3, 0x7ffd, 4096) = -1 EAGAIN (Resource temporarily unavailable) <0.000010>",
      '1700000000.300000 openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3</etc/hosts> <0.000020>',
      "1700000000.600000 futex(0x5555, FUTEX_WAIT_PRIVATE, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.250000>",
      "1700000000.700000 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---",
      "1700000000.800000 +++ killed by SIGTERM +++",
    ].join("\n");
    const { facts, problems } = parseText(parseStrace, text);
    expect(problems).toEqual([]);
    expect(facts.errno_counts).toEqual({ EAGAIN: 1, ERESTARTSYS: 1 });
    expect(facts.killed).toEqual({ SIGTERM: 1 });
    expect(facts.span_s).toBe(0.7);
    expect(facts.dominant).toMatchObject({ syscall: "futex", by: "time" });
    const relative = parseText(
      parseStrace,
      "     0.000000 getpid() = 1\n     0.500000 getpid() = 1\n",
    );
    expect(relative.facts.span_s).toBe(0.5);
  });

  it("records a shell prompt and a truncated last line", () => {
    const text = "$ strace -f -p 42\n[pid    42] getpid()  = 42\n[pid    42] connect(3, {sa_fami";
    const { facts, problems } = parseText(parseStrace, text);
    expect(facts.total.calls).toBe(1);
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
  });

  it("accepts a summary header alone, rejects empty input and garbage", () => {
    const header = parseText(
      parseStrace,
      "% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ----------------\n",
    );
    expect(header.facts.syscalls).toEqual([]);
    expect(header.facts.dominant).toBeNull();
    expect(() => parseText(parseStrace, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseStrace, "\u0000\u00ff\u0001 = (\n)))\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("strace collector", () => {
  it("attaches to every target PID (at most 8) as root, under a root timeout, on stderr", () => {
    const ctx = { windowSeconds: 30, sudo: true, root: false };
    expect(strace.command({ ...ctx, pids: [] })).toBeNull();
    const timeout = ["/usr/bin/timeout", "-s", "INT", "-k", "2"];
    expect(strace.command({ ...ctx, pids: [42, 43] })).toEqual({
      argv: [...timeout, "5", "/usr/bin/strace", "-c", "-f", "-p", "42", "-p", "43"],
      root: true,
    });
    // A window shorter than the 5 s cap stops strace at the end of the window.
    expect(strace.command({ ...ctx, windowSeconds: 2, pids: [42] })?.argv.slice(0, 6)).toEqual([
      ...timeout,
      "2",
    ]);
    const many = strace.command({ ...ctx, pids: Array.from({ length: 40 }, (_, i) => 100 + i) });
    expect(many?.argv.filter((a) => a === "-p")).toHaveLength(STRACE_MAX_PIDS);
    expect(strace).toMatchObject({
      stream: "stderr",
      cost: "intrusive",
      needsPid: true,
      untilStopped: true,
      timeoutSeconds: 5,
      package: "strace",
    });
  });
});

describe("strace's own lines", () => {
  it("reads Process N attached/detached, under any argv[0], as strace's, not unreadable", () => {
    const r = parseFixture(parseStrace, "strace/vm-debian12-k6.18__strace-c-f-collector.txt");
    expect(r.problems).toEqual([]);
    expect(r.facts.attached).toBe(1);
    const text = "strace: Process 7 attached\n/usr/bin/strace: Process 7 detached\n";
    expect(parseText(parseStrace, text).problems).toEqual([]);
  });
});
