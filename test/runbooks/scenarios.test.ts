import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import type { ParsedEntry } from "../../src/derive/types.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import type { Symptom } from "../../src/model/report.js";
import { linesOf } from "../../src/parsers/lines.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { loadParser } from "../../src/sources/index.js";

/**
 * Replays every real-incident bundle (shared/scenarios/bundles, copied into
 * runbooks/examples): parse each `<collector-id>.out` with the parser registry, derive,
 * evaluate the packaged runbooks, and check that the top hypothesis names the expected
 * category or one of its accepted alternatives. Every collector of a bundle must have a
 * parser.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
/** The shared incident bundles beside the repository, else the copies in runbooks/examples. */
const SHARED = join(root, "..", "shared", "scenarios", "bundles");
const EXAMPLES = join(root, "runbooks", "examples");
const BUNDLES = existsSync(SHARED) ? SHARED : EXAMPLES;

interface Expected {
  category: string;
  also: string[];
  symptom: Symptom;
}

const bundles = existsSync(BUNDLES)
  ? readdirSync(BUNDLES)
      .filter((d) => existsSync(join(BUNDLES, d, "expected.json")))
      .sort()
  : [];

let runbooks: Runbook[];
beforeAll(async () => {
  runbooks = await loadRunbooks(join(root, "runbooks"));
});

/** Parses a bundle; returns the parsed set and the collector ids that have no parser. */
async function parseBundle(
  dir: string,
): Promise<{ parsed: Map<string, ParsedEntry>; missing: string[] }> {
  const parsed = new Map<string, ParsedEntry>();
  const missing: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".out") || file.endsWith(".start.out")) continue;
    const id = file.slice(0, -".out".length);
    const parser = await loadParser(id);
    if (!parser) {
      missing.push(id);
      continue;
    }
    const entry: ParsedEntry = {
      facts: parser(linesOf(readFileSync(join(dir, file), "utf8"))).facts,
    };
    const start = join(dir, `${id}.start.out`);
    if (existsSync(start)) entry.start = parser(linesOf(readFileSync(start, "utf8"))).facts;
    parsed.set(id, entry);
  }
  return { parsed, missing };
}

describe("scenario bundles", () => {
  it("finds the bundles", () => {
    expect(bundles.length).toBeGreaterThan(0);
  });

  for (const name of bundles) {
    it(name, async () => {
      const dir = join(BUNDLES, name);
      const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
      const { parsed, missing } = await parseBundle(dir);
      expect(missing, "collectors of the bundle without a parser").toEqual([]);
      // bundle.json (when present) records the window of the start/end snapshots.
      const manifest = join(dir, "bundle.json");
      const windowSeconds = existsSync(manifest)
        ? (JSON.parse(readFileSync(manifest, "utf8")) as { window?: { seconds?: number } }).window
            ?.seconds
        : undefined;
      const derived = derive(parsed, { windowSeconds });
      const { hypotheses, checked } = evaluateRunbooks(
        runbooks,
        derived,
        new Set(parsed.keys()),
        expected.symptom,
      );
      const accepted = [expected.category, ...(expected.also ?? [])];
      const top = hypotheses[0];
      const got = top ? `${top.category} (${top.rule}, ${top.confidence})` : "no hypothesis";
      const detail = [
        `expected ${accepted.join(" | ")}, got ${got}`,
        `hypotheses: ${hypotheses.map((h) => `${h.rule}=${h.score}`).join(", ") || "none"}`,
        `not evaluated: ${checked.filter((c) => c.verdict === "not-evaluated").length}`,
      ]
        .filter(Boolean)
        .join("\n");
      if (process.env.DIAGBOT_DEBUG_SCENARIOS) {
        console.log(`${name}\n${detail}\n${JSON.stringify(hypotheses, null, 1)}`);
      }
      expect(top, detail).toBeDefined();
      expect(accepted, detail).toContain(top.category);
      // Every hypothesis cites evidence with an excerpt.
      for (const h of hypotheses) {
        expect(h.evidence.length, `${h.rule} has no evidence`).toBeGreaterThan(0);
        for (const e of h.evidence) expect(e.excerpt, `${h.rule} ${e.fact}`).not.toBe("");
      }
    });
  }
});
