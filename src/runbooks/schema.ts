import { z } from "zod";
import { CATEGORIES, type Category, SYMPTOMS, type Symptom } from "../model/report.js";

/**
 * The runbook rule shape (DESIGN.md "Runbooks"), validated with zod: every object is
 * `.strict()`, so an unknown key (a typo such as `threshhold`) is an error, not ignored.
 *
 * YAML as written by a person:
 *
 * ```yaml
 * id: disk-saturation
 * category: disk-saturation
 * title: "{{disk.worst.device}} is saturated"
 * symptoms: [latency, disk, health]
 * needs: [iostat]                  # each entry a collector id, or a list of alternatives
 * uses: [pressure-io]
 * when:
 *   all:
 *     - { fact: disk.worst.util_pct, gte: 90 }
 *     - { fact: disk.worst.await_ms, gt: { fact: disk.worst.svctm_ms } }
 * confidence:
 *   base: 0.6
 *   boosts: [{ when: { fact: psi.io.some_avg10, gte: 10 }, add: 0.2 }]
 *   penalties: [{ when: { fact: disk.worst.await_ms, lt: 5 }, sub: 0.3 }]
 * evidence: ["{{disk.worst.device}}: util {{disk.worst.util_pct}} %"]
 * remediation: ["Find the heaviest I/O processes: iotop -o"]
 * next: ["iostat -x 1 10"]
 * supersedes: [hung-task]
 * minSamples:                      # below it the rule is not evaluated
 *   - { fact: window.seconds, min: 2, unit: seconds, source: "iostat(1): the first report is since boot" }
 * source: "iostat(1); the USE method"
 * examples: [examples/18-disk-medium-errors-unrecovered-read]
 * ```
 *
 * This module checks the shape only. Whether fact paths exist and thresholds have the fact's
 * type is checked by the loader against the fact catalogue (src/runbooks/load.ts).
 *
 * Conditions are evaluated with three-valued logic (src/runbooks/evaluate.ts): a comparison
 * on an absent fact is unknown, and a rule whose condition stays unknown is "not evaluated".
 * Evidence that only some collectors give is written as a guarded alternative, so that its
 * absence does not make the whole rule unknown:
 *
 * ```yaml
 * any:
 *   - { fact: cpu.runnable_per_cpu, gt: 1 }              # the primary signal: unknown if absent
 *   - all: [{ fact: psi.cpu.some_avg10, exists: true },   # optional: false when PSI was not read
 *           { fact: psi.cpu.some_avg10, gte: 20 }]
 * ```
 */

/**
 * Comparison operators of a condition leaf: `gt gte lt lte` need a numeric fact and a number
 * (or a numeric fact reference); `eq ne` a value of the fact's type; `in` a list of such
 * values; `exists` true/false (the one operator that is known on an absent fact); `matches`
 * a regular expression (JavaScript syntax, no flags) on a string fact.
 */
export const OPERATORS = ["gt", "gte", "lt", "lte", "eq", "ne", "in", "exists", "matches"] as const;
export type Operator = (typeof OPERATORS)[number];

/** A reference to another fact, as a comparison's right-hand side: `{ fact: other.path }`. */
export interface FactRef {
  fact: string;
}

/** A literal threshold. */
export type Scalar = number | string | boolean;

/** A condition leaf, normalised from `{ fact, <op>: value }`. */
export interface Comparison {
  fact: string;
  op: Operator;
  /** A literal, a list (for `in`), or another fact. */
  value: Scalar | Scalar[] | FactRef;
}

/** The closed condition tree: `all` / `any` / `not` over comparisons (at most 12 levels deep). */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | Comparison;

/** Added to the confidence when its condition is true (unknown counts as not true). */
export interface Boost {
  when: Condition;
  add: number;
}
/** Subtracted from the confidence when its condition is true. */
export interface Penalty {
  when: Condition;
  sub: number;
}

/** A bundle a rule is tested on; `category` defaults to the bundle's expected.json. */
export interface Example {
  /** Directory relative to the runbook file. */
  bundle: string;
  /** Expected top category, or `none` for a control bundle that must give no finding. */
  category?: Category | "none";
}

/** Units a sample is counted in. */
export const SAMPLE_UNITS = [
  "switches",
  "reports",
  "seconds",
  "periods",
  "waits",
  "samples",
] as const;

