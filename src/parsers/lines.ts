import { isAscii } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";

/**
 * Helpers shared by the parsers: splitting text into lines lazily, reading numbers the way
 * the tools print them, and recording problems.
 */

/** Splits text into lines (`\n` or `\r\n`), lazily. A trailing newline yields no empty line. */
export function* linesOf(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield text.slice(start, lineEnd);
    start = end + 1;
  }
}

/**
 * Reads into `buf` from `offset` to its end: the bytes read, 0 at the end of the input. A
 * non-blocking standard input that has nothing yet (EAGAIN) is read again; EOF, which Windows
 * pipes report, is the end.
 * @throws the read's other errors, as fs.readSync does
 */
export function readSome(fd: number, buf: Buffer, offset: number): number {
  for (;;) {
    try {
      return readSync(fd, buf, offset, buf.length - offset, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EOF") return 0;
      if (code !== "EAGAIN") throw err;
    }
  }
}

/**
 * Bytes of {@link linesOfFile}'s read buffer: its lines are shorter, ending included. No collector prints a line
 * of even 64 KiB (the longest are `ss -tinp` sockets held by many processes, a few KiB), so a
 * longer one is binary data or no output at all (`/dev/zero`, an archive, a log of one line).
 */
export const MAX_LINE_BYTES = 1 << 20;

/** Thrown by {@link linesOfFile} at a line of {@link MAX_LINE_BYTES} or more. */
export class LineTooLongError extends Error {
  constructor(
    /** 1-based number of the line. */
    readonly line: number,
    /** The line's first {@link MAX_LINE_BYTES} bytes. */
    readonly head: Buffer,
  ) {
    super(`line ${line} is ${MAX_LINE_BYTES >> 20} MiB or longer`);
  }
}

/**
 * Reads a file (or fd 0 for `-`) as lines in 1 MiB chunks, so a 100 MB output is parsed in
 * bounded memory. Bytes are decoded as UTF-8; invalid sequences become U+FFFD; a UTF-8 byte
 * order mark at the start is dropped. Lines end at `\n` or `\r\n`, as in {@link linesOf}.
 *
 * Each line is decoded from the bytes on its own: a line is then a small string of its own,
 * never a slice of a large decoded chunk, so the few strings a parser keeps (an address, a
 * device name) do not keep every chunk of the input alive; ASCII stays one byte a character.
 *
 * Lines are shorter than {@link MAX_LINE_BYTES}, so memory stays within one buffer of that size
 * whatever the input (an endless stream without a newline included).
 * @throws LineTooLongError at a line that is not, after the lines before it; the read's errors
 *   (ENOENT, EISDIR, …) as fs.openSync and fs.readSync throw them
 */
export function* linesOfFile(path: string | 0): Generator<string> {
  const fd = path === 0 ? 0 : openSync(path, "r");
  const buf = Buffer.allocUnsafe(MAX_LINE_BYTES);
  /** Lines yielded so far. */
  let count = 0;
  /** Bytes in `buf`: the unfinished line carried over, then what was just read. */
  let have = 0;
  let bomChecked = false;
  const line = (from: number, to: number, ascii: boolean): string => {
    const end = to > from && buf[to - 1] === 13 ? to - 1 : to;
    return buf.toString(ascii ? "latin1" : "utf8", from, end);
  };
  try {
    for (;;) {
      if (have === buf.length) throw new LineTooLongError(count + 1, buf);
      const n = readSome(fd, buf, have);
      if (n === 0) break;
      const scanFrom = have; // the carried bytes hold no newline
      have += n;
      let start = 0;
      if (!bomChecked) {
        if (buf[0] === 0xef && (have < 2 || buf[1] === 0xbb) && (have < 3 || buf[2] === 0xbf)) {
          if (have < 3) continue; // maybe a byte order mark: read on
          start = 3;
        }
        bomChecked = true;
      }
      const last = buf.lastIndexOf(10, have - 1);
      if (last >= scanFrom && last >= start) {
        const ascii = isAscii(buf.subarray(start, last));
        let nl = buf.indexOf(10, Math.max(start, scanFrom));
        while (nl !== -1 && nl <= last) {
          yield line(start, nl, ascii);
          count++;
          start = nl + 1;
          nl = nl === last ? -1 : buf.indexOf(10, start);
        }
      }
      if (start > 0) {
        buf.copy(buf, 0, start, have);
        have -= start;
      }
    }
    if (have > 0) yield line(0, have, false);
  } finally {
    if (path !== 0) closeSync(fd);
  }
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The number in `text[from, to)` when it is what nearly every value is, digits with at most one
 * point (`12.50`, `0`, `.5`) and at most 15 digits, else undefined. Up to 15 digits the value
 * is an exact integer over a power of ten, and that one division is correctly rounded: the same
 * double as Number() of the text, without cutting the text out first.
 */
export function plainDecimal(text: string, from = 0, to = text.length): number | undefined {
  let digits = 0;
  let whole = 0;
  let decimals = -1;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      whole = whole * 10 + (c - 48);
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) decimals = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  return decimals > 0 ? whole / POW10[decimals] : whole;
}

/**
 * Reads a number as the tools print it: `12.5`, `12,5` (a decimal comma from a localised
 * sysstat), `-`, `1.2k`-style suffixes are NOT expanded here. Returns undefined when the
 * token is not a number.
 */
export function num(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  const plain = plainDecimal(token);
  if (plain !== undefined) return plain;
  const t = token.includes(",") && !token.includes(".") ? token.replace(",", ".") : token;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Splits a table row on runs of white space, dropping leading and trailing blanks. */
export function fields(line: string): string[] {
  return line.match(NON_BLANK) ?? [];
}
const NON_BLANK = /\S+/g;

/** True for the characters of `\s`: ECMAScript WhiteSpace and LineTerminator. */
export function isBlank(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The fields of a row as {@link fields} splits it, as offsets instead of strings: field `k` is
 * `line.slice(bounds[2k], bounds[2k + 1])`. Returns the number of fields, or -1 when the line
 * has more than `bounds.length / 2`. For the hot loops of large tables, which read most fields
 * as numbers ({@link plainDecimal}) and need no string of them.
 */
export function fieldBounds(line: string, bounds: Int32Array): number {
  const len = line.length;
  let count = 0;
  let i = 0;
  while (i < len) {
    while (i < len && isBlank(line.charCodeAt(i))) i++;
    if (i === len) break;
    if (2 * count + 1 >= bounds.length) return -1;
    bounds[2 * count] = i;
    while (i < len && !isBlank(line.charCodeAt(i))) i++;
    bounds[2 * count + 1] = i;
    count++;
  }
  return count;
}

/** Fields `from` to `to - 1` of a line split by {@link fieldBounds}, as strings. */
export function fieldsOf(line: string, bounds: Int32Array, from: number, to: number): string[] {
  const out: string[] = [];
  for (let k = from; k < to; k++) out.push(line.slice(bounds[2 * k], bounds[2 * k + 1]));
  return out;
}

/** Offset in `line` of the start of its 0-based `k`-th white-space separated field. */
export function nthFieldStart(line: string, k: number): number {
  let i = 0;
  for (const m of line.matchAll(/\S+/g)) {
    if (i === k) return m.index;
    i++;
  }
  return line.length;
}

const NOT_LISTED = /^(\d+) more problems not listed$/;

/**
 * The number of problems a list stands for: its entries, plus the ones counted in the final
 * "N more problems not listed" entry of {@link ProblemLog.list} (which is not itself one).
 */
export function problemCount(problems: readonly { line: number; reason: string }[]): number {
  const last = problems[problems.length - 1];
  const more = last && last.line === 0 ? NOT_LISTED.exec(last.reason) : null;
  return more ? problems.length - 1 + Number(more[1]) : problems.length;
}

/** Collects problems with their 1-based line numbers and a bounded count (first 200 kept). */
export class ProblemLog {
  readonly problems: { line: number; text: string; reason: string }[] = [];
  private dropped = 0;

  add(line: number, text: string, reason: string): void {
    if (this.problems.length < 200) this.problems.push({ line, text: text.slice(0, 200), reason });
    else this.dropped++;
  }

  /** The problems, with a final entry counting the ones not kept. */
  list(): { line: number; text: string; reason: string }[] {
    if (this.dropped === 0) return this.problems;
    return [
      ...this.problems,
      // problemCount() reads this entry back: keep the wording in step with NOT_LISTED.
      { line: 0, text: "", reason: `${this.dropped} more problems not listed` },
    ];
  }
}
