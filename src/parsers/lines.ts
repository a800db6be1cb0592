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
 * Reads a file (or fd 0 for `-`) as lines in 1 MiB chunks, so a 100 MB output is parsed in
 * bounded memory. Bytes are decoded as UTF-8; invalid sequences become U+FFFD.
 */
export function* linesOfFile(path: string | 0): Generator<string> {
  const fd = path === 0 ? 0 : openSync(path, "r");
  const decoder = new TextDecoder("utf-8");
  const chunk = Buffer.allocUnsafe(1 << 20);
  let carry = "";
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") continue;
        if ((err as NodeJS.ErrnoException).code === "EOF") break;
        throw err;
      }
      if (n === 0) break;
      carry += decoder.decode(chunk.subarray(0, n), { stream: true });
      let start = 0;
      let nl = carry.indexOf("\n", start);
      while (nl !== -1) {
        const end = nl > start && carry.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield carry.slice(start, end);
        start = nl + 1;
        nl = carry.indexOf("\n", start);
      }
      carry = carry.slice(start);
    }
    carry += decoder.decode();
    if (carry.length > 0) yield carry;
  } finally {
    if (path !== 0) closeSync(fd);
  }
}

/**
 * Reads a number as the tools print it: `12.5`, `12,5` (a decimal comma from a localised
 * sysstat), `-`, `1.2k`-style suffixes are NOT expanded here. Returns undefined when the
 * token is not a number.
 */
export function num(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  const t = token.includes(",") && !token.includes(".") ? token.replace(",", ".") : token;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Splits a table row on runs of white space, dropping leading and trailing blanks. */
export function fields(line: string): string[] {
  const t = line.trim();
  return t === "" ? [] : t.split(/\s+/);
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
      { line: 0, text: "", reason: `${this.dropped} more problems not listed` },
    ];
  }
}
