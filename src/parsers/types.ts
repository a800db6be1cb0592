/**
 * The parser contract. A parser is a pure function over the lines of one collector's report
 * stream: it returns the typed facts it could read and a `problems` list for every line it
 * could not (shell prompts, `...` elisions, foreign lines, a truncated last line).
 *
 * Parsers never throw on odd input. The one exception is output in which nothing of the
 * expected format was found at all: then they throw {@link UnrecognisedOutputError}
 * (the `parse` CLI exits 1). Header-only output (no listeners, no OOM lines) is valid.
 */

/** A line the parser could not read. `line` is 1-based. */
export interface Problem {
  line: number;
  text: string;
  reason: string;
}

export interface ParseResult<F> {
  facts: F;
  problems: Problem[];
}

/** `lines` may be a huge lazy iterable: parsers read it once, front to back. */
export type Parser<F> = (lines: Iterable<string>) => ParseResult<F>;

export { UnrecognisedOutputError } from "./unrecognised.js";
