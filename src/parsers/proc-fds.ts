import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One process: its open file descriptors against its `Max open files` limit. */
export interface ProcFdsRow {
  pid: number;
  /** `/proc/PID/comm` (may hold spaces); "" when unreadable. */
  comm: string;
  /** Entries of `/proc/PID/fd`; null when the directory was not readable (another user's process). */
  nfds: number | null;
  /** Soft RLIMIT_NOFILE; null = unlimited or unknown (`-`). */
  soft_limit: number | null;
  /** Hard RLIMIT_NOFILE; null = unlimited or unknown. */
  hard_limit: number | null;
  /** nfds / soft_limit × 100, when both are known. */
  soft_used_pct?: number;
}

/**
 * Facts of `proc-fds`: the processes with the most open file descriptors, each with its
 * `Max open files` limits, as printed by the collector's fixed script:
 *
 * ```
 * PID NFDS SOFT HARD COMM
 * 812 1021 1024 4096 router
 * 1 97 1073741816 1073741816 systemd
 * SUMMARY processes=212 readable=212 unreadable=0
 * ```
 * Yields: `rows[0].comm = "router"`, `rows[0].nfds = 1021`, `rows[0].soft_used_pct = 99.71`.
 * Yields: `worst.pid = 812`.
 *
 * The script counts `/proc/PID/fd` entries and reads the `Max open files` line of
 * `/proc/PID/limits` and `/proc/PID/comm` for every process, sorts by NFDS, and keeps the
 * top 50 plus the `--pid` targets. A reader that is not root sees only its own processes'
 * fd directories: the others are counted in `unreadable` (their NFDS is `-`). Columns are
 * mapped by the header (COMM, which may hold spaces, takes the extra words); lines without
 * a header are read in the order `pid nfds soft hard comm`.
 *
 * Source: proc(5) (`/proc/PID/fd`, `/proc/PID/limits`, `/proc/PID/comm`); getrlimit(2).
 */
export interface ProcFdsFacts {
  rows: ProcFdsRow[];
  /** The readable row with the highest nfds / soft_limit ratio. */
  worst?: ProcFdsRow;
  /** Processes seen by the script (from its SUMMARY line). */
  processes?: number;
  /** Processes whose fd directory it could read. */
  readable?: number;
  /** Processes whose fd directory it could not read (not root). */
  unreadable?: number;
}

type Col = "pid" | "nfds" | "soft" | "hard" | "comm";
const DEFAULT_COLS: Col[] = ["pid", "nfds", "soft", "hard", "comm"];
const HEADER_NAMES: Record<string, Col> = {
  pid: "pid",
  nfds: "nfds",
  fds: "nfds",
  soft: "soft",
  hard: "hard",
  comm: "comm",
  command: "comm",
};

function limit(token: string): number | null | undefined {
  if (token === "unlimited" || token === "-") return null;
  return /^\d+$/.test(token) ? Number(token) : undefined;
}

/**
 * Parses the proc-fds script's output (see {@link ProcFdsFacts}). Throws
 * UnrecognisedOutputError when neither its header nor a process line was found.
 */
export function parseProcFds(lines: Iterable<string>): ParseResult<ProcFdsFacts> {
  const problems = new ProblemLog();
  const byPid = new Map<number, ProcFdsRow>();
  const facts: ProcFdsFacts = { rows: [] };
  let cols: Col[] | undefined;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const words = fields(line);
    const header = words.map((w) => HEADER_NAMES[w.toLowerCase()]);
    if (header.every((c) => c !== undefined) && header.includes("pid") && header.includes("nfds")) {
      cols = header as Col[];
      found = true;
      continue;
    }
    const sm = /^SUMMARY\s+processes=(\d+)\s+readable=(\d+)\s+unreadable=(\d+)\s*$/.exec(line);
    if (sm) {
      facts.processes = Number(sm[1]);
      facts.readable = Number(sm[2]);
      facts.unreadable = Number(sm[3]);
      found = true;
      continue;
    }
    const row = rowOf(line, cols ?? DEFAULT_COLS);
    if (!row) {
      problems.add(n, line, "not a `pid nfds soft hard comm` line");
      continue;
    }
    found = true;
    if (!byPid.has(row.pid)) byPid.set(row.pid, row);
  }
  if (!found)
    throw new UnrecognisedOutputError("proc-fds", "no `PID NFDS SOFT HARD COMM` output was found");
  facts.rows = [...byPid.values()];
  let worstRatio = -1;
  for (const row of facts.rows) {
    if (row.nfds === null || !row.soft_limit) continue;
    const ratio = row.nfds / row.soft_limit;
    row.soft_used_pct = Math.round(ratio * 10000) / 100;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      facts.worst = row;
    }
  }
  const { rows, worst, ...counts } = facts;
  return { facts: { rows, ...(worst ? { worst } : {}), ...counts }, problems: problems.list() };
}

/** A process line under the given columns; COMM takes the extra words. */
function rowOf(line: string, cols: Col[]): ProcFdsRow | undefined {
  const words = fields(line);
  if (words.length < cols.length - 1) return undefined;
  const commAt = cols.indexOf("comm");
  const extra = words.length - cols.length;
  const values: Partial<Record<Col, string>> = {};
  let w = 0;
  for (let c = 0; c < cols.length; c++) {
    if (c === commAt) {
      const take = Math.max(0, 1 + extra);
      values.comm = words.slice(w, w + take).join(" ");
      w += take;
    } else {
      values[cols[c]] = words[w++];
    }
  }
  if (commAt === cols.length - 1 && extra > 0) {
    // keep the comm's own spacing: everything after the last number column
    const re = new RegExp(`^\\s*(?:\\S+\\s+){${cols.length - 1}}`);
    values.comm = line.replace(re, "").trimEnd();
  }
  if (!values.pid || !/^\d+$/.test(values.pid)) return undefined;
  const nfds =
    values.nfds === "-"
      ? null
      : values.nfds && /^\d+$/.test(values.nfds)
        ? Number(values.nfds)
        : undefined;
  const soft = values.soft === undefined ? null : limit(values.soft);
  const hard = values.hard === undefined ? null : limit(values.hard);
  if (nfds === undefined || soft === undefined || hard === undefined) return undefined;
  return {
    pid: Number(values.pid),
    comm: values.comm ?? "",
    nfds,
    soft_limit: soft,
    hard_limit: hard,
  };
}
