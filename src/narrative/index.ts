/**
 * The optional LLM narrative and thread follow-ups: a model explains the rules' report, and its
 * answer is kept only when it agrees with the evidence. It never changes the verdict.
 */
export { type NarrativeConfig, narrativeConfig } from "./config.js";
export {
  answerFollowUp,
  DATA_BUTTONS,
  type FollowUpAnswer,
  type FollowUpTurn,
} from "./followup.js";
export { evidenceId, withEvidenceIds } from "./ids.js";
export {
  type LlmMetrics,
  type NarrativeOutcome,
  withNarrative,
  writeNarrative,
} from "./narrate.js";
export { renderNarrativeSection } from "./terminal.js";
