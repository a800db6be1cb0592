import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive, FACT_CATALOGUE } from "../../src/derive/index.js";
import type { FactTree, ParsedEntry } from "../../src/derive/types.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import { linesOf } from "../../src/parsers/lines.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import { loadParser } from "../../src/sources/index.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * Runs the derive layer over every real output in test/fixtures (MANIFEST.tsv names the
 * collector of each file) and checks the catalogue contract: derive never throws, every fact
 * it writes is declared with the right type, and every fact names the collector it came from.
 */

const manifest = readFileSync(fixturePath("MANIFEST.tsv"), "utf8")
  .split("\n")
  .slice(1)
  .map((l) => l.split("\t"))
  .filter((c) => c.length > 2 && c[2] && !c[2].startsWith("unsupported"))
  .map((c) => ({ file: c[0], collector: c[2] }));

const declared = new Map(FACT_CATALOGUE.map((f) => [f.path, f]));

function leaves(tree: FactTree, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return "string[]";
  return typeof v;
}

describe("derive over the fixture corpus", () => {
  const runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;

  for (const { file, collector } of manifest) {
    it(`${collector}: ${file}`, async () => {
      const parser = await loadParser(collector);
      expect(parser, `parser for ${collector}`).toBeDefined();
      const facts = parser!(linesOf(readFileSync(fixturePath(file), "utf8"))).facts;
      const parsed = new Map<string, ParsedEntry>([[collector, { facts }]]);
      const derived = derive(parsed, { windowSeconds: undefined });
      expect(
        derived.notes.filter((n) => n.startsWith("derive ")),
        "a module threw",
      ).toEqual([]);
      for (const [path, value] of leaves(derived.tree)) {
        const spec = declared.get(path);
        expect(spec, `${path} is not declared`).toBeDefined();
        expect(typeOf(value), `${path}: ${JSON.stringify(value)}`).toBe(spec?.type);
        if (path.startsWith("window.")) continue;
        const source = derived.sources.get(path);
        expect(source, `${path} has no source`).toBeDefined();
      }
      // Rules never throw on real data, whatever they conclude.
      const { hypotheses, checked } = evaluateRunbooks(
        runbooks,
        derived,
        new Set([collector]),
        "health",
      );
      expect(hypotheses.length + checked.length).toBe(runbooks.length);
      if (process.env.DIAGBOT_DEBUG_SCENARIOS && hypotheses.length > 0) {
        console.log(
          `${file}: ${hypotheses.map((h) => `${h.rule}=${h.score} ${h.title}`).join(" | ")}`,
        );
      }
    });
  }
});
