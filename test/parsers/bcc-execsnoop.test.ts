import { describe, expect, it } from "vitest";
import { bccExecsnoop } from "../../src/collectors/bcc-execsnoop.js";
import { parseBccExecsnoop } from "../../src/parsers/bcc-execsnoop.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("bcc-execsnoop parser", () => {
  it("reads this VM's -t -x run: TIME(s), a failed exec, arguments", () => {
    const { facts, problems } = parseFixture(
      parseBccExecsnoop,
      "bcc-execsnoop/vm-debian12-k6.18__execsnoop-t-x.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.count).toBe(10);
    expect(facts.execs[2]).toEqual({
      time_s: 1.43,
      comm: "ls",
      pid: 19323,
      ppid: 18945,
      ret: 0,
      args: "/usr/bin/ls /",
    });
    expect(facts.execs[4]).toMatchObject({
      comm: "sh",
      pid: 19325,
      ret: -2,
      args: "/nonexistent-cmd",
    });
    expect(facts.failed).toBe(1);
    expect(facts.top_comms[0]).toEqual({ comm: "true", count: 3 });
    expect(facts.top_parents[0]).toEqual({ ppid: 18945, count: 8 });
    expect(facts.span_s).toBe(0.005);
  });

  it("reads -T -U: TIME and UID columns", () => {
    const { facts, problems } = parseFixture(
      parseBccExecsnoop,
      "bcc-execsnoop/vm-debian12-k6.18__execsnoop-T-U.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.execs[3]).toEqual({
      time: "15:04:45",
      uid: 65534,
      comm: "uname",
      pid: 18476,
      ppid: 18406,
      ret: 0,
      args: "/usr/bin/uname -a",
    });
    expect(facts.execs[0].args).toBe(
      "/usr/bin/env -i PATH=/usr/bin:/bin /bin/sh -c ls / >/dev/null; uname -a >/dev/null",
    );
    expect(facts.span_s).toBeUndefined();
  });

  it("reads the bcc example file: several column sets between prose", () => {
    const { facts, problems } = parseFixture(
      parseBccExecsnoop,
      "bcc-execsnoop/bcc__execsnoop_example.txt",
    );
    expect(facts.execs[0]).toEqual({ comm: "bash", pid: 15887, ret: 0, args: "/usr/bin/man ls" });
    expect(facts.execs.find((e) => e.pid === 9660 && e.ret === -2)?.args).toBe(
      "/usr/local/bin/setuidgid nobody /command/multilog t ./main",
    );
    expect(facts.execs.find((e) => e.comm === "mount")).toEqual({
      time: "14:08:23",
      time_s: 2.849,
      comm: "mount",
      pid: 18049,
      ppid: 1045,
      ret: 0,
      args: "/bin/mount -p",
    });
    expect(facts.execs.find((e) => e.comm === "service")).toMatchObject({
      pid: 3344535,
      ppid: 4146419,
    });
    expect(facts.execs.find((e) => e.comm === "manpager")).toMatchObject({
      uid: 1000,
      pid: 171355,
    });
    expect(facts.count).toBe(42);
    expect(facts.failed).toBe(3);
    expect(problems.some((p) => p.text === "# ./execsnoop -x")).toBe(true);
    expect(problems.some((p) => p.text === "[...]")).toBe(true);
  });

  it("reads a command name with spaces, `?` parents and lost samples", () => {
    const text = [
      "PCOMM            PID    PPID   RET ARGS",
      "Web Content      4242   4100     0 /usr/lib/firefox/firefox -contentproc",
      "sh               4243   ?        0 /bin/sh -c true",
      "Possibly lost 12 samples",
    ].join("\n");
    const { facts, problems } = parseText(parseBccExecsnoop, text);
    expect(problems).toEqual([]);
    expect(facts.execs[0]).toMatchObject({ comm: "Web Content", pid: 4242, ppid: 4100 });
    expect(facts.execs[1]).toMatchObject({ comm: "sh", ppid: null, args: "/bin/sh -c true" });
    expect(facts.lost_samples).toBe(12);
  });

  it("records a prompt and an elision, accepts a header alone, rejects empty input and garbage", () => {
    const text =
      "$ execsnoop-bpfcc\nPCOMM            PID    PPID   RET ARGS\n...\nls  1 2 0 /bin/ls\n";
    const { facts, problems } = parseText(parseBccExecsnoop, text);
    expect(facts.count).toBe(1);
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
    expect(parseText(parseBccExecsnoop, "PCOMM PID PPID RET ARGS\n").facts.execs).toEqual([]);
    expect(() => parseText(parseBccExecsnoop, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseBccExecsnoop, "\u0000\u00ff PID\nARGS 1 2\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("bcc-execsnoop collector", () => {
  it("traces every exec, failed ones too, until stopped, as root", () => {
    const line = bccExecsnoop.command({ windowSeconds: 5, pids: [], sudo: true, root: false });
    expect(line?.argv.join(" ")).toBe(
      "/usr/bin/timeout -s INT -k 2 13 /usr/sbin/execsnoop-bpfcc -t -x",
    );
    expect(line?.root).toBe(true);
    expect(bccExecsnoop).toMatchObject({
      cost: "intrusive",
      untilStopped: true,
      spansWindow: true,
    });
  });
});
