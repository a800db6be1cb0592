import { CATEGORIES, type Narrative } from "../model/report.js";
import { documentNumbers, ungroundedNumbers } from "./numbers.js";
import { type GroundDocument, MAX_TEXT_CHARS } from "./prompt.js";

/** A model's answer as its JSON schema asks for it. */
export interface ModelAnswer {
  topCategory: string;
  text: string;
  cites: string[];
  /** Follow-ups only: whether the question needs new data. */
  needs?: "nothing" | "rerun" | "deep-dive";
}

export type Checked<T> = { ok: true; value: T } | { ok: false; why: string };

/**
 * The JSON object in a model's reply. A server that ignores `response_format` may wrap it in
 * prose or a ```json fence: the text from the first `{` to the last `}` is read.
 */
export function parseAnswer(content: string | null | undefined): Checked<ModelAnswer> {
  const text = content ?? "";
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  let parsed: unknown;
  try {
    parsed = JSON.parse(start >= 0 && end > start ? text.slice(start, end + 1) : text);
  } catch {
    return { ok: false, why: "the model's reply is not JSON" };
  }
  const a = parsed as Partial<ModelAnswer> | null;
  if (
    !a ||
    typeof a.topCategory !== "string" ||
    typeof a.text !== "string" ||
    !Array.isArray(a.cites) ||
    !a.cites.every((c) => typeof c === "string")
  ) {
    return { ok: false, why: "the model's reply lacks topCategory, text or cites" };
  }
  const needs = a.needs;
  if (needs !== undefined && !["nothing", "rerun", "deep-dive"].includes(needs)) {
    return { ok: false, why: `the model's reply has needs=${JSON.stringify(needs)}` };
  }
  const answer: ModelAnswer = { topCategory: a.topCategory, text: a.text.trim(), cites: a.cites };
  return { ok: true, value: needs === undefined ? answer : { ...answer, needs } };
}

/** Category ids a text may name; `other` is left out, being an ordinary word. */
const CATEGORY_WORD = new RegExp(
  `(?<![\\w-])(${CATEGORIES.filter((c) => c !== "other").join("|")})(?![\\w-])`,
  "g",
);

/**
 * Checks an answer against the document the model was given. The answer is discarded (the
 * reason returned) when:
 * 1. its text is empty or longer than {@link MAX_TEXT_CHARS} characters;
 * 2. `topCategory` is not the rules' top category (`none` when no hypothesis fired);
 * 3. a cited id is not an evidence id of the document, or it cites nothing while a
 *    hypothesis fired;
 * 4. the text names a category id that is not a hypothesis's, or names one before the top
 *    category (checked rules are described in words, not by id);
 * 5. a number of the text is not grounded (see numbers.ts for the exact rule) in the report's
 *    part of the document: a number that only the question or an earlier follow-up holds does
 *    not count, so a question cannot lend the model a number.
 */
export function validateAnswer(
  answer: ModelAnswer,
  doc: GroundDocument,
  model: string,
): Checked<Narrative> {
  const { text, cites } = answer;
  if (!text) return { ok: false, why: "the model's text is empty" };
  if (text.length > MAX_TEXT_CHARS) {
    return {
      ok: false,
      why: `the model's text is ${text.length} characters long (at most ${MAX_TEXT_CHARS})`,
    };
  }
  if (answer.topCategory !== doc.topCategory) {
    return {
      ok: false,
      why: `the model names ${answer.topCategory} as the cause, the rules ${doc.topCategory}`,
    };
  }
  const ids = new Set(doc.hypotheses.flatMap((h) => h.evidence.map((e) => e.id)));
  const unknown = cites.filter((c) => !ids.has(c));
  if (unknown.length > 0) {
    return { ok: false, why: `the model cites ${unknown.join(", ")}, not in the evidence` };
  }
  if (cites.length === 0 && doc.hypotheses.length > 0) {
    return { ok: false, why: "the model cites no evidence" };
  }
  const fired = new Set(doc.hypotheses.map((h) => h.category));
  const named = [...text.matchAll(CATEGORY_WORD)].map((m) => m[1] as string);
  const foreign = named.find((c) => !fired.has(c));
  if (foreign) {
    return { ok: false, why: `the model's text names ${foreign}, not a hypothesis of the rules` };
  }
  if (named.length > 0 && named[0] !== doc.topCategory) {
    return {
      ok: false,
      why: `the model's text names ${named[0]} first, the rules ${doc.topCategory}`,
    };
  }
  const { question: _question, previous: _previous, ...grounds } = doc;
  const invented = ungroundedNumbers(text, documentNumbers(grounds));
  if (invented.length > 0) {
    return {
      ok: false,
      why: `the model's text shows ${invented.slice(0, 3).join(", ")}, in no evidence`,
    };
  }
  return { ok: true, value: { text, model, cites: [...new Set(cites)] } };
}
