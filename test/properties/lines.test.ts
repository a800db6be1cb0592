import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  fieldBounds,
  fields,
  fieldsOf,
  LineTooLongError,
  linesOf,
  linesOfFile,
  MAX_LINE_BYTES,
  num,
} from "../../src/parsers/lines.js";
import { RUNS } from "./render.js";

/**
 * `linesOfFile` (the CLI's streaming reader, 1 MiB at a time, one decode per line) gives the
 * lines of the whole file decoded at once: UTF-8 with U+FFFD for invalid bytes, a leading
 * byte order mark dropped (as TextDecoder drops it), `\n` and `\r\n` ends.
 */

const dir = mkdtempSync(join(tmpdir(), "diagbot-lines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function viaFile(bytes: Uint8Array): string[] {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return [...linesOfFile(path)];
}

function model(bytes: Uint8Array): string[] {
  return [...linesOf(new TextDecoder("utf-8").decode(bytes))];
}

/** Bytes that matter: ends of lines, a BOM, pieces of multi-byte and invalid sequences. */
const interesting = fc.constantFrom(
  0x0a,
  0x0d,
  0x20,
  0x41,
  0xef,
  0xbb,
  0xbf,
  0xe2,
  0x82,
  0xac,
  0xc3,
  0xa9,
  0xf0,
  0x9f,
  0x98,
  0x80,
  0xed,
  0xa0,
  0x80,
  0xc0,
  0xaf,
  0xff,
  0xf4,
  0x90,
  0x00,
);
const byteArb = fc.oneof(interesting, fc.integer({ min: 0, max: 255 }));

describe("linesOfFile reads what linesOf reads from the whole decoded text", () => {
  it("for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.array(byteArb, { maxLength: 200 }), (list) => {
        const bytes = Uint8Array.from(list);
        expect(viaFile(bytes)).toEqual(model(bytes));
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("across the 1 MiB reads: long lines, CRLF and a character split between two reads", () => {
    const mib = 1 << 20;
    const parts = [
      Buffer.from("a".repeat(mib - 4)), // "é" straddles the first read
      Buffer.from("é\r\nshort\r"),
      Buffer.from(`\n${"b".repeat(mib - 1)}\n\n`),
      Buffer.from("last line without newline\r"),
    ];
    const bytes = Buffer.concat(parts);
    const got = viaFile(bytes);
    expect(got).toEqual(model(bytes));
    expect(got.map((l) => l.length)).toEqual([mib - 3, 5, mib - 1, 0, 25]);
  });

  it("stops at a line of 1 MiB or more, after the lines before it", () => {
    const bytes = Buffer.from(`one\ntwo\n${"c".repeat(MAX_LINE_BYTES)}\nfour\n`);
    const path = join(dir, `f${n++}`);
    writeFileSync(path, bytes);
    const got: string[] = [];
    expect(() => {
      for (const line of linesOfFile(path)) got.push(line);
    }).toThrow(new LineTooLongError(3, Buffer.alloc(0)).message);
    expect(got).toEqual(["one", "two"]);
  });

  it("drops a byte order mark at the start only", () => {
    const bom = [0xef, 0xbb, 0xbf];
    expect(viaFile(Uint8Array.from([...bom, 0x61, 0x0a, ...bom, 0x62]))).toEqual(["a", "\ufeffb"]);
    expect(viaFile(Uint8Array.from([0xef, 0xbb]))).toEqual(["\ufffd"]);
  });
});

describe("num reads numbers as the tools print them", () => {
  /** The reading num documents: a decimal comma when there is no point, then a plain number. */
  function reference(token: string): number | undefined {
    const t = token.includes(",") && !token.includes(".") ? token.replace(",", ".") : token;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return undefined;
    return Number(t);
  }

  it("for any token of digits, points, commas, signs and exponents", () => {
    const token = fc
      .array(fc.constantFrom("0", "1", "7", "9", ".", ",", "-", "+", "e", "E", " ", "x"), {
        maxLength: 12,
      })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(fc.oneof(token, fc.string({ maxLength: 8 })), (t) => {
        expect(num(t)).toBe(reference(t));
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it("for decimals of up to 17 digits, the same double as Number()", () => {
    const decimal = fc
      .tuple(fc.stringMatching(/^[0-9]{1,17}$/), fc.nat({ max: 17 }))
      .map(([d, at]) => (at >= d.length ? d : `${d.slice(0, at)}.${d.slice(at)}`));
    fc.assert(
      fc.property(decimal, (t) => {
        expect(Object.is(num(t), Number(t))).toBe(true);
      }),
      { numRuns: RUNS * 20 },
    );
  });
});

describe("fieldBounds finds the fields that fields() cuts", () => {
  it("for any text of words and blanks, Unicode spaces included", () => {
    const blank = fc.constantFrom(
      " ",
      "\t",
      "\r",
      "\v",
      "\f",
      "\u00a0",
      "\u2003",
      "\u3000",
      "\ufeff",
    );
    const piece = fc.oneof(blank, fc.string({ maxLength: 4 }), fc.constantFrom("x", "ü", "12.5"));
    const bounds = new Int32Array(64);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const line = pieces.join("");
        const count = fieldBounds(line, bounds);
        expect(fieldsOf(line, bounds, 0, count)).toEqual(fields(line));
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it("says -1 when the line has more fields than the bounds hold", () => {
    expect(fieldBounds("a b c", new Int32Array(4))).toBe(-1);
    expect(fieldBounds("a b", new Int32Array(4))).toBe(2);
  });
});