/**
 * The smallest sample a rule trusts (DESIGN.md "Runbooks"): a rule that reads a rate, a mean
 * or a maximum names the fact counting what that figure was worked out from, and the least
 * count it believes, with a source for the number. Below it the rule is not evaluated. When
 * the counting fact is absent, so is the figure it counts for (the collector that gives both
 * did not run), and the condition decides as usual.
 */
export interface MinSamples {
  /** A numeric fact counting the sample (`sched.worst_avg_switches`, `window.seconds`). */
  fact: string;
  min: number;
  unit: (typeof SAMPLE_UNITS)[number];
  /** Where the number comes from. */
  source: string;
}

/** One validated rule. `file` is the YAML file it was read from. */
export interface Runbook {
  id: string;
  category: Category;
  /**
   * Mustache template naming what a finding is about (a device, mount, cgroup, process,
   * interface, address, or `host`); keys the finding across runs (src/runbooks/subject.ts).
   */
  subject: string;
  /** Mustache template over the fact tree (HTML escaping off). */
  title: string;
  /** Symptoms for which this rule ranks at full weight. */
  symptoms: Symptom[];
  /** Required collectors; an inner list means "any one of these". Missing → not evaluated. */
  needs: (string | string[])[];
  /** Optional collectors that can raise or lower confidence. */
  uses: string[];
  when: Condition;
  confidence: { base: number; boosts: Boost[]; penalties: Penalty[] };
  /** Templates, filled from facts, used when a fact has no raw excerpt. */
  evidence: string[];
  remediation: string[];
  next: string[];
  /** Categories this cause explains: their hypotheses rank below it. */
  supersedes: Category[];
  source: string;
  /** Smallest samples the rule trusts; empty for rules that read no rate, mean or maximum. */
  minSamples: MinSamples[];
  examples: Example[];
  file: string;
}

const MAX_TEXT = 2000;
const FACT_PATH = /^[a-z][a-z0-9_]*(\.[a-z0-9_][a-z0-9_-]*)*$/;

const factPath = z
  .string()
  .regex(FACT_PATH, "a fact path is dotted lower-case names, e.g. disk.worst.util_pct");
const text = z.string().min(1, "must not be empty").max(MAX_TEXT);
const scalar = z.union([z.number().finite(), z.string().max(MAX_TEXT), z.boolean()]);
const factRef = z.object({ fact: factPath }).strict();

const comparisonShape = z
  .object({
    fact: factPath,
    gt: z.union([z.number().finite(), factRef]).optional(),
    gte: z.union([z.number().finite(), factRef]).optional(),
    lt: z.union([z.number().finite(), factRef]).optional(),
    lte: z.union([z.number().finite(), factRef]).optional(),
    eq: z.union([scalar, factRef]).optional(),
    ne: z.union([scalar, factRef]).optional(),
    in: z.array(scalar).min(1).max(100).optional(),
    exists: z.boolean().optional(),
    matches: z.string().min(1).max(200).optional(),
  })
  .strict();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Maximum nesting of all/any/not; deeper trees are refused (and unreadable anyway). */
const MAX_DEPTH = 12;

function conditionAt(depth: number): z.ZodType<Condition, z.ZodTypeDef, unknown> {
  return z.unknown().transform((v, ctx): Condition => {
    const fail = (message: string): Condition => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      return z.NEVER;
    };
    if (depth > MAX_DEPTH) return fail(`conditions nest deeper than ${MAX_DEPTH} levels`);
    if (!isRecord(v)) {
      return fail(
        "a condition is a mapping: { all: [...] }, { any: [...] }, { not: ... } or { fact: ..., gte: ... }",
      );
    }
    const keys = Object.keys(v);
    const forward = (result: z.SafeParseReturnType<unknown, unknown>): boolean => {
      if (result.success) return true;
      for (const issue of result.error.issues)
        ctx.addIssue({ ...issue, path: issue.path } as z.IssueData);
      return false;
    };
    for (const group of ["all", "any"] as const) {
      if (group in v) {
        const r = z
          .object({
            [group]: z
              .array(conditionAt(depth + 1))
              .min(1, `${group} needs at least one condition`),
          })
          .strict()
          .safeParse(v);
        if (!forward(r)) return z.NEVER;
        return r.data as Condition;
      }
    }
    if ("not" in v) {
      const r = z
        .object({ not: conditionAt(depth + 1) })
        .strict()
        .safeParse(v);
      if (!forward(r)) return z.NEVER;
      return r.data as Condition;
    }
    if (!("fact" in v)) {
      return fail(
        `unknown condition keys ${keys.join(", ") || "(none)"}: use all, any, not, or fact with one of ${OPERATORS.join(", ")}`,
      );
    }
    const r = comparisonShape.safeParse(v);
    if (!forward(r) || !r.success) return z.NEVER;
    const ops = OPERATORS.filter((op) => r.data[op] !== undefined);
    if (ops.length !== 1) {
      return fail(
        ops.length === 0
          ? `comparison on ${r.data.fact} has no operator: add one of ${OPERATORS.join(", ")}`
          : `comparison on ${r.data.fact} has ${ops.length} operators (${ops.join(", ")}): use one per comparison, inside all/any`,
      );
    }
    const op = ops[0];
    return { fact: r.data.fact, op, value: r.data[op] as Comparison["value"] };
  });
}

