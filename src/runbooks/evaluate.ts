import Mustache from "mustache";
import { FACT_CATALOGUE } from "../derive/index.js";
import type { DerivedFacts, FactTree, FactValue } from "../derive/types.js";
import type { Category, Checked, Evidence, Hypothesis, Symptom } from "../model/report.js";
import {
  type Comparison,
  type Condition,
  describeComparison,
  isFactRef,
  type Runbook,
} from "./schema.js";
import { findingKey, renderSubject } from "./subject.js";

/**
 * Evaluates runbook rules over derived facts, with three-valued logic (Kleene):
 *
 * - a comparison on an absent fact is **unknown** (except `exists`, which is false/true);
 * - `all` is false if any part is false, else unknown if any part is unknown, else true;
 * - `any` is true if any part is true, else unknown if any part is unknown, else false;
 * - `not` swaps true and false and keeps unknown.
 *
 * A rule whose `needs` lack output, whose sample is below its `minSamples`, or whose condition
 * is unknown, is `not-evaluated` (with a why naming the missing collector, the short sample or
 * the missing facts): it could not run, which is not the same as
 * "fine" (insights-core's skipped rules). A false condition is `fine`, with a why quoting the
 * values seen. A true condition gives a hypothesis.
 *
 * On string[] facts, `eq`, `in` and `matches` hold when any element does, `ne` when none is
 * equal.
 *
 * This module gives verdicts only: which rules fired (with their evidence) and why the others
 * did not. Ranking for a symptom is the engine's (src/engine/rank.ts).
 */

/** Unknown is `undefined`. */
export type Truth = boolean | undefined;

/** A comparison that held, with the value seen (and the other fact's value for references). */
export interface Held {
  comparison: Comparison;
  value: FactValue;
  other?: FactValue;
}

/** The outcome of one condition: truth value, what held, what was missing, why it was false. */
export interface ConditionResult {
  truth: Truth;
  /** Comparisons that made a true result true (not those under `not`). */
  held: Held[];
  /** Fact paths that were absent where they could have changed the result. */
  missing: string[];
  /** Why a false result is false, one entry per comparison that failed (see {@link Reason}). */
  reasons: Reason[];
}

/**
 * One reason a condition is false: a comparison that did not hold on the value seen (`held`
 * false), an `exists` guard that did not hold (the fact is present, or absent), or a `not`
 * whose inner comparisons held.
 */
export type Reason =
  | { kind: "unmet"; comparison: Comparison; value: FactValue; other?: FactValue }
  | { kind: "present"; fact: string; value: FactValue }
  | { kind: "absent"; fact: string }
  | { kind: "not"; held: Held[] };

/** One fired rule: its hypothesis (score 0 until ranked) and what ranking needs of the rule. */
export interface Fired {
  hypothesis: Hypothesis;
  /** The rule's symptoms (full weight for these). */
  symptoms: readonly Symptom[];
  /** Categories the rule explains when it fires. */
  supersedes: readonly Category[];
}

/** The verdicts of {@link evaluateRules}: the rules that fired and every rule that did not. */
export interface Verdicts {
  fired: Fired[];
  checked: Checked[];
}

/** Reads a leaf fact by dotted path; objects and absent paths give undefined. */
export function factAt(tree: FactTree, path: string): FactValue | undefined {
  let node: unknown = tree;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === "number") return Number.isFinite(node) ? node : undefined;
  if (typeof node === "string" || typeof node === "boolean") return node;
  if (Array.isArray(node) && node.every((x) => typeof x === "string")) return node as string[];
  return undefined;
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) {
    r = new RegExp(pattern);
    regexCache.set(pattern, r);
  }
  return r;
}

function compareScalar(op: Comparison["op"], a: FactValue, b: unknown): Truth {
  switch (op) {
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      if (typeof a !== "number" || typeof b !== "number") return undefined;
      if (op === "gt") return a > b;
      if (op === "gte") return a >= b;
      if (op === "lt") return a < b;
      return a <= b;
    }
    case "eq":
    case "ne": {
      const list = Array.isArray(a) ? a : [a];
      if (Array.isArray(b)) return undefined;
      const hit = list.some((x) => x === b);
      return op === "eq" ? hit : !hit;
    }
    case "in": {
      if (!Array.isArray(b)) return undefined;
      const list = Array.isArray(a) ? a : [a];
      return list.some((x) => (b as unknown[]).includes(x));
    }
    case "matches": {
      if (typeof b !== "string") return undefined;
      const list = Array.isArray(a) ? a : [a];
      if (!list.every((x) => typeof x === "string")) return undefined;
      const r = regex(b);
      return list.some((x) => r.test(x as string));
    }
    case "exists":
      return b === true;
  }
}

