/** Small text helpers shared by the kernel-log reader's modules. */

/** Holds the last regular-expression match, so that `else if` chains can test and read it. */
export class Match {
  private cur: RegExpExecArray | null = null;
  /** Runs `re` on `s`; true when it matched (the match is then `m`). */
  test(re: RegExp, s: string): boolean {
    this.cur = re.exec(s);
    return this.cur !== null;
  }
  /** The last successful match (only read after `test` returned true). */
  get m(): RegExpExecArray {
    return this.cur as RegExpExecArray;
  }
}

/** The event headline: trimmed, at most 300 characters. */
export function clip(s: string): string {
  const t = s.trim();
  return t.length > 300 ? t.slice(0, 300) : t;
}

/** The value after `key=` or `key:` in a comma- or blank-separated list. */
export function kv(s: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|[,\\s])${key}[=:]\\s*([^,\\s]+)`).exec(s);
  return m ? m[1] : undefined;
}

/** The number in `key:<n>kB`. */
export function kb(s: string, key: string): number | undefined {
  const m = new RegExp(`(?:^|[,\\s])${key}:(\\d+)kB`).exec(s);
  return m ? Number(m[1]) : undefined;
}

/** A decimal integer, or undefined when `s` is absent or not a number. */
export function intOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : undefined;
}
