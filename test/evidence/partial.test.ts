import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { saveBundle } from "../../src/bundle/save.js";
import { gapSentence } from "../../src/engine/coverage.js";
import { diagnoseFrom } from "../../src/engine/from.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

/**
 * A filtered paste (`dmesg | tail`, `dmesg -T | grep -i oom`) holds only part of its output:
 * what it shows proves a cause, what it lacks rules nothing out, and a bundle saved from it
 * says so when it is replayed.
 */
const work = mkdtempSync(join(tmpdir(), "diagbot-test-partial-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Kernel log lines in the format dmesg prints (util-linux), from a Debian 12 host. */
const QUIET = [
  "[  100.123456] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
  "[  101.000000] systemd-journald[312]: Received client request to flush runtime journal.",
];
const OOM =
  "[ 5120.778899] Out of memory: Killed process 4242 (java) total-vm:8388608kB, anon-rss:6291456kB, file-rss:1024kB, shmem-rss:0kB, UID:1000 pgtables:12800kB oom_score_adj:0";

function paste(name: string, command: string, lines: readonly string[]): string {
  const path = join(work, name);
  writeFileSync(path, `$ ${command}\n${lines.join("\n")}\n`);
  return path;
}

describe("a filtered kernel log", () => {
  it("rules nothing out: the rules it feeds are not evaluated, and the headline says why", async () => {
    const runbooks = await loadRunbooks();
    const { report } = await diagnoseFrom(
      paste("tail.txt", "dmesg | tail -2", QUIET),
      "x",
      undefined,
      runbooks,
    );
    const verdict = (id: string) => report.checked.find((c) => c.rule === id);
    for (const rule of ["memory-oom", "hung-task", "kernel-bug-signature", "hardware-mce"]) {
      expect(verdict(rule)?.verdict, rule).toBe("not-evaluated");
      expect(verdict(rule)?.why, rule).toBe(
        "only part of dmesg was given (filtered): what is absent from it proves nothing",
      );
    }
    expect(report.checked.filter((c) => c.verdict === "fine")).toEqual([]);
    expect(gapSentence(report)).toBe(
      "no rule could be checked: the evidence is only part of an output (filtered): what is absent from it proves nothing",
    );
  });

  it("still proves what it shows", async () => {
    const runbooks = await loadRunbooks();
    const { report } = await diagnoseFrom(
      paste("grep.txt", "dmesg -T | grep -i 'killed process'", [OOM]),
      "x",
      undefined,
      runbooks,
    );
    expect(report.hypotheses[0]?.rule).toBe("memory-oom");
  });

  it("stays partial in a bundle saved from it, and its replay says so", async () => {
    const runbooks = await loadRunbooks();
    const from = paste("save.txt", "dmesg | tail -2", QUIET);
    const { report, outputs } = await diagnoseFrom(from, "x", undefined, runbooks);
    const dir = join(work, "bundle");
    await saveBundle(
      dir,
      { host: "x", startedAt: report.startedAt, symptom: "health" },
      outputs,
      report,
    );
    const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
    expect(manifest.collectors.dmesg.partial).toBe(true);
    const replay = await diagnoseFrom(dir, "x", undefined, runbooks);
    expect(replay.report.checked.find((c) => c.rule === "memory-oom")?.verdict).toBe(
      "not-evaluated",
    );
    expect(replay.report.notes).toContain(
      "dmesg: the bundle holds only part of its output (filtered), so what is absent from it proves nothing",
    );
  });
});