function show(v: unknown): string {
  if (typeof v === "number") return formatNumber(v);
  if (Array.isArray(v))
    return v.length > 5 ? `[${v.slice(0, 5).join(", ")}, ...]` : `[${v.join(", ")}]`;
  return String(v);
}

/** Numbers as a person reads them: at most 2 decimals (3 significant digits below 1). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return String(a >= 1 ? Number(v.toFixed(2)) : Number(v.toPrecision(3)));
}

/** Threshold text of a comparison, as evidence shows it: `>= 90`, `> disk.worst.svctm_ms (3)`. */
export function thresholdOf(c: Comparison, other?: FactValue): string {
  const full = describeComparison(c);
  const rhs = full.slice(c.fact.length + 1);
  return other !== undefined ? `${rhs} (${show(other)})` : rhs;
}

/** Evaluates a condition tree over a fact tree. */
export function evaluateCondition(c: Condition, tree: FactTree): ConditionResult {
  if ("all" in c || "any" in c) {
    const isAll = "all" in c;
    const parts = (isAll ? (c as { all: Condition[] }).all : (c as { any: Condition[] }).any).map(
      (x) => evaluateCondition(x, tree),
    );
    // all: one false decides; any: one true decides.
    const decisive = !isAll;
    if (parts.some((p) => p.truth === decisive)) {
      const hits = parts.filter((p) => p.truth === decisive);
      return {
        truth: decisive,
        held: isAll ? [] : hits.flatMap((p) => p.held),
        missing: [],
        reasons: isAll ? hits.flatMap((p) => p.reasons) : [],
      };
    }
    if (parts.some((p) => p.truth === undefined)) {
      return {
        truth: undefined,
        held: [],
        missing: [...new Set(parts.flatMap((p) => p.missing))],
        reasons: [],
      };
    }
    return {
      truth: !decisive,
      held: isAll ? parts.flatMap((p) => p.held) : [],
      missing: [],
      reasons: isAll ? [] : parts.flatMap((p) => p.reasons),
    };
  }
  if ("not" in c) {
    const inner = evaluateCondition(c.not, tree);
    if (inner.truth === undefined) return { ...inner, held: [], reasons: [] };
    return {
      truth: !inner.truth,
      held: [],
      missing: [],
      reasons: inner.truth ? [{ kind: "not", held: inner.held }] : [],
    };
  }
  return evaluateComparison(c, tree);
}

function evaluateComparison(c: Comparison, tree: FactTree): ConditionResult {
  const value = factAt(tree, c.fact);
  if (c.op === "exists") {
    const truth = (value !== undefined) === c.value;
    return {
      truth,
      held: truth && value !== undefined ? [{ comparison: c, value }] : [],
      missing: [],
      reasons: truth
        ? []
        : [
            value === undefined
              ? { kind: "absent", fact: c.fact }
              : { kind: "present", fact: c.fact, value },
          ],
    };
  }
  if (value === undefined) return { truth: undefined, held: [], missing: [c.fact], reasons: [] };
  let rhs: unknown = c.value;
  let other: FactValue | undefined;
  if (isFactRef(c.value)) {
    other = factAt(tree, c.value.fact);
    if (other === undefined) {
      return { truth: undefined, held: [], missing: [c.value.fact], reasons: [] };
    }
    rhs = other;
  }
  const truth = compareScalar(c.op, value, rhs);
  if (truth === undefined) return { truth, held: [], missing: [c.fact], reasons: [] };
  return {
    truth,
    held: truth ? [{ comparison: c, value, other }] : [],
    missing: [],
    reasons: truth ? [] : [{ kind: "unmet", comparison: c, value, other }],
  };
}

/** The fact tree with numbers rounded for display, as the view of templates. */
function viewOf(tree: FactTree): FactTree {
  const out: FactTree = {};
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === "number") out[k] = Number(formatNumber(v));
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) out[k] = viewOf(v);
    else out[k] = v;
  }
  return out;
}

/** Placeholder for a fact a template names but the host did not give. */
export const ABSENT = "?";

/**
 * Fills a template from facts; HTML escaping is off (the output is text, not HTML). A fact
 * the template prints (`{{a.b}}`) but the tree lacks is shown as `?`, unless the template
 * also uses it as a section (`{{#a.b}}...{{/a.b}}`), whose job is to test for it.
 */
