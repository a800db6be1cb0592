import { EventEmitter } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeJson } from "../../src/cli/parse.js";
import { RUNS } from "./render.js";

/**
 * `diagbot parse --json` writes its document in pieces (large arrays a batch at a time), and
 * the bytes must be exactly `JSON.stringify(doc, null, 2)` and a newline, whatever the doc.
 */

/** A stream that sometimes asks the writer to wait for `drain`. */
class Sink extends EventEmitter {
  chunks: string[] = [];
  constructor(private readonly busyEvery: number) {
    super();
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.busyEvery > 0 && this.chunks.length % this.busyEvery === 0) {
      setImmediate(() => this.emit("drain"));
      return false;
    }
    return true;
  }
}

/** Arrays longer than one batch (1024), of values of any kind. */
const bigArray = fc
  .tuple(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: 1000, max: 3200 }), fc.nat({ max: 6 }))
  .map(([v, length, k]) =>
    Array.from({ length }, (_, i) =>
      i % (k + 2) === 0 ? v : i % 5 === 0 ? { i, s: `row ${i}`, u: undefined } : i,
    ),
  );

const { any: value } = fc.letrec<{ any: unknown; object: Record<string, unknown> }>((tie) => ({
  any: fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: bigArray },
    { weight: 2, arbitrary: tie("object") },
    { weight: 1, arbitrary: fc.array(tie("any"), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, new Date(0), '\u2028\ud800"\\', -0, 1e21) },
  ),
  object: fc.dictionary(fc.string({ maxLength: 6 }), tie("any"), { maxKeys: 5 }),
}));

describe("parse --json output", () => {
  it("is JSON.stringify(doc, null, 2) byte for byte, written in pieces", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          collector: fc.constant("x"),
          facts: value,
          problems: fc.array(fc.jsonValue()),
        }),
        fc.nat({ max: 3 }),
        async (doc, busyEvery) => {
          const sink = new Sink(busyEvery);
          await writeJson(doc, sink as unknown as NodeJS.WritableStream);
          expect(sink.chunks.join("")).toBe(`${JSON.stringify(doc, null, 2)}\n`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("of a 300 000-row table stays identical and comes in pieces of about 1 MB", async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ n: i, state: "ESTAB", q: i % 7 }));
    const doc = { collector: "ss-tcp", facts: { sockets: rows, total: rows.length }, problems: [] };
    const sink = new Sink(0);
    await writeJson(doc, sink as unknown as NodeJS.WritableStream);
    expect(sink.chunks.join("")).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(sink.chunks.length).toBeGreaterThan(10);
    expect(Math.max(...sink.chunks.map((c) => c.length))).toBeLessThan(3 << 20);
  });
});
