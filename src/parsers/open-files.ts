import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One row of an `lsof` table, by header name. Absent columns (and empty cells, such as
 * TID on a process row) are undefined.
 */
export interface LsofRow {
  command: string;
  pid: number;
  tid?: number;
  taskcmd?: string;
  user?: string;
  fd: string;
  type?: string;
  device?: string;
  /** SIZE/OFF: a size in bytes, or an offset when it starts with `0t` / `0x` (kept as text). */
  size_off?: string;
  nlink?: number;
  node?: string;
  name: string;
}

interface HeaderCol {
  key: keyof LsofRow;
  start: number;
  end: number;
}

const HEADER_KEYS: Record<string, keyof LsofRow> = {
  COMMAND: "command",
  PID: "pid",
  TID: "tid",
  TASKCMD: "taskcmd",
  USER: "user",
  FD: "fd",
  TYPE: "type",
  DEVICE: "device",
  "SIZE/OFF": "size_off",
  SIZE: "size_off",
  OFF: "size_off",
  NLINK: "nlink",
  NODE: "node",
  NAME: "name",
};

/**
 * Reads the rows of `lsof` tables (any column set: `TID TASKCMD` of lsof ≥ 4.90, `NLINK` of
 * `+L`, `SIZE` or `OFF` of `-s`/`-o`). lsof aligns its columns over the whole table and
 * leaves cells empty (TID on a process row, SIZE/OFF of a `DEL` mapping), so cells are
 * assigned to the header column they overlap most; NAME is everything from its column on.
 * Pasted tables whose spacing was lost fall back to word order when every cell is filled.
 */
export class LsofTable {
  private cols: HeaderCol[] | undefined;

  /** True when `line` is an lsof header (it is then used for the following rows). */
  header(line: string): boolean {
    if (!/^\s*COMMAND\s+PID\b/.test(line) || !/\bNAME\s*$/.test(line)) return false;
    const cols: HeaderCol[] = [];
    for (const m of line.matchAll(/\S+/g)) {
      const key = HEADER_KEYS[m[0]];
      if (!key) return false;
      cols.push({ key, start: m.index, end: m.index + m[0].length });
    }
    this.cols = cols;
    return true;
  }

  get seenHeader(): boolean {
    return this.cols !== undefined;
  }

  /** The row of a data line, or undefined when it does not fit the header. */
  row(line: string): LsofRow | undefined {
    const cols = this.cols;
    if (!cols) return undefined;
    const nameCol = cols[cols.length - 1];
    const words = [...line.matchAll(/\S+/g)].map((m) => ({
      text: m[0],
      start: m.index,
      end: m.index + m[0].length,
    }));
    const cells: Partial<Record<keyof LsofRow, string>> = {};
    let ok = true;
    // By position.
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w.start >= nameCol.start) {
        cells.name = line.slice(w.start).trimEnd();
        break;
      }
      let best: HeaderCol | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (const c of cols) {
        if (c === nameCol) continue;
        const overlap = Math.min(w.end, c.end) - Math.max(w.start, c.start);
        const score =
          overlap > 0 ? overlap : -Math.min(Math.abs(w.start - c.end), Math.abs(c.start - w.end));
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      if (!best || cells[best.key] !== undefined) {
        ok = false;
        break;
      }
      cells[best.key] = w.text;
    }
    let row = ok ? toRow(cells) : undefined;
    // By word order, when every column is filled.
    if (!row && words.length >= cols.length) {
      const byOrder: Partial<Record<keyof LsofRow, string>> = {};
      cols.forEach((c, i) => {
        byOrder[c.key] = c === nameCol ? line.slice(words[i].start).trimEnd() : words[i].text;
      });
      row = toRow(byOrder);
    }
    return row;
  }
}

function toRow(cells: Partial<Record<keyof LsofRow, string>>): LsofRow | undefined {
  if (
    !cells.command ||
    !cells.pid ||
    !/^\d+$/.test(cells.pid) ||
    !cells.fd ||
    cells.name === undefined
  ) {
    return undefined;
  }
  if (cells.tid !== undefined && !/^\d+$/.test(cells.tid)) return undefined;
  const row: LsofRow = {
    command: cells.command,
    pid: Number(cells.pid),
    fd: cells.fd,
    name: cells.name,
  };
  if (cells.tid !== undefined) row.tid = Number(cells.tid);
  if (cells.taskcmd !== undefined) row.taskcmd = cells.taskcmd;
  if (cells.user !== undefined) row.user = cells.user;
  if (cells.type !== undefined) row.type = cells.type;
  if (cells.device !== undefined) row.device = cells.device;
  if (cells.size_off !== undefined) row.size_off = cells.size_off;
  if (cells.nlink !== undefined && /^\d+$/.test(cells.nlink)) row.nlink = Number(cells.nlink);
  if (cells.node !== undefined) row.node = cells.node;
  // Re-order keys as lsof prints them.
  return row;
}

