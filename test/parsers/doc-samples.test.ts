import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../src/parsers/lines.js";
import { loadParser } from "../../src/sources/index.js";

/**
 * The sample outputs in the parsers' doc comments are run as tests, as insights-core runs its
 * docstrings: each is parsed, and the facts the comment claims are checked.
 *
 * The format, in a doc comment of a parser module (src/parsers/<module>.ts):
 *
 *     * ```                          a fence (indented as the prose around it may be); an info
 *     * <the command's output>         string names the collector id when the module parses
 *     * ```                            for several (` ```ss-listen `)
 *     * Yields: `path = value`, `path = value`.
 *     * Yields: `path = value`.      (more lines as needed)
 *
 * The sample's lines are the comment's lines with ` * ` and the fence's indent removed, so
 * columns stay where the command printed them. A claim's path is read from the facts: `.name`, `[index]`,
 * `["key with dots"]`; its value is JSON. Every sample must parse and make at least one claim.
 */

interface Sample {
  module: string;
  /** 1-based line of the opening fence. */
  line: number;
  id: string | undefined;
  text: string;
  claims: { path: string; value: unknown }[];
}

const SOURCES_TEXT = readFileSync(new URL("../../src/sources/index.ts", import.meta.url), "utf8");

/** Collector ids per parser module, from the sources registry. */
const idsByModule = new Map<string, string[]>();
for (const m of SOURCES_TEXT.matchAll(
  /id: "([a-z0-9-]+)",[\s\S]*?parser: async \(\) => \(await import\("\.\.\/parsers\/([a-z0-9-]+)\.js"\)\)/g,
)) {
  idsByModule.set(m[2], [...(idsByModule.get(m[2]) ?? []), m[1]]);
}

const FENCE = /^ \*( +)```(\S*)\s*$/;
const CLAIM = /`([^`=]+?) = ([^`]+)`/g;

function samplesOf(module: string): Sample[] {
  const lines = readFileSync(
    new URL(`../../src/parsers/${module}.ts`, import.meta.url),
    "utf8",
  ).split("\n");
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const indent = ` *${open[1]}`;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j].trimEnd() !== `${indent}\`\`\``; j++) {
      const l = lines[j];
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.replace(/^ \*/, ""));
    }
    const claims: Sample["claims"] = [];
    for (j++; j < lines.length && /^ \*\s+Yields:/.test(lines[j]); j++) {
      for (const c of lines[j].matchAll(CLAIM)) {
        claims.push({ path: c[1].trim(), value: JSON.parse(c[2]) });
      }
    }
    samples.push({ module, line: i + 1, id: open[2] || undefined, text: body.join("\n"), claims });
    i = j - 1;
  }
  return samples;
}

/** The value at `path` (`a.b[0]["c.d"]`) in `facts`. */
function factAt(facts: unknown, path: string): unknown {
  let o = facts as Record<string | number, unknown> | undefined;
  const steps = path.matchAll(/\.?([A-Za-z_]\w*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g);
  for (const s of steps) {
    if (o === null || o === undefined) return undefined;
    const key = s[1] ?? (s[2] !== undefined ? Number(s[2]) : JSON.parse(s[3]));
    o = o[key] as Record<string | number, unknown> | undefined;
  }
  return o;
}

const samples = [...idsByModule.keys()].flatMap(samplesOf);

describe("samples in the parsers' doc comments", () => {
  it("are there for nearly every parser (43 modules)", () => {
    expect(new Set(samples.map((s) => s.module)).size).toBeGreaterThanOrEqual(43);
  });

  it.each(samples.map((s) => [`${s.module}.ts:${s.line}`, s] as const))(
    "%s parses to the facts its comment claims",
    async (_, s) => {
      const ids = idsByModule.get(s.module) ?? [];
      const id = s.id ?? (ids.includes(s.module) ? s.module : ids[0]);
      expect(ids, `${s.id} is not a collector id of ${s.module}.ts`).toContain(id);
      expect(s.claims.length, "a sample without a `Yields:` line checks nothing").toBeGreaterThan(
        0,
      );
      const parse = await loadParser(id);
      const { facts } = parse!(linesOf(`${s.text}\n`));
      for (const c of s.claims) expect(factAt(facts, c.path), c.path).toEqual(c.value);
    },
  );
});
