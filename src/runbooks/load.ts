import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { distance as editDistance } from "fastest-levenshtein";
import Mustache from "mustache";
import YAML from "yaml";
import type { z } from "zod";
import { FACT_CATALOGUE } from "../derive/index.js";
import type { FactSpec, FactType } from "../derive/types.js";
import { DiagbotError } from "../model/errors.js";
import { yamlSyntax } from "../parsers/text.js";
import { readCompiled } from "./compiled.js";
import {
  type Comparison,
  type Condition,
  isFactRef,
  type Runbook,
  runbookSchema,
} from "./schema.js";

/**
 * Loads the YAML runbooks of a folder: one rule per file, a list of rules, or several YAML
 * documents. Each rule is validated in three steps:
 *
 * 1. YAML syntax (the `yaml` package; duplicate keys and more than 50 aliases are refused);
 * 2. shape (zod, `.strict()`: unknown keys are errors);
 * 3. meaning, against the fact catalogue of the derive layer: every fact path a condition or
 *    template names must be declared (else the closest declared names are suggested), numeric
 *    operators need numeric facts and numeric thresholds, `eq`/`ne`/`in` values have the
 *    fact's type, `matches` patterns compile and have no nested quantifiers, templates use no
 *    partials or delimiter changes, collectors are known, ids are unique across files, and
 *    example bundles exist.
 *
 * Every problem is reported with the file, the rule id and the field, e.g.
 * `runbooks/disk.yaml: rule disk-saturation: when.all[0].fact: unknown fact
 * "disk.worst.utl_pct" (closest: disk.worst.util_pct)`.
 */

/** One problem found while loading runbooks. */
export interface RunbookIssue {
  /** Path of the YAML file, as given (relative to the current directory when possible). */
  file: string;
  /** Rule id, when the rule has a readable one. */
  rule?: string;
  /** Dotted field path inside the rule, e.g. `when.all[0].gte`; or `line 3` for YAML syntax. */
  field?: string;
  message: string;
}

/** The result of {@link lintRunbooks}: rules that passed, and every problem found. */
export interface LintResult {
  runbooks: Runbook[];
  issues: RunbookIssue[];
  /** Files that hold no rule (empty, or comments only): not an error, but worth a word. */
  emptyFiles: string[];
  files: string[];
}

export interface LoadOptions {
  /** Declared facts; defaults to the derive layer's {@link FACT_CATALOGUE}. */
  catalogue?: readonly FactSpec<string>[];
  /** Collector ids rules may name; defaults to every `from` of the catalogue. */
  collectors?: ReadonlySet<string>;
  /**
   * Check that each rule's example bundles exist (default true: `runbooks lint` and `test`).
   * Loading rules for a diagnosis does not need them, so a rule copied into another folder
   * without its examples still loads.
   */
  checkExamples?: boolean;
}

/** Options of {@link loadRunbooks}. */
export interface LoadRunbooksOptions extends LoadOptions {
  /**
   * Use the rules checked at build time when they are those of `dir` (compiled.ts; default
   * true). Only with the default catalogue and collectors.
   */
  compiled?: boolean;
}

/** Largest runbook file read, bytes. */
const MAX_FILE_BYTES = 1 << 20;
/** Largest number of rules across a folder. */
const MAX_RULES = 2000;

/** `file: rule id: field: message`, the one-line form used in errors and `runbooks lint`. */
export function formatIssue(issue: RunbookIssue): string {
  const parts = [issue.file];
  if (issue.rule) parts.push(`rule ${issue.rule}`);
  if (issue.field) parts.push(issue.field);
  return `${parts.join(": ")}: ${issue.message}`;
}

/**
 * The runbook folder: `DIAGBOT_RUNBOOKS`, else the packaged `runbooks/` (found by walking up
 * from this module to the directory holding package.json).
 */
export function defaultRunbookDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIAGBOT_RUNBOOKS) return resolve(env.DIAGBOT_RUNBOOKS);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "runbooks"))) {
      return join(dir, "runbooks");
    }
    dir = dirname(dir);
  }
  return resolve("runbooks");
}

/**
 * Loads and validates every `*.yaml` / `*.yml` file directly in `dir` (sub-folders such as
 * `examples/` are not read), or takes the rules checked at build time when they are those of
 * `dir` (compiled.ts).
 *
 * @throws DiagbotError code `runbook` when the folder is missing or unreadable, holds no rule,
 *   or any rule has a problem; the message lists the problems (file, rule id, field).
 */