export function renderTemplate(template: string, view: FactTree): string {
  const { printed, sections } = tagsOf(template);
  let filled = view;
  for (const name of printed) {
    if (sections.has(name) || name === "." || factAt(view, name) !== undefined) continue;
    filled = withLeaf(filled, name, ABSENT);
  }
  return Mustache.render(template, filled, {}, { escape: (s: string) => s })
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/** A copy of `tree` with `path` set (copies only the objects along the path). */
function withLeaf(tree: FactTree, path: string, value: string): FactTree {
  const [head, ...rest] = path.split(".");
  const out: FactTree = { ...tree };
  if (rest.length === 0) {
    out[head] = value;
    return out;
  }
  const child = tree[head];
  const node = typeof child === "object" && child !== null && !Array.isArray(child) ? child : {};
  out[head] = withLeaf(node as FactTree, rest.join("."), value);
  return out;
}

const tagCache = new Map<string, { printed: Set<string>; sections: Set<string> }>();

/** Names a template prints and names it uses as sections. */
function tagsOf(template: string): { printed: Set<string>; sections: Set<string> } {
  let tags = tagCache.get(template);
  if (tags) return tags;
  tags = { printed: new Set(), sections: new Set() };
  const walk = (tokens: unknown[]): void => {
    for (const t of tokens as [string, string, number, number, unknown[]?][]) {
      if (t[0] === "name" || t[0] === "&") tags?.printed.add(t[1]);
      if (t[0] === "#" || t[0] === "^") tags?.sections.add(t[1]);
      if (Array.isArray(t[4])) walk(t[4]);
    }
  };
  walk(Mustache.parse(template));
  tagCache.set(template, tags);
  return tags;
}

/** Names a template reads (`{{a.b}}`, sections), for picking the template of a fact. */
function templateNames(template: string): Set<string> {
  const names = new Set<string>();
  const walk = (tokens: unknown[]): void => {
    for (const t of tokens as [string, string, number, number, unknown[]?][]) {
      if (t[0] !== "text") names.add(t[1]);
      if (Array.isArray(t[4])) walk(t[4]);
    }
  };
  walk(Mustache.parse(template));
  return names;
}

function missingNeeds(rule: Runbook, present: ReadonlySet<string>): string[][] {
  const out: string[][] = [];
  for (const need of rule.needs) {
    const alts = Array.isArray(need) ? need : [need];
    if (!alts.some((id) => present.has(id))) out.push(alts);
  }
  return out;
}

/**
 * The why of a rule whose needs lack output: `needs output of strace, which runs only with
 * --deep`. `absent` says why each collector gave none; an id it does not name "is missing".
 * One reason shared by every id is said once, else each id's is given.
 */
function lackingWhy(lacking: string[][], absent: ReadonlyMap<string, string> | undefined): string {
  const ids = [...new Set(lacking.flat())];
  const reasons = ids.map((id) => absent?.get(id) ?? "is missing");
  const needs = lacking.map((alts) => alts.join(" or ")).join(", ");
  if (new Set(reasons).size === 1) return `needs output of ${needs}, which ${reasons[0]}`;
  return `needs output of ${needs} (${ids.map((id, i) => `${id} ${reasons[i]}`).join("; ")})`;
}

/**
 * Why the rule's sample is too small to trust (`too few samples: sched.worst_avg_switches is 1
 * switches, the rule trusts 20 or more (source)`), or undefined. An absent counting fact does
 * not stop the rule: the figure it counts for is absent too.
 */
function shortSample(rule: Runbook, tree: FactTree): string | undefined {
  for (const m of rule.minSamples) {
    const count = factAt(tree, m.fact);
    if (typeof count === "number" && count < m.min) {
      return `too few samples: ${m.fact} is ${formatNumber(count)} ${m.unit}, the rule trusts ${m.min} or more (${m.source})`;
    }
  }
  return undefined;
}

/**
 * The why of a `fine` verdict, as a person would say it: each fact read once, in its catalogue
 * words (`says`) with its unit, then the threshold it missed (`open files at 3.42 % of the
 * limit (rule: >= 90 %)`); a boolean says its state and no threshold; a fact the rule needs
 * unknown but was read is just quoted; evidence that was not there ends the list (`not seen:
 * conntrack drops`).
 */
function fineWhy(reasons: Reason[]): string {
  const unmet = new Map<string, { value: FactValue; thresholds: string[] }>();
  const read = new Map<string, FactValue>();
  const unseen = new Set<string>();
  const ruledOut: string[] = [];
  for (const r of reasons) {
    if (r.kind === "unmet") {
      const f = r.comparison.fact;
      const entry = unmet.get(f) ?? { value: r.value, thresholds: [] };
      const t = withUnit(thresholdOf(r.comparison, r.other), f);
      if (!entry.thresholds.includes(t)) entry.thresholds.push(t);
      unmet.set(f, entry);
    } else if (r.kind === "present") read.set(r.fact, r.value);
    else if (r.kind === "absent") unseen.add(r.fact);
    else
      ruledOut.push(
        `${r.held.map((h) => say(h.comparison.fact, h.value)).join(", ")}, which rules it out`,
      );
  }
  const parts: string[] = [];
  for (const [fact, { value, thresholds }] of unmet) {
    parts.push(
      typeof value === "boolean"
        ? say(fact, value)
        : `${say(fact, value)} (rule: ${thresholds.join(" or ")})`,
    );
  }
  for (const [fact, value] of read) if (!unmet.has(fact)) parts.push(say(fact, value));
  parts.push(...ruledOut);
  const absent = [...unseen].filter((f) => !unmet.has(f) && !read.has(f));
  if (absent.length > 0) parts.push(`not seen: ${absent.map(nameOf).join(", ")}`);
  return parts.join("; ") || "condition not met";
}

const SPECS = new Map(FACT_CATALOGUE.map((f) => [f.path, f]));

/** Units of measure, said after the number even in a `says` phrase (which names the rest). */
const MEASURES = new Set([
  "%",
  "% of one CPU",
  "ms",
  "s",
  "µs",
  "kB",
  "kB/s",
  "/s",
  "bytes",
  "pages",
]);

/**
 * The unit said after a number: a measure always; a counted noun (`events`, `sockets`) only
 * where no `says` phrase names it; counts and ratios never.
 */
function unitOf(fact: string, inPhrase = false): string {
  const unit = SPECS.get(fact)?.unit;
  if (unit === undefined || unit === "count" || unit === "ratio") return "";
  return MEASURES.has(unit) || !inPhrase ? ` ${unit}` : "";
}

/** A threshold with the fact's unit: `>= 90 %`; a reference to another fact is left as is. */
function withUnit(threshold: string, fact: string): string {
  return /^[<>=!]+ -?[\d.]+$/.test(threshold) ? `${threshold}${unitOf(fact, true)}` : threshold;
}

/** A fact's value in its catalogue words (`says`), else `path is value unit`. */
function say(fact: string, value: FactValue): string {
  const says = SPECS.get(fact)?.says;
  if (typeof value === "boolean") {
    if (says && typeof says === "object") return value ? says.yes : says.no;
    return `${fact} is ${value}`;
  }
  const phrase = typeof says === "string";
  const shown = `${show(value)}${typeof value === "number" ? unitOf(fact, phrase) : ""}`;
  return phrase ? says.replace("{}", shown) : `${fact} is ${shown}`;
}

/** A fact named without a value: its `says` words without the value, else its path. */
function nameOf(fact: string): string {
  const says = SPECS.get(fact)?.says;
  if (typeof says !== "string") return fact;
  if (!says.includes("{}")) return says;
  return says.startsWith("{} ") ? says.slice(3) : fact;
}

const PRODUCERS = new Map(FACT_CATALOGUE.map((f) => [f.path, f.from]));

/** ` (read from iostat or diskstats)`: the collectors the catalogue says give these facts. */
/** How a rule left unjudged by a partial output says why (after the outputs' names). */
export const FILTERED = "(filtered): what is absent from it proves nothing";

/**
 * The partial outputs (DerivedFacts.partial) that alone gave a fact that made a rule false by
 * a threshold not reached or a fact not seen: a fact whose every present source is partial.
 * What a partial output shows (a `not` guard that held, a fact present) still counts. Empty
 * when nothing read was partial.
 */
function partialOnly(
  reasons: readonly Reason[],
  present: ReadonlySet<string>,
  derived: DerivedFacts,
): string[] {
  const partial = derived.partial;
  if (!partial) return [];
  const facts = reasons.flatMap((r) =>
    r.kind === "unmet" ? [r.comparison.fact] : r.kind === "absent" ? [r.fact] : [],
  );
  const blind = new Set<string>();
  for (const fact of facts) {
    const read = (PRODUCERS.get(fact) ?? []).filter((id) => present.has(id));
    if (read.length > 0 && read.every((id) => partial.has(id)))
      for (const id of read) blind.add(id);
  }
  return [...blind];
}

function sourcesOf(paths: string[]): string {
  const from = [...new Set(paths.flatMap((p) => PRODUCERS.get(p) ?? []))];
  return from.length > 0 ? ` (read from ${from.join(" or ")})` : "";
}

/**
 * Evaluates every rule: a hypothesis for each that fired, a verdict for each that did not.
 *
 * @param runbooks validated rules (src/runbooks/load.ts)
 * @param derived facts from src/derive (`derive(parsed, ctx)`)
 * @param present collector ids that produced output (a `.out` file, or a command that ran)
 * @param absent why a collector gave no output (`runs only with --deep`, `failed`), by id
 * @param host the host label the findings' keys start with (`host/rule/subject`)
 * @returns the fired rules in runbook order (empty when no rule crossed a threshold), and for
 *   every rule that did not fire a `fine` or `not-evaluated` verdict with its reason
 */
export function evaluateRules(
  runbooks: readonly Runbook[],
  derived: DerivedFacts,
  present: ReadonlySet<string>,
  absent?: ReadonlyMap<string, string>,
  host = "local",
): Verdicts {
  const checked: Checked[] = [];
  const fired: Fired[] = [];
  let view: FactTree | undefined;
  for (const rule of runbooks) {
    const lacking = missingNeeds(rule, present);
    if (lacking.length > 0) {
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "not-evaluated",
        why: lackingWhy(lacking, absent),
      });
      continue;
    }
    const short = shortSample(rule, derived.tree);
    if (short) {
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "not-evaluated",
        why: short,
      });
      continue;
    }
    const result = evaluateCondition(rule.when, derived.tree);
    if (result.truth === undefined) {
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "not-evaluated",
        why: `no value for ${result.missing.join(", ")}${sourcesOf(result.missing)}`,
      });
      continue;
    }
    const unseen = result.reasons.flatMap((r) => (r.kind === "absent" ? [r.fact] : []));
    if (result.truth === false && unseen.length === result.reasons.length && unseen.length > 0) {
      // Only absent `exists` guards made it false: nothing was read that rules the cause out.
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "not-evaluated",
        why: `nothing to judge: no ${[...new Set(unseen)].map(nameOf).join(", ")} was seen${sourcesOf(unseen)}`,
      });
      continue;
    }
    const blind = result.truth === false ? partialOnly(result.reasons, present, derived) : [];
    if (blind.length > 0) {
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "not-evaluated",
        why: `only part of ${blind.join(", ")} was given ${FILTERED}`,
      });
      continue;
    }
    if (result.truth === false) {
      checked.push({
        rule: rule.id,
        category: rule.category,
        verdict: "fine",
        why: fineWhy(result.reasons),
      });
      continue;
    }
    view ??= viewOf(derived.tree);
    let confidence = rule.confidence.base;
    const held = [...result.held];
    for (const b of rule.confidence.boosts) {
      const r = evaluateCondition(b.when, derived.tree);
      if (r.truth === true) {
        confidence += b.add;
        held.push(...r.held);
      }
    }
    for (const p of rule.confidence.penalties) {
      if (evaluateCondition(p.when, derived.tree).truth === true) confidence -= p.sub;
    }
    confidence = Math.round(Math.min(1, Math.max(0, confidence)) * 1000) / 1000;
    fired.push({
      hypothesis: {
        category: rule.category,
        title: renderTemplate(rule.title, view),
        rule: rule.id,
        key: findingKey(host, rule.id, renderSubject(rule.subject, view)),
        confidence,
        score: 0,
        evidence: evidenceOf(rule, held, derived, view),
        remediation: rule.remediation.map((t) => renderTemplate(t, view as FactTree)),
        next: rule.next.map((t) => renderTemplate(t, view as FactTree)),
        source: rule.source,
      },
      symptoms: rule.symptoms,
      supersedes: rule.supersedes,
    });
  }
  return { fired, checked };
}

function evidenceOf(
  rule: Runbook,
  held: Held[],
  derived: DerivedFacts,
  view: FactTree,
): Evidence[] {
  const templates = rule.evidence.map((t) => ({ t, names: templateNames(t) }));
  const out: Evidence[] = [];
  // One item per fact; an `exists` guard is only shown when nothing else held on that fact.
  const byFact = new Map<string, Held>();
  for (const h of held) {
    const prev = byFact.get(h.comparison.fact);
    if (!prev || (prev.comparison.op === "exists" && h.comparison.op !== "exists")) {
      byFact.set(h.comparison.fact, h);
    }
  }
  for (const h of byFact.values()) {
    const fact = h.comparison.fact;
    const template = templates.find((x) => x.names.has(fact)) ?? templates[0];
    const excerpt =
      derived.excerpts.get(fact) ??
      (template ? renderTemplate(template.t, view) : `${fact} = ${show(h.value)}`);
    out.push({
      collector: derived.sources.get(fact) ?? "derived",
      fact,
      value: h.value,
      threshold: thresholdOf(h.comparison, h.other),
      excerpt,
    });
  }
  return out;
}
