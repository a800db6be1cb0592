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
export type BundleFiles = Record<string, string | { text: string }>;

/**
 * A replayer: `{ collectorId: fixture path under test/fixtures, or { text } written as is }`
 * becomes `<collectorId>.out` in a fresh folder, diagnosed for `symptom`.
 */
export function bundleReplayer(): (files: BundleFiles, symptom: Symptom) => Promise<Report> {
  const dirs: string[] = [];
  let runbooks: Runbook[] | undefined;
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return async (files, symptom) => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-test-replay-"));
    dirs.push(dir);
    for (const [id, file] of Object.entries(files)) {
      const to = join(dir, `${id}.out`);
      if (typeof file === "string") copyFileSync(fixturePath(file), to);
      else writeFileSync(to, file.text);
    }
    runbooks ??= await loadRunbooks();
    return (await diagnoseBundle(dir, "t", symptom, runbooks)).report;
  };
}

/** The hypothesis of `rule` in a report, undefined when it did not fire. */
export function hyp(report: Report, rule: string): Hypothesis | undefined {
  return report.hypotheses.find((h) => h.rule === rule);
}