export async function loadRunbooks(
  dir: string = defaultRunbookDir(),
  options: LoadRunbooksOptions = {},
): Promise<Runbook[]> {
  const { compiled = true, ...lintOptions } = options;
  if (compiled && !options.catalogue && !options.collectors) {
    const rules = readCompiled(dir);
    if (rules) return rules;
  }
  const result = lintRunbooks(dir, { checkExamples: false, ...lintOptions });
  if (result.issues.length > 0) {
    const shown = result.issues.slice(0, 20).map(formatIssue);
    const more = result.issues.length > 20 ? [`... and ${result.issues.length - 20} more`] : [];
    throw new DiagbotError(
      "runbook",
      `${result.issues.length} problem${result.issues.length === 1 ? "" : "s"} in the runbooks of ${dir}:\n  ${[...shown, ...more].join("\n  ")}`,
      { hint: "fix the rules named above; `diagbot runbooks lint` lists every problem" },
    );
  }
  if (result.runbooks.length === 0) {
    throw new DiagbotError("runbook", `no runbook rule found in ${dir}`, {
      hint: "point DIAGBOT_RUNBOOKS at a folder of *.yaml rules, or unset it to use the packaged runbooks/",
    });
  }
  return result.runbooks;
}

/**
 * Validates a runbook folder and returns every problem instead of throwing on the first.
 * A missing or unreadable folder is reported as one issue.
 */