/** True for an FD cell that is a file descriptor (`3u`, `12r`, `0w`, `4uW`), not `cwd`/`txt`/`mem`/`DEL`. */
export function isNumericFd(fd: string): boolean {
  return /^\d+[rwu ]?[A-Za-z]?$/.test(fd);
}

/** One process's entries in `lsof -n`. */
export interface OpenFilesProcess {
  pid: number;
  command: string;
  user?: string;
  /** Open file descriptors (rows with a numeric FD). */
  nfds: number;
  /** Other entries: cwd, rtd, txt, mem (mapped files), DEL, … */
  other: number;
}

/**
 * Facts of `open-files` (`lsof -b -n -w`, or any pasted `lsof` table): open file
 * descriptors per process.
 *
 * ```
 * COMMAND     PID   TID TASKCMD   USER   FD   TYPE DEVICE SIZE/OFF    NODE NAME
 * nginx      1201                 root    6u  IPv4  31337      0t0     TCP *:80 (LISTEN)
 * nginx      1201  1203 nginx     root    6u  IPv4  31337      0t0     TCP *:80 (LISTEN)
 * ```
 * Yields: `processes[0].command = "nginx"`, `processes[0].nfds = 1`, `total_fds = 1`.
 *
 * Rows of threads (TID filled, lsof ≥ 4.90) repeat their process's descriptors (threads
 * share the fd table) and are not counted; `thread_rows` says how many were skipped. lsof
 * warnings (`lsof: WARNING: can't stat() …`), prompts and other lines are problems.
 * A capped (truncated) output gives partial counts.
 *
 * Source: lsof(8) OUTPUT section (FD column: number + mode; cwd, rtd, txt, mem, DEL …).
 */
export interface OpenFilesFacts {
  /** Every process, most descriptors first. */
  processes: OpenFilesProcess[];
  /** The process with the most descriptors. */
  worst?: OpenFilesProcess;
  /** Descriptors over all processes. */
  total_fds: number;
  thread_rows: number;
}

/**
 * Parses `lsof` output into per-process descriptor counts (see {@link OpenFilesFacts}).
 * Throws UnrecognisedOutputError when no lsof header was found.
 */
export function parseOpenFiles(lines: Iterable<string>): ParseResult<OpenFilesFacts> {
  const problems = new ProblemLog();
  const table = new LsofTable();
  const procs = new Map<number, OpenFilesProcess>();
  let threadRows = 0;
  let total = 0;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    if (table.header(line)) continue;
    if (!table.seenHeader) {
      problems.add(n, line, "not an lsof line (before any lsof header)");
      continue;
    }
    const row = /^\s*lsof: /.test(line) ? undefined : table.row(line);
    if (!row) {
      problems.add(
        n,
        line,
        /^\s*lsof: |^\s+Output information/.test(line) ? "lsof warning" : "not an lsof row",
      );
      continue;
    }
    if (row.tid !== undefined) {
      threadRows++;
      continue;
    }
    let p = procs.get(row.pid);
    if (!p) {
      p = { pid: row.pid, command: row.command, nfds: 0, other: 0 };
      if (row.user !== undefined)
        p = { pid: row.pid, command: row.command, user: row.user, nfds: 0, other: 0 };
      procs.set(row.pid, p);
    }
    if (isNumericFd(row.fd)) {
      p.nfds++;
      total++;
    } else p.other++;
  }
  if (!table.seenHeader)
    throw new UnrecognisedOutputError(
      "open-files",
      "no lsof header (COMMAND PID … NAME) was found",
    );
  const processes = [...procs.values()].sort((a, b) => b.nfds - a.nfds || a.pid - b.pid);
  const facts: OpenFilesFacts = { processes, total_fds: total, thread_rows: threadRows };
  if (processes.length > 0) facts.worst = processes[0];
  return { facts, problems: problems.list() };
}
