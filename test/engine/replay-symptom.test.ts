import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveBundle } from "../../src/bundle/save.js";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";

/** A bundle saved for `symptom`, holding one real `uptime` output. */
async function bundleSavedFor(symptom: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-replay-symptom-"));
  await saveBundle(
    dir,
    { host: "h1", startedAt: "2026-12-07T00:00:00.000Z", symptom, windowSeconds: 5 },
    [
      {
        id: "uptime",
        status: "ok",
        out: Buffer.from("0.52 0.58 0.59 3/412 12345\n"),
        durationMs: 2,
        command: "cat /proc/loadavg /proc/uptime",
        stream: "stdout",
      },
    ],
  );
  return dir;
}

describe("the symptom a replayed bundle is judged for", () => {
  let runbooks: Runbook[];
  const dirs: string[] = [];
  beforeAll(async () => {
    runbooks = await loadRunbooks();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("is the one it was saved with when none is asked, and says so", async () => {
    const dir = await bundleSavedFor("disk");
    dirs.push(dir);
    const { report } = await diagnoseBundle(dir, "label", undefined, runbooks);
    expect(report.symptom).toBe("disk");
    expect(report.notes).toContain(
      "symptom: disk, as the bundle was saved (give one to judge for another)",
    );
  });

  it("is the one asked for when one is", async () => {
    const dir = await bundleSavedFor("disk");
    dirs.push(dir);
    const { report } = await diagnoseBundle(dir, "label", "cpu", runbooks);
    expect(report.symptom).toBe("cpu");
    expect(report.notes.join("\n")).not.toMatch(/as the bundle was saved/);
  });

  it("is health when the saved one is not a symptom this version knows", async () => {
    const dir = await bundleSavedFor("disk");
    dirs.push(dir);
    const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
    writeFileSync(join(dir, "bundle.json"), JSON.stringify({ ...manifest, symptom: "vibes" }));
    const { report } = await diagnoseBundle(dir, "label", undefined, runbooks);
    expect(report.symptom).toBe("health");
    expect(report.notes.join("\n")).not.toMatch(/as the bundle was saved/);
  });
});