/** Schema of a condition tree (normalises leaves to {@link Comparison}). */
export const conditionSchema: z.ZodType<Condition, z.ZodTypeDef, unknown> = conditionAt(0);

const collectorId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, "a collector id is lower-case letters, digits and dashes");

const exampleSchema = z.union([
  z
    .string()
    .min(1)
    .transform((bundle): Example => ({ bundle })),
  z
    .object({
      bundle: z.string().min(1),
      category: z.enum([...CATEGORIES, "none"]).optional(),
    })
    .strict(),
]);

/** Schema of one rule as written in YAML (without `file`, which the loader adds). */
export const runbookSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, "a rule id is lower-case letters, digits and dashes"),
    category: z.enum(CATEGORIES),
    subject: z.string().min(1, "must not be empty").max(200),
    title: text,
    symptoms: z.array(z.enum(SYMPTOMS)).min(1, "name at least one symptom"),
    needs: z
      .array(z.union([collectorId, z.array(collectorId).min(1)]))
      .min(1, "name at least one required collector"),
    uses: z.array(collectorId).default([]),
    when: conditionSchema,
    confidence: z
      .object({
        base: z.number().min(0).max(1),
        boosts: z
          .array(z.object({ when: conditionSchema, add: z.number().min(0).max(1) }).strict())
          .default([]),
        penalties: z
          .array(z.object({ when: conditionSchema, sub: z.number().min(0).max(1) }).strict())
          .default([]),
      })
      .strict(),
    evidence: z.array(text).default([]),
    remediation: z.array(text).min(1, "say what to do: at least one remediation"),
    next: z.array(text).default([]),
    supersedes: z.array(z.enum(CATEGORIES)).default([]),
    source: text,
    minSamples: z
      .array(
        z
          .object({
            fact: factPath,
            min: z.number().int().positive(),
            unit: z.enum(SAMPLE_UNITS),
            source: text,
          })
          .strict(),
      )
      .default([]),
    examples: z.array(exampleSchema).default([]),
  })
  .strict();

/** A rule as written in YAML, before defaults are filled in. */
export type RunbookInput = z.input<typeof runbookSchema>;

/** True when `v` is a `{ fact: path }` reference rather than a literal. */
export function isFactRef(v: unknown): v is FactRef {
  return isRecord(v) && typeof v.fact === "string";
}

/** True when the condition is a comparison leaf. */
export function isComparison(c: Condition): c is Comparison {
  return "op" in c;
}

/** Every comparison in a condition tree, in order. */
export function comparisonsOf(c: Condition): Comparison[] {
  if ("all" in c) return c.all.flatMap(comparisonsOf);
  if ("any" in c) return c.any.flatMap(comparisonsOf);
  if ("not" in c) return comparisonsOf(c.not);
  return [c];
}

/** Renders a comparison as an SRE reads it: `disk.worst.util_pct >= 90`. */
export function describeComparison(c: Comparison): string {
  const rhs = isFactRef(c.value) ? c.value.fact : JSON.stringify(c.value);
  const sym: Record<Operator, string> = {
    gt: ">",
    gte: ">=",
    lt: "<",
    lte: "<=",
    eq: "==",
    ne: "!=",
    in: "in",
    exists: "exists:",
    matches: "matches",
  };
  return `${c.fact} ${sym[c.op]} ${rhs}`;
}
