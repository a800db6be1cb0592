import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One `exec()` seen by execsnoop. `ret` is the exec's return value (0, or a negative errno
 * such as -2 for ENOENT, shown with `-x`).
 */
export interface ExecsnoopRow {
  /** `-T`: wall-clock time `HH:MM:SS`. */
  time?: string;
  /** `-t`: seconds since the trace started. */
  time_s?: number;
  /** `-U`: user id. */
  uid?: number;
  /** Command name of the process that called exec (the new image's name on success). */
  comm: string;
  pid: number;
  /** Parent PID; null when the tool printed `?` (parent unknown). Absent on old versions. */
  ppid?: number | null;
  ret: number;
  /** The argument line as printed (bcc truncates it, by default after 20 arguments). */
  args: string;
}

/**
 * Short-lived processes from bcc's `execsnoop` (Debian: `execsnoop-bpfcc`; libbpf-tools:
 * `execsnoop`): one row per `execve()`.
 *
 * ```
 * # execsnoop-bpfcc -t -x
 * TIME(s) PCOMM            PID    PPID   RET ARGS
 * 0.375   node             17359  17329    0 /usr/bin/node server.js
 * 1.401   sh               18370  18192   -2 /nonexistent-cmd
 * ```
 * Yields: `count = 2`, `failed = 1`, `execs[1].args = "/nonexistent-cmd"`.
 *
 * Variants (mapped by header name): old bcc `COMM PID RET ARGS` (no PPID), `PCOMM PID PPID
 * RET ARGS`, `-T` (`TIME` HH:MM:SS), `-t` (`TIME(s)`), `-U` (`UID`), several tables in one
 * paste; a `Possibly lost N samples` line counts lost events. Source: bcc tools/execsnoop.py
 * and tools/execsnoop_example.txt; libbpf-tools/execsnoop.c.
 *
 * Facts: every row, the total, failed execs (`ret` ≠ 0), the most frequent commands and
 * parents (top 10, by count), and `span_s` (first to last `-t` time stamp).
 */
export interface BccExecsnoopFacts {
  execs: ExecsnoopRow[];
  count: number;
  failed: number;
  distinct_comms: number;
  top_comms: { comm: string; count: number }[];
  top_parents: { ppid: number; count: number }[];
  /** Seconds from the first to the last `-t` time stamp; absent without `-t`. */
  span_s?: number;
  /** Sum of `Possibly lost N samples` lines. */
  lost_samples: number;
}

type Column = "time" | "time_s" | "uid" | "comm" | "pid" | "ppid" | "ret" | "args";

const COLUMN_NAMES: Record<string, Column> = {
  TIME: "time",
  "TIME(s)": "time_s",
  UID: "uid",
  PCOMM: "comm",
  COMM: "comm",
  PID: "pid",
  PPID: "ppid",
  RET: "ret",
  ARGS: "args",
};

const INT = /^-?\d+$/;
const LOST = /^\s*Possibly lost (\d+) samples?\s*$/;

/** The columns of a header line, or null when the line is not an execsnoop header. */
function headerColumns(line: string): Column[] | null {
  const names = fields(line);
  if (!names.includes("PID") || !names.includes("ARGS")) return null;
  if (!names.includes("COMM") && !names.includes("PCOMM")) return null;
  const cols: Column[] = [];
  for (const name of names) {
    const c = COLUMN_NAMES[name];
    if (!c) return null;
    cols.push(c);
  }
  return cols[cols.length - 1] === "args" ? cols : null;
}

/**
 * Reads one row against the header's columns. The command name may hold spaces, so it is
 * found by the integer columns that follow it (PID, PPID or `?`, RET).
 */
