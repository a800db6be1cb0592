import { ASSIGNMENT_RULES } from "./patterns/assignments.js";
import { HEADER_RULES } from "./patterns/headers.js";
import { JWT_RULES } from "./patterns/jwt.js";
import { OPTION_RULES } from "./patterns/options.js";
import { PRIVATE_KEY_RULES } from "./patterns/private-key.js";
import { CLASSES, REDACTED, type RedactionClass, type Rule } from "./patterns/types.js";
import { URL_RULES } from "./patterns/url.js";
import { USER_PASSWORD_RULES } from "./patterns/user-password.js";
import { VENDOR_RULES } from "./patterns/vendor.js";

/**
 * The one redactor: everything that leaves the process (Slack messages, uploaded evidence, the
 * stored result, logs, tickets, an LLM prompt, what the CLI prints) passes through it, before
 * anything is cut, capped or rendered. Each secret is replaced by {@link REDACTED} and counted
 * by class. Only a local `--save` is byte-exact.
 *
 * The classes (each documented, with its sources, in `patterns/`): private key blocks,
 * vendor-prefixed tokens, JSON web tokens, credentials in URLs, HTTP credential headers,
 * `user:password` options, options that carry a secret, environment assignments and key/value
 * pairs whose name carries a secret word.
 *
 * Redaction is idempotent (`redactText(redactText(x).text).text === redactText(x).text`): the
 * rules are applied until the text no longer changes, and no rule takes the placeholder for a
 * secret.
 *
 * This module is a leaf: it imports nothing else of diagbot.
 */
export { escapeMrkdwn } from "./mrkdwn.js";
export { isSecretName } from "./patterns/names.js";
export { CLASSES, REDACTED, type RedactionClass } from "./patterns/types.js";
export { VENDOR_TOKENS, type VendorToken } from "./patterns/vendor.js";

/** Values replaced, per class. */
export type RedactionCounts = Record<RedactionClass, number>;

/** A redacted text, how many secrets were replaced, and how many of each class. */
export interface Redacted {
  text: string;
  count: number;
  counts: RedactionCounts;
}

const RULES: readonly Rule[] = [
  ...PRIVATE_KEY_RULES,
  ...VENDOR_RULES,
  ...JWT_RULES,
  ...URL_RULES,
  ...HEADER_RULES,
  ...USER_PASSWORD_RULES,
  ...OPTION_RULES,
  ...ASSIGNMENT_RULES,
];

/** Passes over a text at most; a text still changing after them is cut at REDACTED anyway. */
const MAX_PASSES = 4;

/** Zero for every class. */
export function emptyCounts(): RedactionCounts {
  return Object.fromEntries(CLASSES.map((c) => [c, 0])) as RedactionCounts;
}

/** Adds `b` into `a` (returns `a`). */
export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  for (const c of CLASSES) a[c] += b[c];
  return a;
}

/** `3 vendor-token, 1 url-credentials` (classes with a count only), or `none`. */
export function describeCounts(counts: RedactionCounts): string {
  const parts = CLASSES.filter((c) => counts[c] > 0).map((c) => `${counts[c]} ${c}`);
  return parts.length ? parts.join(", ") : "none";
}

function applyRule(text: string, rule: Rule, counts: RedactionCounts): string {
  return text.replace(rule.re, (...args: unknown[]) => {
    const match = args[0] as string;
    const last = args[args.length - 1];
    const groups = (typeof last === "object" && last ? last : {}) as Record<
      string,
      string | undefined
    >;
    if (rule.accept && !rule.accept(groups)) return match;
    if (rule.replace) {
      const r = rule.replace(match);
      counts[rule.class] += r.count;
      return r.text;
    }
    counts[rule.class]++;
    if (groups.secret === undefined) return REDACTED;
    return `${groups.pre ?? ""}${REDACTED}${groups.post ?? ""}`;
  });
}

/**
 * Terminal control sequences (ECMA-48: CSI `ESC [ … final`, and the two-byte `ESC x`). A colour
 * code glues itself to a secret: before it (`\x1b[31mxoxb-…`) it defeats the pattern's word
 * boundary, between a name and its value (`password=\x1b[31mhunter2`, `grep --color`) it splits
 * the pair. A coloured text is redacted two ways: each run of text between the sequences on
 * its own (the colours kept), and with the sequences removed; the second wins when it finds
 * more, and then the text loses its colours rather than keep a secret.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what it finds
const CONTROL_SEQUENCE = /(\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-_]))/;

/** Replaces every secret in `text`. */
export function redactText(text: string): Redacted {
  const { text: out, counts } = text.includes("\x1b") ? redactColoured(text) : redactWhole(text);
  const count = CLASSES.reduce((n, c) => n + counts[c], 0);
  return { text: out, count, counts };
}

/** {@link redactText} of a text with control sequences, as described at CONTROL_SEQUENCE. */
function redactColoured(text: string): { text: string; counts: RedactionCounts } {
  const counts = emptyCounts();
  const kept = text
    .split(CONTROL_SEQUENCE)
    .map((part, i) => (i % 2 === 1 ? part : redactPlain(part, counts)))
    .join("");
  const plain = redactWhole(
    text
      .split(CONTROL_SEQUENCE)
      .filter((_, i) => i % 2 === 0)
      .join(""),
  );
  const total = (c: RedactionCounts) => CLASSES.reduce((n, k) => n + c[k], 0);
  return total(plain.counts) > total(counts) ? plain : { text: kept, counts };
}

/** {@link redactText} of a text as one run. */
function redactWhole(text: string): { text: string; counts: RedactionCounts } {
  const counts = emptyCounts();
  return { text: redactPlain(text, counts), counts };
}

/** {@link redactText} of text without control sequences, adding to `counts`. */
function redactPlain(text: string, counts: RedactionCounts): string {
  let out = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const before = out;
    for (const rule of RULES) out = applyRule(out, rule, counts);
    if (out === before) break;
  }
  return out;
}

/**
 * Redacts every string inside a JSON-like value (a report), returning a copy and the counts.
 * Keys are kept; numbers, booleans and objects that are not plain (an Error, a Buffer) are
 * untouched.
 */
export function redactDeep<T>(value: T): { value: T; count: number; counts: RedactionCounts } {
  const counts = emptyCounts();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const r = redactText(v);
      addCounts(counts, r.counts);
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const out = walk(value) as T;
  return { value: out, count: CLASSES.reduce((n, c) => n + counts[c], 0), counts };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
