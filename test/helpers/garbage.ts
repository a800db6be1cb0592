import { expect } from "vitest";
import type { Parser } from "../../src/parsers/types.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseText } from "./fixtures.js";

/**
 * Feeds a parser 300 inputs made of arbitrary bytes and fragments of its real format cut
 * anywhere (a fixed seed, so a failure repeats), and checks that it returns JSON-able facts
 * with a problems list or throws UnrecognisedOutputError, and nothing else.
 */
export function expectOnlyUnrecognised(
  parser: Parser<unknown>,
  pieces: readonly string[],
  seed: number,
): void {
  let state = seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  for (let i = 0; i < 300; i++) {
    let text = "";
    const parts = rand() % 6;
    for (let p = 0; p < parts; p++) {
      if (rand() % 2) text += pieces[rand() % pieces.length].slice(0, rand() % 90);
      else
        text += Array.from({ length: rand() % 80 }, () => String.fromCharCode(rand() % 256)).join(
          "",
        );
    }
    try {
      const result = parseText(parser, text);
      expect(Array.isArray(result.problems)).toBe(true);
      JSON.stringify(result.facts);
    } catch (err) {
      if (!(err instanceof UnrecognisedOutputError)) {
        throw new Error(`${String(err)} on ${JSON.stringify(text)}`);
      }
    }
  }
}
