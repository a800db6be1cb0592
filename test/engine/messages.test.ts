import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { perfReport } from "../../src/collectors/perf-report.js";
import { perfSched } from "../../src/collectors/perf-sched.js";
import { derive } from "../../src/derive/index.js";
import { collect } from "../../src/engine/collect.js";
import { linesOf } from "../../src/parsers/lines.js";
import { parseProcFds } from "../../src/parsers/proc-fds.js";
import type { Transport } from "../../src/transport/types.js";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

/** Messages that say why, in the words of the situation they are shown in. */

describe("why a collector did not run", () => {
  it("perf-sched and perf-report say why they are skipped on a sudo-only host", async () => {
    // A non-root session on a host with sudo: true. No command may run: exec fails the test.
    const transport: Transport = {
      host: "h",
      root: false,
      maxSessions: 4,
      exec: () => Promise.reject(new Error("no command should run")),
      close: async () => {},
    };
    const out = await collect(transport, [perfSched, perfReport], {
      windowSeconds: 3,
      pids: [],
      sudo: true,
    });
    for (const o of out) {
      expect(o.status).toBe("skipped");
      expect(o.error).toMatch(
        /^needs root, and as a script \(record, report, clean up\) it never runs under sudo .*connect as root/,
      );
    }
  });

  it("a rule needing strace says it runs only with --deep, not that it is missing", async () => {
    const r = await runCli(["diagnose", "local", "errors", "--window", "1s", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const strace = r.json.checked.filter((c: { why: string }) => /strace/.test(c.why));
    expect(strace.length).toBeGreaterThan(0);
    for (const c of strace) expect(c.why).not.toMatch(/strace, which is missing/);
    const heavy = r.json.checked.find((c: { rule: string }) => c.rule === "syscall-heavy");
    expect(heavy.why).toBe("needs output of strace, which runs only with --deep");
  });
});

describe("proc-fds coverage note", () => {
  const facts = parseProcFds(
    linesOf(readFileSync(fixturePath("proc-fds/vm-debian12-k6.18__proc-fds-nonroot.txt"), "utf8")),
  ).facts;
  const note = (root: boolean | undefined) =>
    derive(new Map([["proc-fds", { facts }]]), { windowSeconds: 3, root }).notes.find((n) =>
      n.startsWith("proc-fds:"),
    );

  it("tells a non-root session to connect as root, never to turn sudo on", () => {
    for (const root of [false, undefined]) {
      expect(note(root)).toMatch(/belong to other users.*connect as root/);
      expect(note(root)).not.toMatch(/sudo: true/);
    }
  });

  it("as root, does not tell the user to run as root", () => {
    expect(note(true)).toMatch(/could not be read even as root \(they ended during the walk/);
    expect(note(true)).not.toMatch(/connect as root|sudo: true/);
  });
});

describe("pids next step", () => {
  it("names the cgroup v1 pids hierarchy on a v1 host", async () => {
    const r = await runCli([
      "diagnose",
      "x",
      "--from",
      fixturePath("../../runbooks/examples/fault-pids-exhaustion"),
      "--json",
    ]);
    const pids = r.json.hypotheses.filter((h: { rule: string }) => h.rule.startsWith("pids-"));
    expect(pids.length).toBeGreaterThan(0);
    for (const h of pids) {
      expect(h.next[0]).toMatch(
        /^cd \/sys\/fs\/cgroup\/pids\/diagbot-fault-pids-\d+ && cat pids\.current/,
      );
    }
  });
});
