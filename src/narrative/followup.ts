import type { LlmUsage, Narrative, Report } from "../model/report.js";
import type { NarrativeConfig } from "./config.js";
import { withEvidenceIds } from "./ids.js";
import { askChecked, type LlmMetrics } from "./narrate.js";
import { buildMessages, FOLLOW_UP_SCHEMA, type FollowUpTurn } from "./prompt.js";

export type { FollowUpTurn } from "./prompt.js";

/** The buttons of a diagnosis answer that collect new data. */
export const DATA_BUTTONS = {
  rerun: { label: "Re-run", what: "collects the same evidence again, now" },
  "deep-dive": {
    label: "Deep dive",
    what: "adds the sampling and tracing collectors (perf, strace, bcc) your role allows",
  },
} as const;

export type FollowUpAnswer =
  /** Answered from the stored report; checked like a narrative. */
  | { kind: "answer"; narrative: Narrative; llm: LlmUsage }
  /** The question needs new data: the button that would collect it (nothing is run). */
  | { kind: "needs-data"; button: keyof typeof DATA_BUTTONS; text: string; llm: LlmUsage }
  /** No checked answer: the deterministic summary and why. */
  | { kind: "unavailable"; text: string; note: string; llm: LlmUsage };

/**
 * Answers a question asked in a diagnosis's thread from its stored (redacted) report alone,
 * grounded and checked as the narrative is (validate.ts): it never runs anything. A question
 * that needs new data ("is it still happening?", "which syscalls?") is answered with the button
 * that would collect it. The question goes through the redactor and is given as data;
 * `previous` (the thread's earlier follow-ups, oldest first) is given as context.
 */
export async function answerFollowUp(
  question: string,
  storedReport: Report,
  config: NarrativeConfig,
  metrics?: LlmMetrics,
  previous: readonly FollowUpTurn[] = [],
): Promise<FollowUpAnswer> {
  const report = withEvidenceIds(storedReport);
  const built = buildMessages(report, question, previous);
  const { completion, answer, narrative, why } = await askChecked(
    config,
    built,
    FOLLOW_UP_SCHEMA,
    metrics,
  );
  const llm = completion.usage;
  if (!answer || !narrative) {
    return { kind: "unavailable", text: report.summary, note: `No checked answer: ${why}`, llm };
  }
  if (answer.needs === "rerun" || answer.needs === "deep-dive") {
    const b = DATA_BUTTONS[answer.needs];
    return {
      kind: "needs-data",
      button: answer.needs,
      text: `This needs new data: press ${b.label} (it ${b.what}). ${narrative.text}`,
      llm,
    };
  }
  return { kind: "answer", narrative, llm };
}
