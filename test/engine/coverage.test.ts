import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { diagnoseFrom } from "../../src/engine/from.js";
import { plan } from "../../src/engine/plan.js";
import { renderAnswer } from "../../src/render/blocks.js";
import { renderTerminal } from "../../src/render/terminal.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { COLLECTORS } from "../../src/sources/collectors.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * Coverage in the headline: a replayed bundle that lacks the kernel log, asked about memory,
 * says that OOM kills were not checked, in the summary, the terminal's first lines and Slack.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A bundle with one real fixture for every collector the memory plan runs but `skip`. */
function bundleWithout(skip: string | readonly string[], manifest?: object): string {
  const left = typeof skip === "string" ? [skip] : skip;
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-coverage-"));
  dirs.push(dir);
  for (const c of plan(COLLECTORS, "memory", { deep: false, hasPids: false })) {
    if (left.includes(c.id)) continue;
    let files: string[] = [];
    try {
      files = readdirSync(fixturePath(c.id)).filter((f) => f.endsWith(".txt"));
    } catch {
      continue;
    }
    const first = files.sort()[0];
    if (first) copyFileSync(fixturePath(`${c.id}/${first}`), join(dir, `${c.id}.out`));
  }
  if (manifest) writeFileSync(join(dir, "bundle.json"), JSON.stringify(manifest));
  return dir;
}

describe("coverage of a replay without the kernel log, for memory", () => {
  it("lists dmesg with the OOM rule, what would decide, and says it in the headline", async () => {
    const runbooks = await loadRunbooks();
    const { report } = await diagnoseBundle(bundleWithout("dmesg"), "t", "memory", runbooks);
    const dmesg = report.coverage?.find((c) => c.collector === "dmesg");
    expect(dmesg).toMatchObject({
      reason: "not in the bundle",
      wouldDecide: "`/usr/bin/dmesg` (as root where it needs it)",
    });
    expect(dmesg?.categories).toContain("memory-oom");
    expect(dmesg?.rules).toContain("memory-oom");
    // The cgroup's own counters found an OOM kill, so the headline does not call OOM kills
    // unchecked; the memory categories nothing found are said to be unchecked.
    expect(report.hypotheses[0]?.category).toBe("memory-oom");
    expect(report.summary).toMatch(
      /the kernel log is not in the bundle: memory leaks were not checked/,
    );
    expect(report.summary).not.toMatch(/OOM kills[a-zA-Z ,]* were not checked/);
    const text = renderTerminal(report, { color: false });
    expect(text.split("\n").slice(0, 4).join("\n")).toMatch(/memory leaks were not checked/);
    const slack = renderAnswer(report, { diagnosisId: "d1", bundle: false, redactions: 0 });
    expect(JSON.stringify(slack.blocks)).toMatch(/memory leaks were not checked/);
  });

  it("counts no gap for collectors skipped because what they read is not on the host", async () => {
    const runbooks = await loadRunbooks();
    const absent = (id: string) => COLLECTORS.find((c) => c.id === id)!.absent!.reason;
    const dir = bundleWithout(["dmesg", "edac", "smartctl", "scsi-ioerr"], {
      collectors: {
        edac: { status: "skipped", error: absent("edac") },
        smartctl: { status: "skipped", error: absent("smartctl") },
        "scsi-ioerr": {
          status: "failed",
          error: "cat: /sys/block/sda/device/ioerr_cnt: I/O error",
        },
      },
    });
    expect(plan(COLLECTORS, "memory", { deep: false, hasPids: false }).map((c) => c.id)).toEqual(
      expect.arrayContaining(["edac", "smartctl", "scsi-ioerr"]),
    );
    const { report } = await diagnoseBundle(dir, "t", "memory", runbooks);
    const gaps = report.coverage?.map((c) => c.collector) ?? [];
    expect(gaps).not.toContain("edac");
    expect(gaps).not.toContain("smartctl");
    expect(gaps).toContain("scsi-ioerr");
    expect(report.summary).not.toMatch(/edac|smartctl/);
  });

  it("names root or sudo when the bundle says dmesg failed as a non-root user", async () => {
    const runbooks = await loadRunbooks();
    const dir = bundleWithout("dmesg", {
      collectors: {
        dmesg: {
          status: "failed",
          error: "dmesg: read kernel buffer failed: Operation not permitted",
        },
      },
    });
    const { report } = await diagnoseBundle(dir, "t", "memory", runbooks);
    expect(report.coverage?.find((c) => c.collector === "dmesg")).toMatchObject({
      reason: expect.stringMatching(/^failed: .*\(needs root or sudo: true\)$/),
      wouldDecide: expect.stringMatching(
        /^run as root or set sudo: true for dmesg \(kernel\.dmesg_restrict\)/,
      ),
    });
    expect(report.summary).toMatch(/kernel log could not be read \(needs root or sudo: true\)/);
  });

  it("blames a corrupt kernel log in the evidence on the file, not on root", async () => {
    const runbooks = await loadRunbooks();
    const dir = bundleWithout("dmesg");
    writeFileSync(join(dir, "dmesg.out"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 0xff]));
    const { report } = await diagnoseBundle(dir, "t", "memory", runbooks);
    const dmesg = report.coverage?.find((c) => c.collector === "dmesg");
    expect(dmesg?.reason).toMatch(/^failed: .*binary/);
    expect(dmesg?.reason).not.toMatch(/root/);
    expect(dmesg?.wouldDecide).toBe(
      "a readable output of `/usr/bin/dmesg` (as root where it needs it) in its place",
    );
    expect(report.summary).toMatch(/the kernel log could not be read: /);
    expect(report.summary).not.toMatch(/needs root/);
  });

  it("names only the categories the symptom asks about", async () => {
    const runbooks = await loadRunbooks();
    const { report } = await diagnoseBundle(bundleWithout("dmesg"), "t", "network", runbooks);
    expect(report.coverage?.find((c) => c.collector === "dmesg")?.categories).toContain(
      "memory-oom",
    );
    expect(report.summary).not.toMatch(/OOM kills[a-zA-Z ,]* were not checked/);
  });
});

