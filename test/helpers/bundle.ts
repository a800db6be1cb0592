import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Report, Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "./fixtures.js";

/**
 * One collector's output in a replayed bundle: a fixture path under test/fixtures/, or text
 * as is (`{ text }`), with an optional first snapshot (`start`, written as `<id>.start.out`)
 * for the windowed collectors (nstat, netstat -s, conntrack-stats, ethtool -S).
 */
export type BundleOutput = string | { text: string; start?: string };

/** Bundle folders written by {@link replayBundle}; {@link removeBundles} deletes them. */
const written: string[] = [];

/**
 * Writes `{ collectorId: output }` as a bundle folder (`<id>.out`, `<id>.start.out`, and a
 * `bundle.json` giving the window when `windowSeconds` is set) and diagnoses it with the real
 * parsers, derive modules and runbooks (`diagnoseBundle`): the report a replay would give.
 */
export async function replayBundle(
  files: Record<string, BundleOutput>,
  symptom: Symptom,
  windowSeconds?: number,
): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-bundle-"));
  written.push(dir);
  for (const [id, out] of Object.entries(files)) {
    const text = typeof out === "string" ? readFixture(out) : out.text;
    writeFileSync(join(dir, `${id}.out`), text);
    if (typeof out !== "string" && out.start !== undefined)
      writeFileSync(join(dir, `${id}.start.out`), out.start);
  }
  if (windowSeconds !== undefined)
    writeFileSync(join(dir, "bundle.json"), JSON.stringify({ window: { seconds: windowSeconds } }));
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

/** Deletes every bundle folder written so far (call in afterEach). */
export function removeBundles(): void {
  for (const d of written.splice(0)) rmSync(d, { recursive: true, force: true });
}
