import type { LlmUsage, Narrative, Report } from "../model/report.js";
import type { Metrics } from "../observability/metrics.js";
import { redactText } from "../redact/index.js";
import { type Completion, complete } from "./client.js";
import type { NarrativeConfig } from "./config.js";
import { withEvidenceIds } from "./ids.js";
import { buildMessages, type GroundDocument, NARRATIVE_SCHEMA } from "./prompt.js";
import { type ModelAnswer, parseAnswer, validateAnswer } from "./validate.js";

/** Counters a narrative updates, when the process has metrics. */
export type LlmMetrics = Pick<Metrics, "llmTokens" | "llmAnswers">;

/** A narrative kept (`narrative`), or why there is none (`note`); and what asking cost. */
export interface NarrativeOutcome {
  narrative?: Narrative;
  note?: string;
  llm: LlmUsage;
}

/** Adds the tokens of a completion and its outcome to the counters. */
export function countUsage(
  metrics: LlmMetrics | undefined,
  usage: LlmUsage,
  outcome: "shown" | "discarded" | "failed",
): void {
  if (!metrics) return;
  metrics.llmTokens.inc({ kind: "prompt" }, usage.tokens.prompt);
  metrics.llmTokens.inc({ kind: "completion" }, usage.tokens.completion);
  metrics.llmAnswers.inc({ outcome });
}

/**
 * Sends the messages, parses and checks the answer against the document. The shared path of
 * the narrative and the follow-ups; a failure is `{ ok: false, why }` and counted.
 */
export async function askChecked(
  config: NarrativeConfig,
  built: ReturnType<typeof buildMessages>,
  schema: { name: string; strict: boolean; schema: Record<string, unknown> },
  metrics?: LlmMetrics,
): Promise<{ completion: Completion; answer?: ModelAnswer; narrative?: Narrative; why?: string }> {
  const completion = await complete(config, built.messages, schema);
  if (!completion.ok) {
    countUsage(metrics, completion.usage, "failed");
    return { completion, why: completion.why };
  }
  const parsed = parseAnswer(completion.content);
  const checked = parsed.ok ? validate(parsed.value, built.document, config.model) : parsed;
  countUsage(metrics, completion.usage, checked.ok ? "shown" : parsed.ok ? "discarded" : "failed");
  if (!checked.ok) return { completion, why: checked.why };
  return { completion, answer: parsed.ok ? parsed.value : undefined, narrative: checked.value };
}

/** The validator, then the redactor over the kept text (a model may echo what it was told). */
function validate(answer: ModelAnswer, doc: GroundDocument, model: string) {
  const checked = validateAnswer(answer, doc, model);
  return checked.ok
    ? { ok: true as const, value: { ...checked.value, text: redactText(checked.value.text).text } }
    : checked;
}

/**
 * Asks the model to explain the report and keeps its text only when it passes every check
 * (validate.ts). Never throws for the model's sake: a timeout, an HTTP error or a bad answer
 * gives a `note` instead. The report itself is not changed (see {@link withNarrative}).
 */
export async function writeNarrative(
  report: Report,
  config: NarrativeConfig,
  metrics?: LlmMetrics,
): Promise<NarrativeOutcome> {
  const built = buildMessages(withEvidenceIds(report));
  const { completion, narrative, why } = await askChecked(config, built, NARRATIVE_SCHEMA, metrics);
  return narrative
    ? { narrative, llm: completion.usage }
    : { note: `LLM narrative not shown: ${why}`, llm: completion.usage };
}

/** The report with the outcome: evidence ids, `narrative` when kept, `llm`, and the note. */
export function withNarrative(report: Report, outcome: NarrativeOutcome): Report {
  return {
    ...withEvidenceIds(report),
    ...(outcome.narrative ? { narrative: outcome.narrative } : {}),
    llm: outcome.llm,
    notes: outcome.note ? [...report.notes, outcome.note] : report.notes,
  };
}
