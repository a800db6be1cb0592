import fc from "fast-check";
import { linesOf } from "../../src/parsers/lines.js";
import { type ParseResult, type Parser, UnrecognisedOutputError } from "../../src/parsers/types.js";

/**
 * Helpers of the model-based property tests: facts are generated, rendered as the tool prints
 * them, parsed, and compared with the facts. Runs per property stay modest so that the whole
 * suite takes seconds; `PROPERTY_RUNS=1000 npx vitest run test/properties` digs deeper.
 */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

export function parseText<F>(parser: Parser<F>, text: string): ParseResult<F> {
  return parser(linesOf(text));
}

/**
 * Parses a cut output: the result, or undefined when the parser found nothing of its format
 * (the documented {@link UnrecognisedOutputError}: the cut took the only line that was).
 */
export function parseCut<F>(parser: Parser<F>, text: string): ParseResult<F> | undefined {
  try {
    return parser(linesOf(text));
  } catch (err) {
    if (err instanceof UnrecognisedOutputError) return undefined;
    throw err;
  }
}

/** A value with `decimals` digits after the point, from an integer count of its last digit. */
export function fixed(units: number, decimals: number): number {
  return units / 10 ** decimals;
}

/** Prints `value` with `decimals` digits, with a decimal comma when `comma` (a de_DE locale). */
export function dec(value: number, decimals: number, comma = false): string {
  const text = value.toFixed(decimals);
  return comma ? text.replace(".", ",") : text;
}

/** Right-aligns `text` in `width` (never cuts it), as C's `%*s` does. */
export function right(text: string, width: number): string {
  return text.padStart(width);
}

export function left(text: string, width: number): string {
  return text.padEnd(width);
}

/**
 * A non-negative value with two decimals, as sysstat prints most columns: mostly small, some
 * large, some zero.
 */
export const hundredths = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100_000_000 }) },
);

/** A percentage with two decimals, 0.00 to 100.00, in hundredths. */
export const pctHundredths = fc.integer({ min: 0, max: 10_000 });

/** Lower-case identifiers: device names, interface names, commands. */
export const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

/** Distinct names, in order. */
export function names(arb: fc.Arbitrary<string>, min: number, max: number) {
  return fc.uniqueArray(arb, { minLength: min, maxLength: max });
}

/**
 * Cuts the text inside its last non-empty line, as an output cap or a killed command leaves
 * it: `keep` (0..1) is the share of that line that stays. The trailing newline goes too.
 */
export function truncateLastLine(text: string, keep: number): { text: string; lastLine: number } {
  const lines = text.replace(/\n+$/, "").split("\n");
  const last = lines.length - 1;
  const line = lines[last];
  const first = line.search(/\S/) + 1; // keep at least one visible character
  lines[last] = line.slice(0, Math.max(first, Math.floor(line.length * keep)));
  return { text: lines.join("\n"), lastLine: last + 1 };
}

/** Shuffles a copy of `list` with the permutation fast-check chose (indices to sort by). */
export function permute<T>(list: readonly T[], keys: readonly number[]): T[] {
  return list
    .map((item, i) => ({ item, key: keys[i] ?? i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

/** Sort keys for {@link permute}: one per element. */
export function permutationKeys(length: number) {
  return fc.array(fc.integer(), { minLength: length, maxLength: length });
}
