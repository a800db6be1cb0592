import { ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Resource limits of processes, from `/proc/PID/limits`, one section per process:
 *
 * ```
 * ==> /proc/1234/limits <==
 * Limit                     Soft Limit           Hard Limit           Units
 * Max cpu time              unlimited            unlimited            seconds
 * Max open files            1024                 4096                 files
 * Max nice priority         0                    0
 * ```
 * Yields: `processes[0].pid = 1234`, `processes[0].limits.max_open_files.soft = 1024`.
 * Yields: `processes[0].limits.max_open_files.hard = 4096`.
 *
 * Every limit line of the kernel's table is read (`Max cpu time`, `Max file size`, `Max
 * data size`, `Max stack size`, `Max core file size`, `Max resident set`, `Max processes`,
 * `Max open files`, `Max locked memory`, `Max address space`, `Max file locks`, `Max
 * pending signals`, `Max msgqueue size`, `Max nice priority`, `Max realtime priority`,
 * `Max realtime timeout`), keyed by its name in snake_case (`max_open_files`). `unlimited`
 * is null. Units are the kernel's (`seconds`, `bytes`, `files`, `processes`, `locks`,
 * `signals`, `us`; none for the priorities). Without `==> /proc/PID/limits <==` markers
 * (one pasted file) the pid is null; a new `Limit` header starts a new process.
 *
 * Source: kernel fs/proc/base.c (proc_pid_limits); proc_pid_limits(5); getrlimit(2).
 */
export interface ProcLimitsFacts {
  processes: ProcLimits[];
  /**
   * The process with the lowest soft `Max open files` (the first on a tie): what an
   * fd-exhaustion rule compares open fds and `fs.file-max` against.
   */
  lowest_nofile?: { pid: number | null; soft: number | null; hard: number | null };
}

export interface ProcLimits {
  /** From the section path `/proc/PID/limits`; null when unknown. */
  pid: number | null;
  limits: Record<string, Limit>;
}

export interface Limit {
  /** Soft limit; null = unlimited. */
  soft: number | null;
  /** Hard limit; null = unlimited. */
  hard: number | null;
  /** The kernel's unit word, "" when it prints none. */
  units: string;
}

const HEADER = /^\s*Limit\s+Soft Limit\s+Hard Limit\s+Units\s*$/;
const ROW = /^\s*(Max [a-z]+(?: [a-z]+)*?)\s+(\d+|unlimited)\s+(\d+|unlimited)(?:\s+(\S+))?\s*$/;

function value(token: string): number | null {
  return token === "unlimited" ? null : Number(token);
}

/**
 * Parses one or several `/proc/PID/limits` (see {@link ProcLimitsFacts}). Throws
 * UnrecognisedOutputError when no limits header or limit line was found.
 */
export function parseProcLimits(lines: Iterable<string>): ParseResult<ProcLimitsFacts> {
  const problems = new ProblemLog();
  const processes: ProcLimits[] = [];
  let found = false;
  for (const section of sectionsOf(lines)) {
    const m = /^\/proc\/(\d+)\/limits$/.exec(section.path);
    const pid = m ? Number(m[1]) : null;
    if (section.path !== "" && !m) {
      problems.add(section.firstLine - 1, `==> ${section.path} <==`, "not a /proc/PID/limits path");
    }
    let current: ProcLimits | undefined;
    section.lines.forEach((line, i) => {
      const n = section.firstLine + i;
      if (line.trim() === "") return;
      if (HEADER.test(line)) {
        found = true;
        if (!current || Object.keys(current.limits).length > 0) {
          current = { pid, limits: {} };
          processes.push(current);
        }
        return;
      }
      const r = ROW.exec(line);
      if (!r) {
        problems.add(n, line, "not a /proc/PID/limits line");
        return;
      }
      found = true;
      if (!current) {
        current = { pid, limits: {} };
        processes.push(current);
      }
      const key = r[1].trim().toLowerCase().replace(/\s+/g, "_");
      current.limits[key] = { soft: value(r[2]), hard: value(r[3]), units: r[4] ?? "" };
    });
    if (section.path !== "" && !current) processes.push({ pid, limits: {} });
  }
  if (!found)
    throw new UnrecognisedOutputError("proc-limits", "no /proc/PID/limits table was found");

  const facts: ProcLimitsFacts = { processes };
  for (const p of processes) {
    const l = p.limits.max_open_files;
    if (!l) continue;
    const best = facts.lowest_nofile;
    if (!best || (l.soft !== null && (best.soft === null || l.soft < best.soft))) {
      facts.lowest_nofile = { pid: p.pid, soft: l.soft, hard: l.hard };
    }
  }
  return { facts, problems: problems.list() };
}
