import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../src/parsers/lines.js";
import { type Parser, UnrecognisedOutputError } from "../../src/parsers/types.js";
import { loadParser, sourceIds } from "../../src/sources/index.js";
import { fixturePath } from "../helpers/fixtures.js";
import { RUNS } from "./render.js";

/**
 * For every parser of the registry: whatever it is given (arbitrary text, arbitrary bytes
 * decoded as the CLI decodes them, and real outputs of its own and of other tools, cut,
 * shuffled, repeated and mixed with garbage), it returns facts and well-formed problems, or
 * throws the one documented error, {@link UnrecognisedOutputError}. Nothing else.
 */

const manifest = readFileSync(fixturePath("MANIFEST.tsv"), "utf8")
  .split("\n")
  .slice(1)
  .filter((l) => l.trim() !== "")
  .map((l) => {
    const [file, , collector] = l.split("\t");
    return { file, collector };
  });

/** At most 120 lines of each fixture: enough structure, small inputs. */
function fixtureLines(file: string): string[] {
  try {
    return readFileSync(fixturePath(file), "utf8").split("\n").slice(0, 120);
  } catch {
    return [];
  }
}

const allFixtures = manifest.map((m) => fixtureLines(m.file)).filter((l) => l.length > 0);

function fixturesOf(id: string): string[][] {
  const base = id.replace(/-(cpu|memory|io)$/, "").replace(/-inodes$/, "");
  const own = manifest
    .filter((m) => m.collector === id || m.collector.startsWith(`${base}-`) || m.collector === base)
    .map((m) => fixtureLines(m.file))
    .filter((l) => l.length > 0);
  return own.length > 0 ? own : allFixtures.slice(0, 3);
}

/** Lines of real output, mutated the ways pasted and capped outputs are. */
function mutated(sources: string[][]): fc.Arbitrary<string> {
  const garbage = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.constantFrom(
      "$ ",
      "...",
      "^C",
      "Killed",
      "\u0000\u0001",
      "==> /x <==",
      "   ",
      "-",
      "%",
      ":",
      "(",
      '"',
      "[",
    ),
  );
  const mutation = fc.oneof(
    fc.record({ op: fc.constant("drop"), at: fc.nat(), n: fc.nat({ max: 5 }) }),
    fc.record({ op: fc.constant("repeat"), at: fc.nat(), n: fc.nat({ max: 5 }) }),
    fc.record({ op: fc.constant("insert"), at: fc.nat(), text: garbage }),
    fc.record({ op: fc.constant("cut"), at: fc.nat(), keep: fc.nat() }),
    fc.record({ op: fc.constant("chars"), at: fc.nat(), pos: fc.nat(), text: garbage }),
    fc.record({ op: fc.constant("foreign"), at: fc.nat(), from: fc.nat(), line: fc.nat() }),
    fc.record({ op: fc.constant("swap"), at: fc.nat(), to: fc.nat() }),
  );
  return fc
    .record({
      source: fc.nat({ max: sources.length - 1 }),
      mutations: fc.array(mutation, { maxLength: 8 }),
      end: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ source, mutations, end }) => {
      const lines = [...sources[source]];
      for (const m of mutations) {
        const at = lines.length === 0 ? 0 : m.at % lines.length;
        switch (m.op) {
          case "drop":
            lines.splice(at, m.n);
            break;
          case "repeat":
            lines.splice(at, 0, ...lines.slice(at, at + m.n));
            break;
          case "insert":
            lines.splice(at, 0, m.text);
            break;
          case "cut":
            if (lines[at] !== undefined)
              lines[at] = lines[at].slice(0, m.keep % (lines[at].length + 1));
            break;
          case "chars":
            if (lines[at] !== undefined) {
              const p = m.pos % (lines[at].length + 1);
              lines[at] = lines[at].slice(0, p) + m.text + lines[at].slice(p + 1);
            }
            break;
          case "foreign": {
            const other = allFixtures[m.from % allFixtures.length];
            lines.splice(at, 0, other[m.line % other.length]);
            break;
          }
          case "swap": {
            const to = lines.length === 0 ? 0 : m.to % lines.length;
            [lines[at], lines[to]] = [lines[to], lines[at]];
            break;
          }
        }
      }
      const text = lines.join("\n");
      // an output cap: cut anywhere, even inside a line
      return end === undefined ? text : text.slice(0, end % (text.length + 1));
    });
}

/** Lines made of the tokens of real outputs, in any order. */
function tokenSoup(sources: string[][]): fc.Arbitrary<string> {
  const tokens = [
    ...new Set(
      sources
        .flat()
        .flatMap((l) => l.split(/\s+/))
        .filter(Boolean),
    ),
  ].slice(0, 400);
  if (tokens.length === 0) return fc.constant("");
  const line = fc
    .array(fc.constantFrom(...tokens), { maxLength: 14 })
    .chain((ts) => fc.constantFrom(ts.join(" "), ts.join("  "), `\t ${ts.join(" ")}`));
  return fc.array(line, { maxLength: 25 }).map((ls) => ls.join("\n"));
}

const bytes = fc.uint8Array({ maxLength: 400 }).map((b) => new TextDecoder("utf-8").decode(b));

function check(parser: Parser<unknown>, text: string): void {
  const lines = [...linesOf(text)];
  let result: ReturnType<typeof parser>;
  try {
    result = parser(linesOf(text));
  } catch (err) {
    if (err instanceof UnrecognisedOutputError) return;
    throw err;
  }
  expect(typeof result.facts).toBe("object");
  expect(result.facts).not.toBeNull();
  expect(Array.isArray(result.problems)).toBe(true);
  for (const p of result.problems) {
    expect(typeof p.text).toBe("string");
    expect(typeof p.reason).toBe("string");
    expect(Number.isInteger(p.line)).toBe(true);
    expect(p.line).toBeGreaterThanOrEqual(0);
    expect(p.line).toBeLessThanOrEqual(lines.length);
  }
  // The CLI prints the result as JSON: no cycles, no BigInt.
  JSON.stringify(result);
}

describe("every parser: arbitrary input gives facts and problems or the documented error", () => {
  for (const id of sourceIds()) {
    it(id, async () => {
      const parser = (await loadParser(id))!;
      const sources = fixturesOf(id);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: "binary", maxLength: 300 }),
            bytes,
            mutated(sources),
            mutated(sources),
            tokenSoup(sources),
          ),
          (text) => check(parser, text),
        ),
        { numRuns: Math.max(20, Math.round(RUNS * 1.5)) },
      );
    });
  }
});
