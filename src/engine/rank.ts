import type { DerivedFacts } from "../derive/types.js";
import type { Category, Checked, Hypothesis, PastEvent, Symptom } from "../model/report.js";
import { evaluateRules, type Fired } from "../runbooks/evaluate.js";
import type { Runbook } from "../runbooks/schema.js";
import { splitPast } from "./history.js";
import { symptomWeight } from "./weight.js";

export { symptomWeight } from "./weight.js";

/**
 * Ranking of fired rules for a symptom.
 *
 * score = confidence × symptom weight, where the weight is 1.0 when the rule lists the
 * request's symptom (and for `health`, which weighs every rule alike) and 0.5 otherwise.
 * A rule that fired and `supersedes` other categories names the cause of those symptoms:
 * their hypotheses are placed below it (score at most 0.9 × its score) and marked
 * `explainedBy` it. Ties go to the symptom's preferred categories (saturation and queueing
 * before capacity warnings for `latency`), then to higher confidence, then to rule id, so the
 * order is deterministic.
 */

/** A ranked hypothesis: the report's Hypothesis, with its optional `next`, `source`, `explainedBy`. */
export type RankedHypothesis = Hypothesis;

/** One fired rule, as the evaluator hands it to {@link rankHypotheses}. */
export type RankInput = Fired;

/** The result of {@link evaluateRunbooks}: ranked hypotheses and every rule that did not fire. */
export interface Evaluation {
  hypotheses: RankedHypothesis[];
  checked: Checked[];
  /** Findings whose evidence all dates from before the window and that do not concern the symptom (./history.ts). */
  history: PastEvent[];
}

/**
 * Evaluates every rule (src/runbooks/evaluate.ts), then ranks the hypotheses for the symptom.
 * @param present collector ids that produced output (a `.out` file, or a command that ran)
 * @param symptom the request's symptom: it changes only the ranking, never what is evaluated
 * @param absent why a collector gave no output (`runs only with --deep`, `failed`), by id
 * @param host the host label the findings' keys start with (`host/rule/subject`)
 * @param windowSeconds the sampling window; kernel log findings older than it that do not
 *   concern the symptom go to `history` (undefined for a replay that does not say: 0)
 * @returns hypotheses sorted by score (empty when no rule crossed a threshold), and for every
 *   rule that did not fire a `fine` or `not-evaluated` verdict with its reason
 */
export function evaluateRunbooks(
  runbooks: readonly Runbook[],
  derived: DerivedFacts,
  present: ReadonlySet<string>,
  symptom: Symptom,
  absent?: ReadonlyMap<string, string>,
  host = "local",
  windowSeconds?: number,
): Evaluation {
  const { fired, checked } = evaluateRules(runbooks, derived, present, absent, host);
  const { current, history } = splitPast(fired, derived, symptom, windowSeconds);
  return { hypotheses: rankHypotheses(current, symptom), checked, history };
}

/**
 * Categories a symptom prefers on equal score, most preferred first. Saturation and queueing
 * (the USE method's S) come before errors and capacity warnings for `latency`; the resource
 * named by `cpu` / `memory` / `disk` / `network` comes first for those.
 */
export const SYMPTOM_PREFERENCE: Readonly<Record<Symptom, readonly Category[]>> = {
  latency: [
    "disk-saturation",
    "dirty-writeback-stall",
    "cpu-saturation",
    "run-queue-latency",
    "cpu-throttling-cgroup",
    "steal-time",
    "memory-swap-thrash",
    "lock-contention",
    "network-listen-overflow",
    "network-syn-flood",
    "network-retransmits-loss",
    "nic-drops-softirq",
    "kernel-bug",
    "hung-task",
  ],
  errors: [
    "disk-errors-hardware",
    "hardware-mce",
    "kernel-bug",
    "filesystem-full",
    "inode-exhaustion",
    "fd-exhaustion",
    "pids-exhaustion",
    "ephemeral-port-exhaustion",
    "conntrack-full",
    "memory-oom",
  ],
  cpu: [
    "clock-skew",
    "cpu-saturation",
    "cpu-throttling-cgroup",
    "steal-time",
    "run-queue-latency",
    "lock-contention",
    "syscall-heavy",
  ],
  memory: ["memory-leak", "memory-oom", "memory-swap-thrash", "tcp-memory-pressure"],
  disk: [
    "disk-errors-hardware",
    "filesystem-full",
    "inode-exhaustion",
    "disk-saturation",
    "dirty-writeback-stall",
  ],
  network: [
    "network-syn-flood",
    "network-listen-overflow",
    "conntrack-full",
    "nic-drops-softirq",
    "network-retransmits-loss",
    "ephemeral-port-exhaustion",
    "tcp-memory-pressure",
  ],
  hang: ["dirty-writeback-stall", "kernel-bug", "disk-errors-hardware", "hung-task"],
  health: [],
};

function preference(symptom: Symptom, category: Category): number {
  const i = SYMPTOM_PREFERENCE[symptom].indexOf(category);
  return i === -1 ? Number.MAX_SAFE_INTEGER : i;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * Scores, applies precedence (`supersedes`) and sorts. Returns new objects; the input is not
 * changed. A hypothesis explained by a cause gets ` (explained by <category>)` added to its
 * title and `explainedBy` set to the cause's rule id.
 */
export function rankHypotheses(fired: readonly RankInput[], symptom: Symptom): RankedHypothesis[] {
  const items = fired.map((f) => ({
    h: {
      ...f.hypothesis,
      score: round(f.hypothesis.confidence * symptomWeight(f.symptoms, symptom)),
    },
    supersedes: f.supersedes,
  }));
  const order = (a: { h: RankedHypothesis }, b: { h: RankedHypothesis }): number =>
    b.h.score - a.h.score ||
    Number(a.h.explainedBy !== undefined) - Number(b.h.explainedBy !== undefined) ||
    preference(symptom, a.h.category) - preference(symptom, b.h.category) ||
    b.h.confidence - a.h.confidence ||
    a.h.rule.localeCompare(b.h.rule);
  items.sort(order);
  // Causes in score order; a hypothesis already explained does not explain others.
  for (const cause of items) {
    if (cause.supersedes.length === 0 || cause.h.explainedBy !== undefined) continue;
    for (const other of items) {
      if (other === cause || other.h.explainedBy !== undefined) continue;
      if (!cause.supersedes.includes(other.h.category)) continue;
      other.h.explainedBy = cause.h.rule;
      other.h.title = `${other.h.title} (explained by ${cause.h.category})`;
    }
  }
  // Explained hypotheses rank below their cause, even when the cause scores lower.
  const byRule = new Map(items.map((i) => [i.h.rule, i.h]));
  for (let pass = 0; pass < 4; pass++) {
    for (const item of items) {
      const cause = item.h.explainedBy ? byRule.get(item.h.explainedBy) : undefined;
      if (cause) item.h.score = Math.min(item.h.score, round(cause.score * 0.9));
    }
  }
  items.sort(order);
  return items.map((i) => i.h);
}