function readRow(line: string, cols: Column[]): ExecsnoopRow | null {
  const tokens = fields(line);
  const commAt = cols.indexOf("comm");
  const before = cols.slice(0, commAt);
  const after = cols.slice(commAt + 1, cols.length - 1); // numeric columns between COMM and ARGS
  if (tokens.length < before.length + 1 + after.length) return null;
  const row: Partial<ExecsnoopRow> = {};
  for (let i = 0; i < before.length; i++) {
    const t = tokens[i];
    switch (before[i]) {
      case "time":
        if (!/^\d{1,2}:\d{2}:\d{2}$/.test(t)) return null;
        row.time = t;
        break;
      case "time_s":
        if (!/^\d+(\.\d+)?$/.test(t)) return null;
        row.time_s = Number(t);
        break;
      case "uid":
        if (!/^\d+$/.test(t)) return null;
        row.uid = Number(t);
        break;
      default:
        return null;
    }
  }
  // The command name takes 1..k tokens: the first split where the numeric columns fit.
  for (let k = 1; before.length + k + after.length <= tokens.length && k <= 4; k++) {
    const start = before.length + k;
    let ok = true;
    for (let j = 0; j < after.length && ok; j++) {
      const t = tokens[start + j];
      ok = INT.test(t) || (after[j] === "ppid" && t === "?");
    }
    if (!ok) continue;
    row.comm = tokens.slice(before.length, start).join(" ");
    for (let j = 0; j < after.length; j++) {
      const t = tokens[start + j];
      if (after[j] === "pid") row.pid = Number(t);
      else if (after[j] === "ppid") row.ppid = t === "?" ? null : Number(t);
      else if (after[j] === "ret") row.ret = Number(t);
      else return null;
    }
    if (row.pid === undefined || row.ret === undefined) return null;
    row.args = argsText(line, start + after.length);
    return row as ExecsnoopRow;
  }
  return null;
}

/** The text from the `index`-th whitespace-separated token to the end, trailing blanks cut. */
function argsText(line: string, index: number): string {
  const re = /\S+/g;
  let m: RegExpExecArray | null = re.exec(line);
  for (let i = 0; i < index && m; i++) m = re.exec(line);
  return m ? line.slice(m.index).trimEnd() : "";
}

/**
 * Parses execsnoop output (any of its column sets; several tables in one paste).
 * @throws UnrecognisedOutputError when no header and no row was found.
 */
export function parseBccExecsnoop(lines: Iterable<string>): ParseResult<BccExecsnoopFacts> {
  const problems = new ProblemLog();
  const execs: ExecsnoopRow[] = [];
  let cols: Column[] | null = null;
  let found = false;
  let lost = 0;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const header = headerColumns(line);
    if (header) {
      cols = header;
      found = true;
      continue;
    }
    const m = LOST.exec(line);
    if (m) {
      lost += Number(m[1]);
      continue;
    }
    if (!cols) {
      problems.add(n, line, "not an execsnoop line (no header seen yet)");
      continue;
    }
    const row = readRow(line, cols);
    if (row) {
      execs.push(row);
      found = true;
    } else {
      problems.add(n, line, "not an execsnoop row for the columns of the header above");
    }
  }
  if (!found) throw new UnrecognisedOutputError("bcc-execsnoop");
  return { facts: summarise(execs, lost), problems: problems.list() };
}

function summarise(execs: ExecsnoopRow[], lost: number): BccExecsnoopFacts {
  const comms = new Map<string, number>();
  const parents = new Map<number, number>();
  let failed = 0;
  let first: number | undefined;
  let last: number | undefined;
  for (const e of execs) {
    comms.set(e.comm, (comms.get(e.comm) ?? 0) + 1);
    if (typeof e.ppid === "number") parents.set(e.ppid, (parents.get(e.ppid) ?? 0) + 1);
    if (e.ret !== 0) failed++;
    if (e.time_s !== undefined) {
      first ??= e.time_s;
      last = e.time_s;
    }
  }
  const top = <K>(m: Map<K, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]))).slice(0, 10);
  const facts: BccExecsnoopFacts = {
    execs,
    count: execs.length,
    failed,
    distinct_comms: comms.size,
    top_comms: top(comms).map(([comm, count]) => ({ comm, count })),
    top_parents: top(parents).map(([ppid, count]) => ({ ppid, count })),
    lost_samples: lost,
  };
  if (first !== undefined && last !== undefined) facts.span_s = round3(last - first);
  return facts;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