describe("fine means evidence was read", () => {
  it("a rule whose only deciding facts were all absent is not evaluated, naming them", async () => {
    const runbooks = await loadRunbooks();
    const dir = fileURLToPath(
      new URL("../../runbooks/examples/09-oom-memory-leak-tickrs", import.meta.url),
    );
    const { report } = await diagnoseBundle(dir, "t", "health", runbooks);
    expect(report.checked.find((c) => c.rule === "clocksource-unstable")).toEqual({
      rule: "clocksource-unstable",
      category: "clock-skew",
      verdict: "not-evaluated",
      why: "nothing to judge: no clocksource marked unstable, clock.slow was seen (read from dmesg or clocksource)",
    });
    // A rule with one value read against its threshold stays fine.
    expect(report.checked.find((c) => c.rule === "tcp-memory-pressure")?.verdict).toBe("fine");
  });
});

describe("evidence that lets no rule decide anything", () => {
  it("is not called a clean result: the headline says no rule could be checked", async () => {
    const runbooks = await loadRunbooks();
    const dir = mkdtempSync(join(tmpdir(), "diagbot-test-coverage-"));
    dirs.push(dir);
    const paste = join(dir, "paste.txt");
    writeFileSync(paste, "$ cat /proc/loadavg\n0.10 0.20 0.30 1/100 5\n");
    const { report } = await diagnoseFrom(paste, "x", undefined, runbooks);
    expect(report.hypotheses).toEqual([]);
    expect(report.checked.some((c) => c.verdict === "fine")).toBe(false);
    expect(report.summary).toMatch(
      /^No root cause found on x \(health\), but no rule could be checked/,
    );
    const text = renderTerminal(report, { color: false });
    expect(text).toContain("No root cause found, but no rule could be checked");
    const slack = renderAnswer(report, { diagnosisId: "d1", bundle: false, redactions: 0 });
    expect(JSON.stringify(slack.blocks)).toMatch(
      /:warning: \*No root cause found\*.*no rule could be checked/,
    );
  });
});
