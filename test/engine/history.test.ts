import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildReport } from "../../src/engine/diagnose.js";
import { PAST_CONFIDENCE } from "../../src/engine/history.js";
import type { CollectedOutput } from "../../src/model/collected.js";
import type { Symptom } from "../../src/model/report.js";
import { renderAnswer } from "../../src/render/blocks.js";
import { renderMarkdown } from "../../src/render/markdown.js";
import { ticketOutline } from "../../src/render/outline.js";
import { renderTerminal } from "../../src/render/terminal.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * History (DESIGN.md "Report"): a memcg OOM kill captured on this machine (its last kill at
 * 6831.9 s of uptime, in cgroup /diagbot-fault-oom-23147) replayed with a /proc/uptime that
 * makes it 9 minutes or 2 hours old, and a soft lockup 3 hours old with nothing current.
 */
const OOM_DIR = "sweeps/oom";
const LAST_KILL_S = 6831.942597;

function out(id: string, text: string | Buffer): CollectedOutput {
  return { id, status: "ok", out: Buffer.from(text), durationMs: 1 };
}

/** `/proc/loadavg` then `/proc/uptime`, as the uptime collector prints them. */
function uptime(seconds: number): CollectedOutput {
  return out("uptime", `0.10 0.05 0.01 1/200 300\n${seconds.toFixed(2)} 1000.00\n`);
}

const dmesg = () => out("dmesg", readFileSync(fixturePath(`${OOM_DIR}/dmesg.out`)));
const cgroups = () =>
  out("cgroup-memory", readFileSync(fixturePath(`${OOM_DIR}/cgroup-memory.out`)));
/** The same walk with only the hierarchy root and another cgroup: the OOM's cgroup is gone. */
const cgroupsWithoutIt = () =>
  out(
    "cgroup-memory",
    [
      "==> /sys/fs/cgroup/memory/ <==",
      "==> /sys/fs/cgroup/memory/system.slice/memory.oom_control <==",
      "oom_kill_disable 0",
      "under_oom 0",
      "oom_kill 0",
      "",
    ].join("\n"),
  );

let runbooks: Runbook[];
beforeAll(async () => {
  runbooks = await loadRunbooks();
});

async function report(outputs: CollectedOutput[], symptom: Symptom, windowSeconds = 5) {
  return buildReport(outputs, {
    host: "h",
    symptom,
    started: new Date(),
    windowSeconds,
    runbooks,
    notes: [],
    ignored: [],
  });
}

describe("an OOM kill 9 minutes before the window", () => {
  it("is history, not the cause, for the disk symptom, with its age, in every renderer", async () => {
    const r = await report([dmesg(), uptime(LAST_KILL_S + 540), cgroups()], "disk");
    expect(r.hypotheses.map((h) => h.category)).not.toContain("memory-oom");
    const oom = r.history?.find((h) => h.rule === "memory-oom");
    expect(oom?.ageSeconds).toBe(540);
    expect(oom?.title).not.toMatch(/is gone/);
    expect(oom?.confidence).toBeGreaterThan(PAST_CONFIDENCE);
    expect(oom?.score).toBeCloseTo((oom?.confidence ?? 0) * 0.5, 3);

    const text = renderTerminal(r, { color: false });
    const current = text.indexOf("No root cause found");
    const past = text.indexOf("Recent history");
    expect(current).toBeGreaterThanOrEqual(0);
    expect(past).toBeGreaterThan(current);
    expect(text).toMatch(
      /9 min ago {2}The OOM killer ran at the memory limit of cgroup \/diagbot-fault-oom-23147/,
    );

    const slack = JSON.stringify(
      renderAnswer(r, { diagnosisId: "d1", redactions: 0, bundle: false }).blocks,
    );
    expect(slack).toMatch(/\*Recent history\*.*9 min ago: The OOM killer ran/);
    const md = renderMarkdown(ticketOutline(r));
    expect(md).toMatch(
      /### Recent history \(ended before the window\)\n\n- 9 min ago: The OOM killer ran/,
    );
  });

  it("is the current cause for the memory symptom, which it concerns", async () => {
    const r = await report([dmesg(), uptime(LAST_KILL_S + 540), cgroups()], "memory");
    expect(r.hypotheses.map((h) => h.rule)).toContain("memory-oom");
    expect(r.history?.map((h) => h.rule) ?? []).not.toContain("memory-oom");
  });

  it("says that a cgroup the walk no longer lists is gone", async () => {
    const r = await report([dmesg(), uptime(LAST_KILL_S + 540), cgroupsWithoutIt()], "network");
    const oom = r.history?.find((h) => h.rule === "memory-oom");
    expect(oom?.title).toMatch(/\(cgroup \/diagbot-fault-oom-23147 is gone\)$/);
  });
});

describe("events older than the look-back", () => {
  it("are history at low confidence, never dropped, even for the symptom they concern", async () => {
    const r = await report([dmesg(), uptime(LAST_KILL_S + 7200)], "memory");
    expect(r.hypotheses.map((h) => h.category)).not.toContain("memory-oom");
    const oom = r.history?.find((h) => h.rule === "memory-oom");
    expect(oom?.ageSeconds).toBe(7200);
    expect(oom?.confidence).toBeLessThanOrEqual(PAST_CONFIDENCE);
    expect(r.notes.join("\n")).toMatch(/older than 60 min .* history/);
  });

  it("stay history when a current reading (memory low now) boosts the old finding", async () => {
    const low = out("meminfo", "MemTotal: 1000000 kB\nMemFree: 10000 kB\nMemAvailable: 20000 kB\n");
    const r = await report([dmesg(), uptime(LAST_KILL_S + 7200), low], "memory");
    const oom = r.history?.find((h) => h.rule === "memory-oom");
    expect(oom?.evidence.map((e) => e.fact)).toContain("mem.available_pct");
    expect(oom?.ageSeconds).toBe(7200);
    expect(r.hypotheses.map((h) => h.rule)).not.toContain("memory-oom");
  });

  it("a known kernel bug signature 3 h old is named in the headline when nothing current is found", async () => {
    const log = "[  100.000000] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [java:2211]\n";
    const r = await report([out("dmesg", log), uptime(100 + 3 * 3600)], "hang");
    expect(r.hypotheses).toEqual([]);
    const bug = r.history?.find((h) => h.category === "kernel-bug");
    expect(bug?.confidence).toBeLessThanOrEqual(PAST_CONFIDENCE);
    expect(r.summary).toMatch(
      new RegExp(
        `In recent history: .*soft.lockup.* \\(kernel-bug, ${Math.round((bug?.confidence ?? 0) * 100)} %, 3 h ago\\)`,
      ),
    );
    const text = renderTerminal(r, { color: false });
    expect(text.split("\n").slice(0, 5).join("\n")).toMatch(/In recent history: .*3 h ago/);
    const slack = JSON.stringify(
      renderAnswer(r, { diagnosisId: "d2", redactions: 0, bundle: false }).blocks,
    );
    expect(slack).toMatch(/No root cause found.*In recent history: .*kernel-bug.*3 h ago/);
    const fallback = renderAnswer(r, { diagnosisId: "d2", redactions: 0, bundle: false }).text;
    expect(fallback).toMatch(/no root cause found; in recent history: .*kernel-bug.*3 h ago/);
  });
});
