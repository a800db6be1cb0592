import { fields, num, ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * System-wide file handles, from `cat /proc/sys/fs/file-nr`:
 *
 * ```
 * 3264	0	9223372036854775807
 * ```
 * Yields: `allocated = 3264`, `unused = 0`, `used = 3264`.
 *
 * Three numbers: allocated file handles, allocated but unused ones (always 0 since Linux
 * 2.6), and the maximum (`fs.file-max`; LONG_MAX on recent kernels, which loses precision
 * above 2^53 here). Also read: `sysctl fs.file-nr` (`fs.file-nr = 3264	0	9223372036854775807`),
 * an extra `fs.file-max = N` line or a `==> /proc/sys/fs/file-max <==` section (which then
 * gives `max` when file-nr is absent), and `fs.nr_open` the same way.
 *
 * Source: kernel Documentation/admin-guide/sysctl/fs.rst (file-max & file-nr); proc(5).
 */
export interface FileNrFacts {
  /** File handles allocated now. */
  allocated?: number;
  /** Allocated but free handles (0 on every kernel since 2.6). */
  unused?: number;
  /** `fs.file-max`: the system-wide limit on handles. */
  max?: number;
  /** allocated − unused: handles in use. */
  used?: number;
  /** used / max × 100. */
  used_pct?: number;
  /** `fs.nr_open`: the ceiling of a process's RLIMIT_NOFILE, when given. */
  nr_open?: number;
}

const THREE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/;

/**
 * Parses `/proc/sys/fs/file-nr` (see {@link FileNrFacts}). Throws UnrecognisedOutputError
 * when neither the three numbers nor a file-max value was found.
 */
export function parseFileNr(lines: Iterable<string>): ParseResult<FileNrFacts> {
  const problems = new ProblemLog();
  const facts: FileNrFacts = {};
  let maxFromFileMax: number | undefined;
  let found = false;
  for (const section of sectionsOf(lines)) {
    const base = section.path.replace(/.*\//, "");
    section.lines.forEach((line, i) => {
      const n = section.firstLine + i;
      if (line.trim() === "") return;
      let m = /^\s*fs\.(file-nr|file-max|nr_open)\s*[=:]\s*(.*)$/.exec(line);
      const name = m ? m[1] : base;
      const text = m ? m[2] : line;
      if (name === "file-nr" || name === "") {
        m = THREE.exec(text);
        if (m) {
          facts.allocated = Number(m[1]);
          facts.unused = Number(m[2]);
          facts.max = Number(m[3]);
          found = true;
          return;
        }
      } else if (name === "file-max" || name === "nr_open") {
        const toks = fields(text);
        const v = toks.length === 1 ? num(toks[0]) : undefined;
        if (v !== undefined) {
          if (name === "file-max") maxFromFileMax = v;
          else facts.nr_open = v;
          found = true;
          return;
        }
      }
      problems.add(n, line, "not a file-nr, file-max or nr_open value");
    });
  }
  if (!found)
    throw new UnrecognisedOutputError("file-nr", "no `allocated unused max` line was found");
  if (facts.max === undefined && maxFromFileMax !== undefined) facts.max = maxFromFileMax;
  if (facts.allocated !== undefined) {
    facts.used = facts.allocated - (facts.unused ?? 0);
    if (facts.max) facts.used_pct = round2((facts.used / facts.max) * 100);
  }
  if (facts.nr_open !== undefined) {
    const nrOpen = facts.nr_open;
    delete facts.nr_open;
    facts.nr_open = nrOpen;
  }
  return { facts, problems: problems.list() };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
