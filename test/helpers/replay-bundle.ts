import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Hypothesis, Report, Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { fixturePath } from "./fixtures.js";

/**
 * Bundles written from outputs and diagnosed with the real parsers, derive layer and runbooks
 * (`diagnoseBundle`). Call {@link bundleReplayer} once per test file: it removes its folders
 * after each test.
 */
export type BundleOutput = string | { text: string; start?: string };
export type BundleFiles = Record<string, BundleOutput>;

/**
 * A replayer: `{ collectorId: fixture path under test/fixtures, or { text } written as is }`
 * becomes `<collectorId>.out` in a fresh folder (a key `<id>.start`, or `{ text, start }`, gives
 * the first snapshot of a windowed counter as `<id>.start.out`), diagnosed for `symptom`; `windowSeconds` writes a `bundle.json` with
 * that window, so start and end snapshots are judged over it.
 */
export function bundleReplayer(): (
  files: BundleFiles,
  symptom: Symptom,
  windowSeconds?: number,
) => Promise<Report> {
  const dirs: string[] = [];
  let runbooks: Runbook[] | undefined;
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return async (files, symptom, windowSeconds) => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-test-replay-"));
    dirs.push(dir);
    if (windowSeconds !== undefined) {
      const manifest = { version: 1, window: { seconds: windowSeconds } };
      writeFileSync(join(dir, "bundle.json"), JSON.stringify(manifest));
    }
    for (const [id, file] of Object.entries(files)) {
      const to = join(dir, `${id}.out`);
      if (typeof file === "string") copyFileSync(fixturePath(file), to);
      else writeFileSync(to, file.text);
      if (typeof file !== "string" && file.start !== undefined)
        writeFileSync(join(dir, `${id}.start.out`), file.start);
    }
    runbooks ??= await loadRunbooks();
    return (await diagnoseBundle(dir, "t", symptom, runbooks)).report;
  };
}

/** The hypothesis of `rule` in a report, undefined when it did not fire. */
export function hyp(report: Report, rule: string): Hypothesis | undefined {
  return report.hypotheses.find((h) => h.rule === rule);
}
