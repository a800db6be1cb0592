import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../src/parsers/lines.js";
import { isSourceId, loadParser } from "../../src/sources/index.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * Golden files: every fixture in test/fixtures/MANIFEST.tsv whose collector has a parser is
 * parsed and compared with `<file>.json` beside it. `UPDATE_GOLDEN=1 npx vitest run golden`
 * writes missing ones; each is then read against the raw text before it is committed, and
 * the per-parser tests type at least three values of each file by hand. Each file is also parsed
 * with a row sink (as `diagbot parse` streams large tables), which must give the same facts.
 */
const manifest = readFileSync(fixturePath("MANIFEST.tsv"), "utf8")
  .split("\n")
  .slice(1)
  .filter((l) => l.trim() !== "")
  .map((l) => {
    const [file, , collector] = l.split("\t");
    return { file, collector };
  })
  .filter((row) => isSourceId(row.collector));

describe("golden files", () => {
  it.each(manifest)("$collector: $file", async ({ file, collector }) => {
    const parser = (await loadParser(collector))!;
    const result = parser(linesOf(readFileSync(fixturePath(file), "utf8")));
    const golden = fixturePath(`${file}.json`);
    if (!existsSync(golden) && process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(golden, `${JSON.stringify(result, null, 1)}\n`);
    }
    expect(existsSync(golden), `missing golden file ${file}.json`).toBe(true);
    const want = JSON.parse(readFileSync(golden, "utf8"));
    expect(JSON.parse(JSON.stringify(result))).toEqual(want);

    // With a sink the rows of the large table stream out; put back, they give the same facts.
    const streamed: Record<string, object[]> = {};
    const rest = parser(linesOf(readFileSync(fixturePath(file), "utf8")), (table, row) => {
      streamed[table] ??= [];
      streamed[table].push(row);
    });
    for (const [table, rows] of Object.entries(streamed)) {
      expect((rest.facts as Record<string, unknown>)[table]).toEqual([]);
      (rest.facts as Record<string, unknown>)[table] = rows;
    }
    expect(JSON.parse(JSON.stringify(rest))).toEqual(want);
  });
});
