import { nthFieldStart, ProblemLog } from "./lines.js";
import { columnKey, reportLines, rowStamp, type SysstatBanner, sysstatNumber } from "./sysstat.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One process (or thread, with `-t`) in one interval, with every column of every pidstat
 * report printed for it in that interval (`-u`, `-d`, `-r`, `-w`, `-s`, `-v`, `-R` tables of
 * the same interval are merged on the stamp and the PID/TID).
 *
 * Units: `_pct` percent (a multi-threaded process may exceed 100 % of one CPU), `_per_s`
 * per second, `vsz_kb`/`rss_kb`/`stksize_kb`/`stkref_kb` in kB, `kb_rd_per_s`… in kB/s
 * (-1 when the kernel does not let pidstat read the process's I/O counters), `iodelay_ticks`
 * in clock ticks, `usr_ms`… (`-T CHILD`) in ms.
 */
export interface PidstatRow {
  /** `HH:MM:SS` (24 h), or the epoch with `-H`/`-h`; absent on `Average:` rows. */
  time?: string;
  uid?: number;
  /** `-U`: the user name instead of the UID. */
  user?: string;
  pid?: number;
  tgid?: number;
  tid?: number;
  /** A thread row (`|__name` with `-t`). */
  thread?: true;
  /** Command name, or the full command line with `-l` (spaces kept). */
  command: string;
  cpu?: number;
  usr_pct?: number;
  system_pct?: number;
  guest_pct?: number;
  wait_pct?: number;
  cpu_pct?: number;
  minflt_per_s?: number;
  majflt_per_s?: number;
  vsz_kb?: number;
  rss_kb?: number;
  mem_pct?: number;
  stksize_kb?: number;
  stkref_kb?: number;
  kb_rd_per_s?: number;
  kb_wr_per_s?: number;
  kb_ccwr_per_s?: number;
  iodelay_ticks?: number;
  cswch_per_s?: number;
  nvcswch_per_s?: number;
  threads?: number;
  fd_nr?: number;
  prio?: number;
  policy?: string;
  [other: string]: number | string | boolean | undefined;
}

/**
 * Facts from `pidstat` (sysstat 9 to 12+).
 *
 * Command (collector): `pidstat -u -d -w -r -h 1 N`. Sample (`-h`, one line per process):
 * ```
 * Linux 3.10.0-1062.1.2.el7.x86_64 (localhost) 	03/09/2022 	_x86_64_	(1 CPU)
 *
 * #      Time   UID       PID    %usr %system  %guest    %CPU   CPU  minflt/s ... Command
 *  1646857494     0         2    0.00    0.00    0.00    0.00     0      0.00 ... kthreadd
 * ```
 * Yields: `banner.kernel_release = "3.10.0-1062.1.2.el7.x86_64"`, `banner.cpus = 1`.
 * Variants read: separate tables per report (no `-h`), `-h` (one line), `-H`/`-h` epoch
 * stamps (`# Time` headers), `-l` (command lines with spaces), `-t` (TGID/TID, `|__` thread
 * rows), `-U` (user names), `-R`, `-s`, `-v`, `-T CHILD|ALL`, `--dec`, 12-hour stamps,
 * `Average:` blocks (CPU printed as `-`), empty tables. Source: pidstat(1), sysstat
 * tests/expected.pidstat-*.
 */
export interface PidstatFacts {
  banner?: SysstatBanner;
  /** Number of distinct interval stamps. */
  intervals: number;
  rows: PidstatRow[];
  average: PidstatRow[];
}

const KEYS: Record<string, string> = {
  UID: "uid",
  USER: "user",
  PID: "pid",
  TGID: "tgid",
  TID: "tid",
  CPU: "cpu",
  "%CPU": "cpu_pct",
  "%MEM": "mem_pct",
  VSZ: "vsz_kb",
  RSS: "rss_kb",
  StkSize: "stksize_kb",
  StkRef: "stkref_kb",
  iodelay: "iodelay_ticks",
  "fd-nr": "fd_nr",
  Command: "command",
};
const TEXT = new Set(["user", "policy"]);

interface Table {
  /** Column keys, without the stamp; the last is `command`. */
  keys: string[];
}

function headerOf(tokens: string[]): Table | undefined {
  let rest = tokens;
  if (rest[0] === "#") rest = rest.slice(1);
  else if (rest[0]?.startsWith("#")) rest = [rest[0].slice(1), ...rest.slice(1)];
  const stamp = rowStamp(rest);
  if (stamp) rest = rest.slice(stamp.used);
  else if (rest[0] === "Time") rest = rest.slice(1);
  else return undefined;
  if (rest[rest.length - 1] !== "Command") return undefined;
  if (!rest.some((c) => c === "PID" || c === "TGID" || c === "TID")) return undefined;
  return { keys: rest.map((c) => KEYS[c] ?? columnKey(c)) };
}

/**
 * Parses pidstat output (see {@link PidstatFacts}). Throws UnrecognisedOutputError when no
 * banner and no pidstat table header was found.
 */
export function parsePidstat(lines: Iterable<string>): ParseResult<PidstatFacts> {
  const problems = new ProblemLog();
  const head: { banner?: SysstatBanner } = {};
  let found = false;
  let table: Table | undefined;
  const rows: PidstatRow[] = [];
  const average: PidstatRow[] = [];
  const index = new Map<string, PidstatRow>();
  const stamps = new Set<string>();

  for (const line of reportLines(lines, head)) {
    if (!line) {
      table = undefined;
      continue;
    }
    const { n, raw, tokens } = line;
    const header = headerOf(tokens);
    if (header) {
      table = header;
      found = true;
      continue;
    }
    const stamp = rowStamp(tokens);
    if (!stamp || stamp.kind === "summary") {
      problems.add(n, raw, "not a pidstat line");
      continue;
    }
    if (!table) {
      problems.add(n, raw, "pidstat row outside a table");
      continue;
    }
    const values = tokens.slice(stamp.used);
    const fixed = table.keys.length - 1;
    if (values.length <= fixed) {
      problems.add(n, raw, "pidstat row with fewer fields than its header");
      continue;
    }
    // The command is the rest of the line after the fixed columns (it may hold spaces with -l).
    const cmdStart = nthFieldStart(raw, stamp.used + fixed);
    const row: PidstatRow = { command: raw.slice(cmdStart).trim() };
    if (stamp.time !== undefined) row.time = stamp.time;
    let bad = false;
    for (let i = 0; i < fixed; i++) {
      const key = table.keys[i];
      const token = values[i];
      if (token === "-") continue;
      if (TEXT.has(key)) {
        row[key] = token;
        continue;
      }
      const v = sysstatNumber(token);
      if (v === undefined) {
        bad = true;
        break;
      }
      row[key] = v;
    }
    if (bad) {
      problems.add(n, raw, "pidstat row with a value that is not a number");
      continue;
    }
    if (row.command.startsWith("|__")) {
      row.command = row.command.slice(3);
      row.thread = true;
    }
    const isAverage = stamp.kind === "average";
    if (!isAverage && stamp.time !== undefined) stamps.add(stamp.time);
    const key = [
      isAverage ? "avg" : stamp.time,
      row.uid ?? row.user,
      row.pid,
      row.tgid,
      row.tid,
      row.thread ? "t" : "p",
    ].join("|");
    const existing = index.get(key);
    if (existing) {
      // Same process, same interval, another table: merge its columns (-l prints the full
      // command line in one table and the name in another: keep the longer).
      for (const [k, v] of Object.entries(row)) {
        if (k === "command") {
          if (String(v).length > existing.command.length) existing.command = String(v);
        } else existing[k] = v;
      }
    } else {
      index.set(key, row);
      (isAverage ? average : rows).push(row);
    }
    found = true;
  }
  const { banner } = head;
  if (!found && !banner) throw new UnrecognisedOutputError("pidstat");
  const facts: PidstatFacts = { intervals: stamps.size, rows, average };
  return { facts: banner ? { banner, ...facts } : facts, problems: problems.list() };
}
