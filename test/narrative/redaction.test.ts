import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { answerFollowUp, writeNarrative } from "../../src/narrative/index.js";
import type { StandIn } from "../helpers/openai-stand-in.js";
import { CORPUS, leaked } from "../redact/corpus.js";
import { groundedAnswer, standInConfig, standInSuite } from "./fixtures.js";

/**
 * No request to the model holds a secret of the redaction corpus planted in the report: in
 * evidence excerpts, titles, checked rules' reasons, collector errors and a follow-up question.
 */

const suite = standInSuite("fault-disk-saturation", "disk");
let s: StandIn;
let clean: Report;
beforeAll(() => {
  ({ s, report: clean } = suite);
});

/** The report with `text` planted wherever host text or a rule's words can be. */
function plant(text: string): Report {
  return {
    ...clean,
    hypotheses: clean.hypotheses.map((h) => ({
      ...h,
      title: `${h.title} (${text})`,
      evidence: h.evidence.map((e) => ({ ...e, excerpt: text, value: text })),
    })),
    checked: clean.checked.map((c, i) => (i === 0 ? { ...c, why: text } : c)),
    collectors: [...clean.collectors, { id: "top", status: "failed", durationMs: 1, error: text }],
  };
}

describe("secrets never reach the model", () => {
  it(`none of the ${CORPUS.length} planted secrets is in any request`, async () => {
    expect(CORPUS.length).toBeGreaterThan(100);
    s.script({ content: groundedAnswer(clean) });
    const leaks: string[] = [];
    for (const p of CORPUS) {
      s.requests.length = 0;
      const report = plant(p.text);
      await writeNarrative(report, standInConfig(s));
      await answerFollowUp(`is this the problem? ${p.text}`, report, standInConfig(s));
      expect(s.requests).toHaveLength(2);
      const sent = s.requests.map((r) => JSON.stringify(r.body)).join("\n");
      // The body is JSON: compare against the secret as JSON would escape it, and as is.
      const escaped = JSON.stringify(p.secret).slice(1, -1);
      const piece = leaked(sent, p.secret) ?? leaked(sent, escaped);
      if (piece) leaks.push(`${p.shape} (${p.context}): ${piece}`);
    }
    expect(leaks).toEqual([]);
  });
});
