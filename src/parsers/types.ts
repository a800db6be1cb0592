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

/**
 * Receives the rows of a parser's one large table (`sockets` of ss, `devices` of iostat) one
 * at a time, in output order, as each row is complete. `table` is the key the rows belong
 * under in the facts.
 */
export type RowSink = (table: string, row: object) => void;

/**
 * `lines` may be a huge lazy iterable: parsers read it once, front to back.
 *
 * With a `sink`, a parser that has a large table hands each of its rows to the sink instead of
 * keeping it, and returns that table empty; its totals and summaries are the same, as they
 * are worked out row by row. This is how `diagbot parse` prints a table of any size in bounded
 * memory. Parsers without a large table ignore the sink.
 */
export type Parser<F> = (lines: Iterable<string>, sink?: RowSink) => ParseResult<F>;

export { UnrecognisedOutputError } from "./unrecognised.js";
