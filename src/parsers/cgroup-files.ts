import { ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { UnrecognisedOutputError } from "./types.js";

/**
 * Helpers shared by the cgroup parsers (`cgroup-cpu`, `cgroup-memory`, `cgroup-pids`): the
 * collectors print each control file under a `==> /sys/fs/cgroup/…/<file> <==` marker, and
 * the parsers fold the files of one directory into one row per cgroup.
 */

/**
 * One control file of the output. `file` is "" for an unmarked paste, and for a hierarchy
 * root marker (`==> /sys/fs/cgroup/pids/ <==`, printed by the walk before a hierarchy), which
 * has `root: true`.
 */
export interface CgroupFile {
  /** The cgroup directory (the marker path without the file name); "" when unmarked. */
  dir: string;
  file: string;
  firstLine: number;
  lines: string[];
  root?: true;
}

/** A hierarchy the walk visited: its mount point and the version its path suggests. */
export interface CgroupHierarchy {
  path: string;
  version: 1 | 2 | null;
}

export function* cgroupFilesOf(lines: Iterable<string>): Generator<CgroupFile> {
  for (const s of sectionsOf(lines)) {
    if (s.path.length > 1 && s.path.endsWith("/")) {
      const dir = s.path.slice(0, -1);
      yield { dir, file: "", firstLine: s.firstLine, lines: s.lines, root: true };
      continue;
    }
    const slash = s.path.lastIndexOf("/");
    const dir = slash > 0 ? s.path.slice(0, slash) : slash === 0 ? "/" : "";
    const file = slash >= 0 ? s.path.slice(slash + 1) : s.path;
    yield { dir, file, firstLine: s.firstLine, lines: s.lines };
  }
}

/** Names under /sys/fs/cgroup/ that are cgroup v1 hierarchies (one or more controllers). */
const V1_MOUNT =
  /^(?:cpu|cpuacct|cpuset|memory|pids|blkio|devices|freezer|net_cls|net_prio|perf_event|hugetlb|rdma|misc|systemd|name=[^/]+)(?:,[^/]+)*$/;

/**
 * The cgroup version a directory path suggests: `/sys/fs/cgroup/<controllers>/…` is v1,
 * `/sys/fs/cgroup/unified/…` and any other `/sys/fs/cgroup/…` is v2; null when the path
 * says nothing (an unmarked paste, a path outside /sys/fs/cgroup).
 */
export function versionOfPath(dir: string): 1 | 2 | null {
  const m = /^\/sys\/fs\/cgroup(?:\/([^/]+))?/.exec(dir);
  if (!m) return null;
  if (m[1] === undefined || m[1] === "unified") return 2;
  return V1_MOUNT.test(m[1]) ? 1 : 2;
}

/**
 * The cgroup's own path, without the mount point: `/sys/fs/cgroup/cpu,cpuacct/docker/x` →
 * `/docker/x`, `/sys/fs/cgroup/system.slice` → `/system.slice`, the root → `/`. null when the
 * directory is not under /sys/fs/cgroup (or unknown).
 */
export function cgroupOf(dir: string): string | null {
  const m = /^\/sys\/fs\/cgroup(?:\/([^/]+))?(\/.*)?$/.exec(dir);
  if (!m) return null;
  if (m[1] === undefined) return "/";
  if (m[1] === "unified" || V1_MOUNT.test(m[1])) return m[2] ?? "/";
  return `/${m[1]}${m[2] ?? ""}`;
}

/** `key value` lines of a flat-keyed file (cpu.stat, memory.events, memory.stat, pids.events). */
export function keyValues(f: CgroupFile, problems: ProblemLog): [string, number, number][] {
  const out: [string, number, number][] = [];
  f.lines.forEach((line, i) => {
    const n = f.firstLine + i;
    if (line.trim() === "") return;
    const m = /^\s*([A-Za-z_][\w.]*)\s+(-?\d+)\s*$/.exec(line);
    if (m) out.push([m[1], Number(m[2]), n]);
    else problems.add(n, line, `not a \`key value\` line of ${f.file || "a cgroup file"}`);
  });
  return out;
}

/**
 * The one value of a single-value file (memory.max, pids.current, cpu.cfs_quota_us, …), or
 * undefined (recorded as a problem) when there is none; extra lines are problems.
 */
export function singleValue(f: CgroupFile, problems: ProblemLog): string | undefined {
  let value: string | undefined;
  f.lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (value === undefined) value = line.trim();
    else problems.add(f.firstLine + i, line, `extra line in ${f.file}`);
  });
  if (value === undefined)
    problems.add(f.firstLine - 1, `==> ${f.dir}/${f.file} <==`, "empty file");
  return value;
}

/**
 * Records a hierarchy root marker (its content lines, which it should not have, are
 * problems).
 */
export function addHierarchy(f: CgroupFile, list: CgroupHierarchy[], problems: ProblemLog): void {
  list.push({ path: f.dir, version: versionOfPath(`${f.dir}/`) });
  f.lines.forEach((line, i) => {
    if (line.trim() !== "") problems.add(f.firstLine + i, line, "text under a hierarchy marker");
  });
}

/** What every cgroup parser's row starts with. */
export interface CgroupRowBase {
  path: string;
  cgroup: string | null;
  version: 1 | 2 | null;
}

/**
 * Reads a cgroup parser's input: root markers are recorded as hierarchies, every other file
 * goes to `readFile` (false when the file is not one of the parser's). Rows start with the
 * directory's path, cgroup and the version its path suggests. Throws
 * UnrecognisedOutputError(`parser`, `notFound`) when no root marker and no file of the
 * parser's was read.
 */
export function readCgroupFiles<R extends CgroupRowBase>(
  lines: Iterable<string>,
  parser: string,
  notFound: string,
  readFile: (f: CgroupFile, rows: RowsByDir<R>, problems: ProblemLog) => boolean,
): { rows: R[]; hierarchies: CgroupHierarchy[]; problems: ProblemLog } {
  const problems = new ProblemLog();
  const rows = new RowsByDir<R>(
    (dir) => ({ path: dir, cgroup: cgroupOf(dir), version: versionOfPath(dir) }) as R,
  );
  const hierarchies: CgroupHierarchy[] = [];
  let found = false;
  for (const f of cgroupFilesOf(lines)) {
    if (f.root) addHierarchy(f, hierarchies, problems);
    if (f.root || readFile(f, rows, problems)) found = true;
  }
  if (!found) throw new UnrecognisedOutputError(parser, notFound);
  return { rows: rows.values(), hierarchies, problems };
}

/** Records a file that `parser` does not read as a problem on its marker line; false. */
export function notReadFile(f: CgroupFile, parser: string, problems: ProblemLog): false {
  problems.add(
    f.firstLine - 1,
    `==> ${f.dir}/${f.file} <==`,
    `not a file the ${parser} parser reads`,
  );
  return false;
}

/** Rows keyed by cgroup directory, in first-seen order. */
export class RowsByDir<R> {
  private readonly map = new Map<string, R>();
  constructor(private readonly make: (dir: string) => R) {}

  get(dir: string): R {
    let row = this.map.get(dir);
    if (!row) {
      row = this.make(dir);
      this.map.set(dir, row);
    }
    return row;
  }

  values(): R[] {
    return [...this.map.values()];
  }
}
