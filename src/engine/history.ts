import { derive } from "../derive/index.js";
import type { DeriveContext, DerivedFacts, ParsedSet } from "../derive/types.js";

export { formatAge } from "../derive/kernel-log.js";

import type { Category, Hypothesis, PastEvent, Symptom } from "../model/report.js";
import { evaluateRules, type Fired, factAt } from "../runbooks/evaluate.js";
import type { Runbook } from "../runbooks/schema.js";
import { symptomWeight } from "./weight.js";

/**
 * The report's `history` (DESIGN.md "Report"): events that ended before the window.
 *
 * - A finding whose every piece of evidence is a kernel log line dated before the window, and
 *   whose rule does not list the symptom asked about, is history, not a current cause: a memcg
 *   OOM of nine minutes ago does not explain `disk` latency now. It keeps its confidence; its
 *   score is the runner-up weight (0.5, {@link symptomWeight}).
 * - Kernel log events older than the look-back (1 h) are judged on their own, by the same rules
 *   (the derive layer's `past` epoch), and every rule they fire is history too, at low
 *   confidence: at most {@link PAST_CONFIDENCE}. Nothing is dropped silently.
 *
 * `ageSeconds` is the age of the newest kernel log line the finding cites.
 */

/**
 * Highest confidence of an event older than the look-back: below the 0.5 that sweeps report by
 * default (DESIGN.md "Sweeps", `minConfidence`), so old history never becomes a fleet finding.
 */
export const PAST_CONFIDENCE = 0.3;

/** Categories whose history still matters when nothing current is found: a known kernel bug, hardware errors. */
export const DECISIVE_HISTORY: readonly Category[] = [
  "kernel-bug",
  "hardware-mce",
  "disk-errors-hardware",
];

/**
 * Seconds since the newest dated kernel log line the hypothesis cites, when all of its evidence
 * is kernel log (dated lines, or counts over them) or a counter dated by it ({@link DATED_BY});
 * undefined when any evidence is current (another collector's reading) or nothing is dated.
 */
export function eventAge(
  h: Pick<Hypothesis, "evidence">,
  derived: Pick<DerivedFacts, "ages" | "tree">,
  /** false: undated evidence of other collectors is ignored (a past finding's current boosts). */
  strict = true,
): number | undefined {
  const ages = derived.ages;
  if (!ages || h.evidence.length === 0) return undefined;
  let newest: number | undefined;
  for (const e of h.evidence) {
    const age = ages.get(e.fact) ?? datedBy(e.fact, derived);
    if (age === undefined) {
      if (strict && e.collector !== "dmesg") return undefined;
      continue;
    }
    newest = newest === undefined ? age : Math.min(newest, age);
  }
  return newest;
}

/**
 * Counters that only count since their cgroup was created say nothing of when: read once
 * (`since_boot`, no rise seen over the window), a cgroup's OOM kill count is as old as the
 * newest OOM report of the kernel log (`oom.events`' line).
 */
const DATED_BY = [
  { prefix: "cgroup.memory.oom.", once: "cgroup.memory.since_boot", by: "oom.events" },
] as const;

function datedBy(fact: string, derived: Pick<DerivedFacts, "ages" | "tree">): number | undefined {
  const d = DATED_BY.find((x) => fact.startsWith(x.prefix));
  if (!d || factAt(derived.tree, d.once) !== true) return undefined;
  return derived.ages?.get(d.by);
}

/**
 * Splits fired rules into current causes and history: a rule that does not list `symptom` and
 * whose evidence all dates from before the window (age above `windowSeconds`, 0 for a replay
 * that does not say) is history.
 */
export function splitPast(
  fired: readonly Fired[],
  derived: Pick<DerivedFacts, "ages" | "tree">,
  symptom: Symptom,
  windowSeconds: number | undefined,
): { current: Fired[]; history: PastEvent[] } {
  const current: Fired[] = [];
  const history: PastEvent[] = [];
  for (const f of fired) {
    const age = eventAge(f.hypothesis, derived);
    const weight = symptomWeight(f.symptoms, symptom);
    if (age === undefined || weight === 1 || age <= (windowSeconds ?? 0)) {
      current.push(f);
      continue;
    }
    history.push(pastEvent(f.hypothesis, derived, age, weight));
  }
  return { current, history };
}

/**
 * Findings of the kernel log events older than the look-back: every rule the `past` epoch fires
 * whose evidence is dated kernel log, except rules already in `seen` (a current finding or a
 * recent history entry of the same rule says more). Derives again only when the log held such
 * events (`log.history_events` > 0).
 */
export function pastFindings(
  parsed: ParsedSet,
  ctx: DeriveContext,
  current: Pick<DerivedFacts, "tree">,
  rules: { runbooks: readonly Runbook[]; present: ReadonlySet<string>; host: string },
  seen: ReadonlySet<string>,
): PastEvent[] {
  const log = current.tree.log;
  const count = typeof log === "object" && !Array.isArray(log) ? log.history_events : undefined;
  if (typeof count !== "number" || count === 0) return [];
  const past = derive(parsed, { ...ctx, epoch: "past" });
  const { fired } = evaluateRules(rules.runbooks, past, rules.present, undefined, rules.host);
  const out: PastEvent[] = [];
  for (const f of fired) {
    if (seen.has(f.hypothesis.rule)) continue;
    // Its condition held on the old events; a boost from a current reading does not make it current.
    const age = eventAge(f.hypothesis, past, false);
    if (age === undefined) continue;
    const low = { ...f.hypothesis, confidence: Math.min(f.hypothesis.confidence, PAST_CONFIDENCE) };
    out.push(pastEvent(low, past, age, 0.5));
  }
  return out;
}

/** Newest first. */
export function byAge(a: PastEvent, b: PastEvent): number {
  return a.ageSeconds - b.ageSeconds || b.confidence - a.confidence || a.rule.localeCompare(b.rule);
}

/** A hypothesis as history: its age, a score at `weight`, and a cgroup that is gone said so. */
function pastEvent(
  h: Hypothesis,
  derived: Pick<DerivedFacts, "tree">,
  ageSeconds: number,
  weight: number,
): PastEvent {
  const oom = derived.tree.oom;
  const gone =
    typeof oom === "object" &&
    !Array.isArray(oom) &&
    oom.memcg_gone === true &&
    typeof oom.memcg === "string" &&
    h.evidence.some((e) => e.fact.startsWith("oom."));
  return {
    ...h,
    title: gone ? `${h.title} (cgroup ${oom.memcg} is gone)` : h.title,
    score: Math.round(h.confidence * weight * 1000) / 1000,
    ageSeconds: Math.round(ageSeconds),
  };
}
