/**
 * Splits output that holds several files, each introduced by a `==> path <==` line (the
 * format of `tail -n +1 file...` and `head`), into sections. Lines before the first marker
 * belong to a section with path "" (a single pasted file without markers).
 */
export interface Section {
  path: string;
  /** 1-based line number of the first content line in the whole output. */
  firstLine: number;
  lines: string[];
}

const MARKER = /^==> (.*) <==$/;

export function* sectionsOf(lines: Iterable<string>): Generator<Section> {
  let current: Section = { path: "", firstLine: 1, lines: [] };
  let n = 0;
  for (const line of lines) {
    n++;
    const m = MARKER.exec(line);
    if (m) {
      if (current.path !== "" || current.lines.some((l) => l.trim() !== "")) yield current;
      current = { path: m[1], firstLine: n + 1, lines: [] };
    } else {
      current.lines.push(line);
    }
  }
  if (current.path !== "" || current.lines.some((l) => l.trim() !== "")) yield current;
}
