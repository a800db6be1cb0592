import { expect } from "vitest";
import type { Parser } from "../../src/parsers/types.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseText } from "./fixtures.js";

/**
 * Feeds a parser 300 inputs made of arbitrary bytes and fragments of its real format cut
 * anywhere (a fixed seed, so a failure repeats), and checks that it returns JSON-able facts
 * with a problems list or throws UnrecognisedOutputError, and nothing else. Returns how many
 * inputs ended each way, so a test can check that both ways were reached.
 */
export function expectOnlyUnrecognised(
  parser: Parser<unknown>,
  pieces: readonly string[],
  seed: number,
): { read: number; unrecognised: number } {
  const outcome = { read: 0, unrecognised: 0 };
  let state = seed;
  // A linear congruential generator; its low bits repeat with short periods, so the high ones
  // are used (with the low ones, `% 2` alternated and whole pieces came from a few only).
  const rand = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state >>> 12;
  };
  for (let i = 0; i < 300; i++) {
    // Every other input starts with a whole piece, so that a parser meets a real header or
    // line before the cut pieces and bytes, and reads as well as refuses.
    let text = i % 2 === 0 ? pieces[rand() % pieces.length] : "";
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
      outcome.read++;
    } catch (err) {
      if (!(err instanceof UnrecognisedOutputError)) {
        throw new Error(`${String(err)} on ${JSON.stringify(text)}`);
      }
      outcome.unrecognised++;
    }
  }
  return outcome;
}
