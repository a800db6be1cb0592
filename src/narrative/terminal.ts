import type { NarrativeOutcome } from "./narrate.js";

/** `1 request, 812 tokens (700 prompt, 112 completion)`. */
function cost(o: NarrativeOutcome): string {
  const { requests, tokens } = o.llm;
  return `${requests} request${requests === 1 ? "" : "s"}, ${tokens.total} tokens (${tokens.prompt} prompt, ${tokens.completion} completion)`;
}

/**
 * The narrative section the CLI prints after the report: the kept text marked as a model's,
 * or the note saying why there is none, and what it cost.
 */
export function renderNarrativeSection(o: NarrativeOutcome): string {
  if (!o.narrative) return `\n${o.note}\nLLM: ${o.llm.model}, ${cost(o)}.\n`;
  const n = o.narrative;
  return [
    "",
    `Narrative (written by ${n.model}, checked against the evidence):`,
    ...n.text.split("\n").map((l) => `  ${l}`),
    `  Cites: ${n.cites.join(", ") || "none"}`,
    `LLM: ${cost(o)}.`,
    "",
  ].join("\n");
}
