import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseDocumentWriter } from "../../src/cli/parse-document.js";
import { RUNS } from "./render.js";

/**
 * `diagbot parse --json` writes rows while the parser runs and the other facts at the end; the
 * text must be one line of JSON that parses to the document with the rows put back under their
 * table's key, whatever the rows and facts hold.
 */

function written(
  facts: Record<string, unknown>,
  table: string,
  rows: object[],
): { text: string; pieces: string[] } {
  const pieces: string[] = [];
  const doc = new ParseDocumentWriter("x", (text) => pieces.push(text));
  for (const row of rows) doc.row(table, row);
  doc.end({ ...facts, [table]: [] }, [{ line: 1, text: "?", reason: "r" }]);
  return { text: pieces.join(""), pieces };
}

const row = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 6,
});

describe("parse --json document", () => {
  it("parses to the facts with the streamed rows under their key", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
        fc.string({ maxLength: 6 }),
        fc.array(row, { maxLength: 400 }),
        (facts, table, rows) => {
          const { text } = written(facts, table, rows);
          expect(text.endsWith("\n")).toBe(true);
          expect(text.slice(0, -1)).not.toContain("\n");
          const want = { ...facts, [table]: rows };
          expect(JSON.parse(text)).toEqual(
            JSON.parse(
              JSON.stringify({
                collector: "x",
                facts: want,
                problems: [{ line: 1, text: "?", reason: "r" }],
              }),
            ),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("writes 300 000 rows as small pieces, never one large string", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ n: i, state: "ESTAB", q: i % 7 }));
    const { text, pieces } = written({ total: rows.length }, "sockets", rows);
    expect(JSON.parse(text).facts.sockets).toEqual(rows);
    expect(JSON.parse(text).facts.total).toBe(300_000);
    expect(pieces.length).toBeGreaterThan(2000);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(64 << 10);
  });

  it("without rows is JSON.stringify of the whole document", () => {
    const pieces: string[] = [];
    const doc = new ParseDocumentWriter("uptime", (text) => pieces.push(text));
    doc.end({ load1: 0.5 }, []);
    expect(pieces.join("")).toBe(
      `${JSON.stringify({ collector: "uptime", facts: { load1: 0.5 }, problems: [] })}\n`,
    );
  });

  it("refuses rows of a second table", () => {
    const doc = new ParseDocumentWriter("x", () => {});
    doc.row("sockets", { a: 1 });
    expect(() => doc.row("listeners", { a: 1 })).toThrow(/only one table streams/);
  });
});