export function lintRunbooks(dir: string, options: LoadOptions = {}): LintResult {
  const result: LintResult = { runbooks: [], issues: [], emptyFiles: [], files: [] };
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      result.issues.push({ file: dir, message: "is not a folder of runbook YAML files" });
      return result;
    }
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.issues.push({
      file: dir,
      message:
        code === "ENOENT"
          ? "runbook folder does not exist (set DIAGBOT_RUNBOOKS to a folder of *.yaml rules)"
          : `cannot read the runbook folder: ${(err as Error).message}`,
    });
    return result;
  }
  if (names.length === 0) {
    result.issues.push({ file: dir, message: "holds no *.yaml runbook file" });
    return result;
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const shown = displayPath(path);
    result.files.push(shown);
    let text: string;
    try {
      const size = statSync(path).size;
      if (size > MAX_FILE_BYTES) {
        result.issues.push({
          file: shown,
          message: `is ${size} bytes; a runbook file may hold at most ${MAX_FILE_BYTES}`,
        });
        continue;
      }
      text = readFileSync(path, "utf8");
    } catch (err) {
      result.issues.push({ file: shown, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const parsed = parseRunbooks(text, shown, { ...options, baseDir: dir });
    result.issues.push(...parsed.issues);
    if (parsed.empty) result.emptyFiles.push(shown);
    for (const rule of parsed.runbooks) {
      const first = seen.get(rule.id);
      if (first !== undefined) {
        result.issues.push({
          file: shown,
          rule: rule.id,
          field: "id",
          message: `duplicate rule id, first defined in ${first}`,
        });
        continue;
      }
      seen.set(rule.id, shown);
      result.runbooks.push(rule);
    }
    if (result.runbooks.length > MAX_RULES) {
      result.issues.push({ file: shown, message: `more than ${MAX_RULES} rules in ${dir}` });
      break;
    }
  }
  return result;
}

/**
 * Parses and validates the rules of one YAML text. `file` names it in issues; `baseDir`
 * (default: the file's folder) resolves example bundles, which are not checked when neither
 * exists on disk. Pure apart from that existence check.
 */
export function parseRunbooks(
  text: string,
  file: string,
  options: LoadOptions & { baseDir?: string } = {},
): { runbooks: Runbook[]; issues: RunbookIssue[]; empty: boolean } {
  const issues: RunbookIssue[] = [];
  const runbooks: Runbook[] = [];
  const docs = YAML.parseAllDocuments(text, {
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
  });
  const items: { value: unknown; index?: number }[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = e.linePos?.[0]?.line;
        issues.push({
          file,
          field: line ? `line ${line}` : undefined,
          message: yamlSyntax(e, false),
        });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (err) {
      issues.push({ file, message: `YAML: ${(err as Error).message}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) items.push({ value: v, index: i });
    } else {
      items.push({ value });
    }
  }
  if (issues.length > 0) return { runbooks, issues, empty: false };
  const catalogue = options.catalogue ?? FACT_CATALOGUE;
  const facts = new Map(catalogue.map((f) => [f.path, f]));
  const collectors = options.collectors ?? new Set(catalogue.flatMap((f) => f.from));
  const baseDir = options.baseDir ?? dirname(file);
  const ids = new Set<string>();
  for (const item of items) {
    const raw = item.value;
    const rawId =
      typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "string"
        ? (raw as { id: string }).id
        : item.index !== undefined
          ? `#${item.index + 1}`
          : undefined;
    const parsed = runbookSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({ file, rule: rawId, field: fieldOf(issue.path), message: zodMessage(issue) });
      }
      continue;
    }
    const rule: Runbook = { ...parsed.data, file } as Runbook;
    if (ids.has(rule.id)) {
      issues.push({ file, rule: rule.id, field: "id", message: "duplicate rule id in this file" });
      continue;
    }
    ids.add(rule.id);
    const ruleIssues = checkRule(
      rule,
      facts,
      collectors,
      options.checkExamples === false ? undefined : baseDir,
    ).map((i) => ({
      file,
      rule: rule.id,
      ...i,
    }));
    issues.push(...ruleIssues);
    if (ruleIssues.length === 0) runbooks.push(rule);
  }
  return { runbooks, issues, empty: items.length === 0 };
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

function fieldOf(path: (string | number)[]): string | undefined {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out === "" ? undefined : out;
}

function zodMessage(issue: z.ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") return "is required";
  if (issue.code === "invalid_enum_value") {
    return `"${String(issue.received)}" is not one of ${issue.options.join(", ")}`;
  }
  return issue.message;
}

type Issue = { field: string; message: string };

/** The semantic checks of one rule that zod cannot do alone. */
function checkRule(
  rule: Runbook,
  facts: ReadonlyMap<string, FactSpec<string>>,
  collectors: ReadonlySet<string>,
  /** Folder that example bundles are relative to; undefined: examples are not checked. */
  baseDir: string | undefined,
): Issue[] {
  const issues: Issue[] = [];
  checkCondition(rule.when, "when", facts, issues);
  for (const [i, b] of rule.confidence.boosts.entries()) {
    checkCondition(b.when, `confidence.boosts[${i}].when`, facts, issues);
  }
  for (const [i, p] of rule.confidence.penalties.entries()) {
    checkCondition(p.when, `confidence.penalties[${i}].when`, facts, issues);
  }
  for (const [i, m] of rule.minSamples.entries()) {
    checkComparison({ fact: m.fact, op: "gte", value: m.min }, `minSamples[${i}]`, facts, issues);
  }
  checkTemplate(rule.title, "title", facts, issues);
  checkTemplate(rule.subject, "subject", facts, issues);
  for (const [i, t] of rule.evidence.entries()) checkTemplate(t, `evidence[${i}]`, facts, issues);
  for (const [i, t] of rule.remediation.entries()) {
    checkTemplate(t, `remediation[${i}]`, facts, issues);
  }
  for (const [i, t] of rule.next.entries()) checkTemplate(t, `next[${i}]`, facts, issues);
  rule.needs.forEach((n, i) => {
    for (const id of Array.isArray(n) ? n : [n]) {
      if (!collectors.has(id)) {
        issues.push({
          field: `needs[${i}]`,
          message: `unknown collector "${id}"${suggest(id, [...collectors])}`,
        });
      }
    }
  });
  rule.uses.forEach((id, i) => {
    if (!collectors.has(id)) {
      issues.push({
        field: `uses[${i}]`,
        message: `unknown collector "${id}"${suggest(id, [...collectors])}`,
      });
    }
  });
  rule.examples.forEach((ex, i) => {
    if (baseDir === undefined) return;
    const dir = resolve(baseDir, ex.bundle);
    if (existsSync(baseDir) && !existsSync(dir)) {
      issues.push({
        field: `examples[${i}]`,
        message: `bundle folder ${ex.bundle} does not exist`,
      });
    }
  });
  if (rule.supersedes.includes(rule.category)) {
    issues.push({ field: "supersedes", message: `a rule cannot supersede its own category` });
  }
  return issues;
}

function checkCondition(
  c: Condition,
  field: string,
  facts: ReadonlyMap<string, FactSpec<string>>,
  issues: Issue[],
): void {
  if ("all" in c) {
    for (const [i, x] of c.all.entries()) checkCondition(x, `${field}.all[${i}]`, facts, issues);
  } else if ("any" in c) {
    for (const [i, x] of c.any.entries()) checkCondition(x, `${field}.any[${i}]`, facts, issues);
  } else if ("not" in c) {
    checkCondition(c.not, `${field}.not`, facts, issues);
  } else {
    checkComparison(c, field, facts, issues);
  }
}

function unknownFact(path: string, facts: ReadonlyMap<string, FactSpec<string>>): string {
  return `unknown fact "${path}"${suggest(path, [...facts.keys()])}`;
}

function checkComparison(
  c: Comparison,
  field: string,
  facts: ReadonlyMap<string, FactSpec<string>>,
  issues: Issue[],
): void {
  const spec = facts.get(c.fact);
  if (!spec) {
    issues.push({ field: `${field}.fact`, message: unknownFact(c.fact, facts) });
    return;
  }
  const at = `${field}.${c.op}`;
  const elem: FactType = spec.type === "string[]" ? "string" : spec.type;
  if (isFactRef(c.value)) {
    const other = facts.get(c.value.fact);
    if (!other) {
      issues.push({ field: `${at}.fact`, message: unknownFact(c.value.fact, facts) });
      return;
    }
    const otherElem = other.type === "string[]" ? "string" : other.type;
    if (otherElem !== elem) {
      issues.push({
        field: at,
        message: `compares ${c.fact} (${spec.type}) with ${c.value.fact} (${other.type})`,
      });
    }
  }
  switch (c.op) {
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (spec.type !== "number") {
        issues.push({
          field: at,
          message: `${c.op} needs a numeric fact; ${c.fact} is ${spec.type} (use eq, ne, in or matches)`,
        });
      }
      return;
    case "eq":
    case "ne":
      if (!isFactRef(c.value) && typeof c.value !== elem) {
        issues.push({
          field: at,
          message: `${c.fact} is ${spec.type}${spec.unit ? ` (${spec.unit})` : ""}; ${JSON.stringify(c.value)} is a ${typeof c.value}`,
        });
      }
      return;
    case "in":
      if (spec.type === "boolean") {
        issues.push({ field: at, message: `in on a boolean fact: use eq` });
        return;
      }
      (c.value as unknown[]).forEach((v, i) => {
        if (typeof v !== elem) {
          issues.push({
            field: `${at}[${i}]`,
            message: `${c.fact} is ${spec.type}; ${JSON.stringify(v)} is a ${typeof v}`,
          });
        }
      });
      return;
    case "matches": {
      if (elem !== "string") {
        issues.push({
          field: at,
          message: `matches needs a string fact; ${c.fact} is ${spec.type}`,
        });
        return;
      }
      const problem = regexProblem(String(c.value));
      if (problem) issues.push({ field: at, message: problem });
      return;
    }
    case "exists":
      return;
  }
}

/**
 * Why a `matches` pattern is refused, or undefined when it is fine. Patterns are compiled
 * without flags; nested quantifiers (`(a+)+`) and back-references are refused because they
 * can take exponential time on hostile output (ReDoS).
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  if (/\\[1-9]/.test(pattern)) return "back-references are not allowed in matches";
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/.test(pattern)) {
    return "nested quantifiers such as (a+)+ are not allowed in matches (catastrophic backtracking)";
  }
  return undefined;
}

/** Tags a template may use: names, unescaped names, sections, inverted sections, comments. */
const ALLOWED_TAGS = new Set(["text", "name", "&", "#", "^", "!"]);

function checkTemplate(
  template: string,
  field: string,
  facts: ReadonlyMap<string, FactSpec<string>>,
  issues: Issue[],
): void {
  if (/\{\{\s*[>=<]/.test(template)) {
    issues.push({ field, message: "partials and delimiter changes are not allowed in templates" });
    return;
  }
  let tokens: unknown[];
  try {
    tokens = Mustache.parse(template);
  } catch (err) {
    issues.push({ field, message: `template: ${(err as Error).message}` });
    return;
  }
  const walk = (list: unknown[], inSection: boolean): void => {
    for (const t of list as [string, string, number, number, unknown[]?][]) {
      const [type, value] = t;
      if (!ALLOWED_TAGS.has(type)) {
        issues.push({ field, message: `template tag type "${type}" is not allowed` });
        continue;
      }
      if (type === "text" || type === "!") continue;
      if (value === "." && inSection) continue;
      if (!facts.has(value)) {
        issues.push({ field, message: `template names ${unknownFact(value, facts)}` });
      }
      if ((type === "#" || type === "^") && Array.isArray(t[4])) walk(t[4], true);
    }
  };
  walk(tokens, false);
}

/** ` (closest: a, b, c)` for the declared names nearest to `name`, or "". */
export function suggest(name: string, known: readonly string[]): string {
  const last = name.split(".").pop() ?? name;
  const scored = known
    .map((k) => {
      const kLast = k.split(".").pop() ?? k;
      return { k, d: Math.min(editDistance(name, k), editDistance(last, kLast) + 2) };
    })
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  const best = scored.filter((s) => s.d <= Math.max(3, Math.floor(name.length / 3))).slice(0, 3);
  const picks = best.length > 0 ? best : scored.slice(0, 3);
  return picks.length > 0 ? ` (closest: ${picks.map((s) => s.k).join(", ")})` : "";
}
