import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Report, Symptom } from "../../src/model/report.js";
import type { NarrativeConfig } from "../../src/narrative/config.js";
import { withEvidenceIds } from "../../src/narrative/ids.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { type StandIn, startStandIn } from "../helpers/openai-stand-in.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const EXAMPLES = join(ROOT, "runbooks", "examples");

/** The report the real engine gives for a replayed example bundle, with evidence ids. */
export async function exampleReport(dir: string, symptom: Symptom): Promise<Report> {
  const runbooks = await loadRunbooks(join(ROOT, "runbooks"));
  const { report } = await diagnoseBundle(dir, "example", symptom, runbooks);
  return withEvidenceIds(report);
}

/** Settings pointing at the stand-in. */
export function standInConfig(
  s: StandIn,
  overrides: Partial<NarrativeConfig> = {},
): NarrativeConfig {
  return {
    apiKey: s.apiKey,
    baseURL: s.baseURL,
    model: "stand-in-model",
    timeoutMs: 5000,
    maxTokens: 600,
    tokensParam: "max_tokens",
    retryAfterCapMs: 10_000,
    ...overrides,
  };
}

/** A grounded answer for a report: its top category, its title and first excerpt, one cite. */
export function groundedAnswer(report: Report): {
  topCategory: string;
  text: string;
  cites: string[];
} {
  const top = report.hypotheses[0];
  if (!top) return { topCategory: "none", text: "No rule found a root cause.", cites: [] };
  const first = top.evidence[0];
  return {
    topCategory: top.category,
    text: `${top.title}. The evidence: ${first?.excerpt}.`,
    cites: first?.id ? [first.id] : [],
  };
}

/**
 * A stand-in server and the report of an example bundle for a test file: started before its
 * tests, its recorded requests cleared before each, closed after them.
 */
export function standInSuite(example: string, symptom: Symptom): { s: StandIn; report: Report } {
  const ctx = {} as { s: StandIn; report: Report };
  beforeAll(async () => {
    ctx.s = await startStandIn();
    ctx.report = await exampleReport(join(EXAMPLES, example), symptom);
  });
  afterAll(() => ctx.s.close());
  beforeEach(() => {
    ctx.s.requests.length = 0;
  });
  return ctx;
}
