import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { diagnoseBundle } from "../engine/diagnose.js";
import { SYMPTOMS, type Symptom } from "../model/report.js";
import type { Runbook } from "../runbooks/schema.js";

/**
 * `runbooks test`: replays every example bundle under `<runbook dir>/examples/*` and checks
 * its `expected.json`: `category` (or one of `also`) must be the top hypothesis; a control
 * (`"category": "none"`) must give no finding.
 */
export interface ExampleResult {
  name: string;
  expected: string;
  also: string[];
  got: string;
  pass: boolean;
}

export async function replayExamples(
  dir: string,
  runbooks: readonly Runbook[],
): Promise<ExampleResult[]> {
  const root = join(dir, "examples");
  if (!existsSync(root)) return [];
  const results: ExampleResult[] = [];
  for (const name of readdirSync(root).sort()) {
    const expectedPath = join(root, name, "expected.json");
    if (!existsSync(expectedPath)) continue;
    const expected = JSON.parse(readFileSync(expectedPath, "utf8")) as {
      category: string;
      also?: string[];
      symptom?: string;
    };
    const symptom = (SYMPTOMS as readonly string[]).includes(expected.symptom ?? "")
      ? (expected.symptom as Symptom)
      : "health";
    const { report } = await diagnoseBundle(join(root, name), name, symptom, runbooks);
    const got = report.hypotheses[0]?.category ?? "none";
    const also = expected.also ?? [];
    results.push({
      name,
      expected: expected.category,
      also,
      got,
      pass: got === expected.category || also.includes(got),
    });
  }
  return results;
}
