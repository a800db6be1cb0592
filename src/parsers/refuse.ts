import { LineTooLongError, MAX_LINE_BYTES, problemCount } from "./lines.js";
import type { ParseResult, Parser, RowSink } from "./types.js";
import { RefusedOutputError } from "./unrecognised.js";

/**
 * The threshold for refusal: an output is refused as not of its collector's format, instead of
 * being read as a mostly empty one, when
 *   - it is binary: it holds a NUL byte (no collector's text output has one), or more than
 *     {@link MAX_INVALID_SHARE} of its characters are invalid UTF-8 (decoded as U+FFFD; a
 *     kernel log may hold a few stray bytes from a driver, never a percent of them);
 *   - a line is {@link MAX_LINE_BYTES} or longer (read by linesOfFile; binary when it holds
 *     a NUL byte, so `/dev/zero` is refused at its first read);
 *   - fewer than {@link MIN_RECOGNISED_SHARE} of its lines are recognised: the parser counted
 *     the others as problems (a real output with a pasted prompt or a cut last line has
 *     nearly every line recognised).
 * A replayed dmesg of 200 MB of random bytes had 813,239 unreadable lines of 818,722 (99.3 %)
 * and was still "ok": such an output now fails, so its rules are not evaluated.
 */

/** Largest share of characters that may be U+FFFD (invalid UTF-8) in a text output. */
export const MAX_INVALID_SHARE = 0.01;

/** Smallest share of lines a parser must recognise. */
export const MIN_RECOGNISED_SHARE = 0.01;

/** Characters read before the U+FFFD share is judged while reading (then at the end). */
const EARLY_JUDGE_CHARS = 1 << 16;

/** Why `bytes` are binary rather than text (a NUL byte), or undefined. Does not decode. */
export function binaryReason(id: string, bytes: Buffer): string | undefined {
  const nul = bytes.indexOf(0);
  return nul === -1 ? undefined : `not ${id} output: binary data (a NUL byte at offset ${nul})`;
}

/** Counts lines and characters as a parser reads them, and refuses binary text early. */
class Tally {
  lines = 0;
  chars = 0;
  invalid = 0;

  constructor(private readonly id: string) {}

  *watch(lines: Iterable<string>): Generator<string> {
    try {
      yield* this.check(lines);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      const why = err.head.includes(0)
        ? `binary data (a NUL byte on line ${err.line})`
        : `line ${err.line} is ${MAX_LINE_BYTES >> 20} MiB or longer (no collector prints such a line)`;
      throw new RefusedOutputError(this.id, `not ${this.id} output: ${why}`);
    }
  }

  private *check(lines: Iterable<string>): Generator<string> {
    for (const line of lines) {
      this.lines++;
      this.chars += line.length + 1;
      if (line.includes("\0")) {
        throw new RefusedOutputError(
          this.id,
          `not ${this.id} output: binary data (a NUL byte on line ${this.lines})`,
        );
      }
      if (line.includes("\uFFFD")) {
        for (const c of line) if (c === "\uFFFD") this.invalid++;
        if (this.chars >= EARLY_JUDGE_CHARS) this.judgeText();
      }
      yield line;
    }
  }

  judgeText(): void {
    if (this.invalid <= this.chars * MAX_INVALID_SHARE) return;
    const pct = Math.floor((100 * this.invalid) / this.chars);
    throw new RefusedOutputError(
      this.id,
      `not ${this.id} output: binary data (${pct} % of the characters read are invalid UTF-8)`,
    );
  }

  judgeLines(unreadable: number): void {
    if (this.lines === 0 || this.lines - unreadable >= this.lines * MIN_RECOGNISED_SHARE) return;
    const pct = Math.floor((100 * unreadable) / this.lines);
    throw new RefusedOutputError(
      this.id,
      `not ${this.id} output: ${pct} % of lines unreadable (${unreadable} of ${this.lines})`,
    );
  }
}

/**
 * Runs `parser` over `lines` and refuses the output by the threshold above.
 * @throws RefusedOutputError "not <id> output: binary data (...)" or
 *   "not <id> output: N % of lines unreadable (U of L)", and whatever the parser throws.
 */
export function parseRefusing<F>(
  id: string,
  parser: Parser<F>,
  lines: Iterable<string>,
  sink?: RowSink,
): ParseResult<F> {
  const tally = new Tally(id);
  const result = parser(tally.watch(lines), sink);
  tally.judgeText();
  tally.judgeLines(problemCount(result.problems));
  return result;
}
