import { describe, expect, it } from "vitest";
import { parseCommandText } from "../../src/slack/command.js";

/** The /diagnose text: parsed by util.parseArgs, validated by the CLI's own checks. */
describe("/diagnose text", () => {
  it("host, symptom and options, with the defaults", () => {
    expect(parseCommandText("host-42")).toEqual({
      kind: "diagnose",
      request: { host: "host-42", symptom: "health", windowSeconds: 5, deep: false },
    });
    expect(parseCommandText("  host-42   latency --window=1500ms --pid 4242 --deep ")).toEqual({
      kind: "diagnose",
      request: { host: "host-42", symptom: "latency", windowSeconds: 2, deep: true, pid: 4242 },
    });
    expect(parseCommandText("db-1 memory --process postgres").kind).toBe("diagnose");
  });

  it("help in its usual spellings", () => {
    for (const t of ["", "help", "HELP", "--help", "-h", "?", "host-42 --help"])
      expect(parseCommandText(t).kind).toBe("help");
  });

  it("undoes what Slack clients do to dashes and quotes", () => {
    const r = parseCommandText("host-42 cpu —window 2s –deep “--pid” 7");
    expect(r).toEqual({
      kind: "diagnose",
      request: { host: "host-42", symptom: "cpu", windowSeconds: 2, deep: true, pid: 7 },
    });
  });

  it("--ticket in DESIGN's key forms, however Slack quotes it, kept apart from the shared request", () => {
    for (const text of [
      "db-1 --ticket github:acme/web#12",
      "db-1 \u2014ticket \u201cgithub:acme/web#12\u201d",
      'db-1 --ticket "github:acme/web#12"',
      "db-1 --ticket `github:acme/web#12`",
      "db-1 --ticket=github:acme/web#12",
    ]) {
      expect(parseCommandText(text)).toEqual({
        kind: "diagnose",
        request: { host: "db-1", symptom: "health", windowSeconds: 5, deep: false },
        ticket: "github:acme/web#12",
      });
    }
    for (const key of ["jira:OPS-7", "pagerduty:PT4KHLK", "webhook:on-call"])
      expect(parseCommandText(`db-1 --ticket ${key}`)).toMatchObject({ ticket: key });
    expect(() => parseCommandText("db-1 --ticket jira:ops-7")).toThrow(/"ops-7" is not a jira key/);
    expect(() => parseCommandText("db-1 --ticket trello:42")).toThrow(/unknown ticket system/);
    expect(() => parseCommandText("db-1 --ticket")).toThrow(/--ticket needs a value/);
  });

  it("says what is wrong, quoting the value", () => {
    expect(() => parseCommandText("host-42 --frobnicate")).toThrow(/unknown option --frobnicate/);
    expect(() => parseCommandText("host-42 --pid")).toThrow(/--pid needs a value/);
    expect(() => parseCommandText("host-42 --pid abc")).toThrow(/--pid "abc"/);
    expect(() => parseCommandText("host-42 --pid 1 --process x")).toThrow(
      /cannot be used together/,
    );
    expect(() => parseCommandText(`host-42 --process ${"x".repeat(64)}`)).toThrow(
      /not a process name/,
    );
    expect(() => parseCommandText('host-42 --process "a\u0007b"')).toThrow(/not a process name/);
    expect(() => parseCommandText('host-42 --process "Web Content')).toThrow(
      /double quote is not closed/,
    );
    expect(() => parseCommandText("host-42 latency extra")).toThrow(/unexpected "extra"/);
    expect(() => parseCommandText("../etc/passwd")).toThrow(/is not a host name/);
    expect(() => parseCommandText("host-42 --window 0.5s")).toThrow(/expected 1 s to 60 s/);
    expect(() => parseCommandText("host-42 sluggish")).toThrow(/unknown symptom "sluggish"/);
  });
});

describe("--process takes any comm value", () => {
  const processOf = (text: string) => {
    const r = parseCommandText(text);
    return r.kind === "diagnose" ? r.request.process : undefined;
  };

  it("kernel threads, names with slashes, colons and spaces (quoted), as ps shows them", () => {
    expect(processOf("host-42 --process kworker/0:1H")).toBe("kworker/0:1H");
    expect(processOf("host-42 --process ksoftirqd/0")).toBe("ksoftirqd/0");
    expect(processOf('host-42 --process "Web Content"')).toBe("Web Content");
    expect(processOf("host-42 --process 'Web Content' --deep")).toBe("Web Content");
    expect(processOf("host-42 --process “Web Content”")).toBe("Web Content");
    // Shell characters are only compared with the ps listing, never given to a shell.
    expect(processOf("host-42 --process x;reboot")).toBe("x;reboot");
    // 15 bytes is the kernel's own limit (TASK_COMM_LEN 16 with the NUL).
    expect(processOf("host-42 --process fifteen-bytes-x")).toBe("fifteen-bytes-x");
  });

  it("cuts a long bad value in the message", () => {
    expect(() => parseCommandText(`host-42 --process ${"x".repeat(100_000)}`)).toThrow(
      /^--process "x{64}"… \(100000 characters\): not a process name$/,
    );
  });
});
