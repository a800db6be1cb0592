import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { linesOf } from "../../src/parsers/lines.js";
import type { ParseResult, Parser } from "../../src/parsers/types.js";

/** Absolute path of a file under test/fixtures/. */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
}

export function readFixture(relative: string): string {
  return readFileSync(fixturePath(relative), "utf8");
}

/** Runs a parser over a fixture file under test/fixtures/. */
export function parseFixture<F>(parser: Parser<F>, relative: string): ParseResult<F> {
  return parser(linesOf(readFixture(relative)));
}

export function parseText<F>(parser: Parser<F>, text: string): ParseResult<F> {
  return parser(linesOf(text));
}
