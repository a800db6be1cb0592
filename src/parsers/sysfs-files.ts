import { ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";

/**
 * One-value sysfs files printed one after the other, each behind its `==> path <==` marker
 * (the layout of `head`/`tail -n +1 file...`, which the collectors' scripts print):
 *
 * ```
 * ==> /sys/devices/system/edac/mc/mc0/ce_count <==
 * 3
 * ```
 * Yields `{ path, value: "3", line: 2 }` for each file whose path `accept` takes; any other
 * marker, a second value line or a line before the first marker is a problem.
 */
export interface SysfsFile {
  path: string;
  /** The file's one line, trimmed (may be empty: a DIMM without a label). */
  value: string;
  /** 1-based line number of the value; of its marker when the file printed nothing. */
  line: number;
}

export function sysfsFiles(
  lines: Iterable<string>,
  accept: (path: string) => boolean,
  problems: ProblemLog,
): SysfsFile[] {
  const out: SysfsFile[] = [];
  for (const section of sectionsOf(lines)) {
    if (section.path === "" || !accept(section.path)) {
      const text = section.path === "" ? (section.lines[0] ?? "") : `==> ${section.path} <==`;
      problems.add(Math.max(1, section.firstLine - 1), text, "not one of the files read");
      continue;
    }
    const content = section.lines.map((l, i) => ({ l, n: section.firstLine + i }));
    const filled = content.filter((c) => c.l.trim() !== "");
    for (const extra of filled.slice(1))
      problems.add(extra.n, extra.l, "a second line in a one-value file");
    out.push({
      path: section.path,
      value: filled[0]?.l.trim() ?? "",
      line: filled[0]?.n ?? Math.max(1, section.firstLine - 1),
    });
  }
  return out;
}

export { ProblemLog };
