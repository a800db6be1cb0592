import { fields, num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One system call's line of the table, read from `strace -c` or added up from a trace. */
export interface StraceSyscall {
  syscall: string;
  calls: number;
  errors: number;
  /** Time spent in the call (`seconds`; from `-T` in a trace); null when unknown. */
  seconds: number | null;
  usecs_per_call: number | null;
  /** Share of the total time (`% time`); null when unknown. */
  time_pct: number | null;
  /** Share of all calls, computed. */
  call_pct: number;
  /** `-U shortest,longest` (strace ≥ 5.18): fastest and slowest call, in seconds. */
  shortest_s?: number;
  longest_s?: number;
  /** Trace only: failed calls per errno name. */
  errnos?: Record<string, number>;
  /** Trace only: the errno this call failed with most often. */
  top_errno?: string;
}

/**
 * System calls of the traced processes, from either form of strace output (strace(1)):
 *
 * - the `-c` summary (stderr when strace is stopped with SIGINT):
 *   ```
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    21.52    0.067672         966        70        35 wait4
 *    12.73    0.040025           3     10586           close
 *   ------ ----------- ----------- --------- --------- ----------------
 *   100.00    0.314404           4     67134     11022 total
 *   ```
 *   Yields: `source = "summary"`, `total.calls = 67134`, `dominant.syscall = "wait4"`.
 *   with a blank `errors` cell when zero (and no `errors` column in some old builds), `-w`
 *   (wall-clock time instead of system CPU time; the layout is the same), `-S` (other order),
 *   `-U` (strace ≥ 5.18: other columns in any order, e.g. `shortest`, `longest`), and a
 *   `System call usage summary for 32 bit mode:` table per personality (rows are added up);
 * - a plain trace (`strace -f`, `-o FILE`): `[pid 123] ` or `123 ` prefixes, `-t`/`-tt`/`-ttt`
 *   and `-r` stamps, `-T` durations `<0.000123>`, `<unfinished ...>` / `<... name resumed>`
 *   pairs, `--- SIGCHLD {...} ---`, `+++ exited with 0 +++`, `strace: Process N attached`.
 *
 * Facts: the table (`source: "summary"` when a `-c` table was read, otherwise added up from
 * the trace: a call counts once, at its start line; errors and `-T` time are taken from the
 * line with the result), the `total`, per-errno counts (trace), the calls that failed per
 * errno, signals seen, and `dominant`: the call with the highest time share, or the highest
 * call share when no time was recorded.
 */
export interface StraceFacts {
  source: "summary" | "trace";
  syscalls: StraceSyscall[];
  total: { calls: number; errors: number; seconds: number | null; usecs_per_call: number | null };
  dominant: {
    syscall: string;
    by: "time" | "calls";
    /** The dominant call's share by that measure, percent. */
    share_pct: number;
    time_pct: number | null;
    call_pct: number;
  } | null;
  /** Trace: failed calls per errno (`EADDRNOTAVAIL: 1234`). Empty for a summary. */
  errno_counts: Record<string, number>;
  /** Trace: signals delivered (`--- SIGCHLD ... ---`), per signal. */
  signals: Record<string, number>;
  /** Trace: distinct PIDs seen in line prefixes (0 without `-f`). */
  processes: number;
  /** Trace: `+++ exited with N +++` and `+++ killed by SIG +++` lines. */
  exits: number;
  killed: Record<string, number>;
  /** Trace: seconds from the first to the last time stamp (`-t`/`-tt`/`-ttt`/`-r`). */
  span_s?: number;
  /** Trace: true when durations (`-T`) were present. */
  timed?: boolean;
  /** `strace: Process N attached` lines. */
  attached: number;
  /**
   * Trace: `bind()` to port 0 that failed with EADDRINUSE. bind(2): "the port number was
   * specified as zero ... all port numbers in the ephemeral port range are currently in use".
   */
  bind_port0_eaddrinuse?: number;
}

/** strace's column names (and `-U` names) to fact keys. */
const COLUMN_KEYS: Record<string, keyof Row> = {
  "%time": "time_pct",
  "time-percent": "time_pct",
  seconds: "seconds",
  "total-time": "seconds",
  "usecs/call": "usecs_per_call",
  "avg-time": "usecs_per_call",
  calls: "calls",
  errors: "errors",
  syscall: "syscall",
  name: "syscall",
  shortest: "shortest_s",
  "min-time": "shortest_s",
  longest: "longest_s",
  "max-time": "longest_s",
};

/** A table line as read or added up, before the computed and trace-only fields. */
type Row = Omit<StraceSyscall, "call_pct" | "errnos" | "top_errno">;

/** Columns of a `-c` header line, or null when the line is not one. */
function summaryHeader(line: string): (keyof Row | null)[] | null {
  if (!/\bcalls\b/.test(line) || !/\bsyscall\b/.test(line)) return null;
  const names = fields(line.replace(/%\s+time/, "%time"));
  const cols = names.map((name) => COLUMN_KEYS[name] ?? null);
  return cols.includes("calls") && cols.includes("syscall") ? cols : null;
}

function readSummaryRow(line: string, cols: (keyof Row | null)[]): Row | null {
  const tokens = fields(line);
  let map = cols;
  if (tokens.length === cols.length - 1 && cols.includes("errors")) {
    map = cols.filter((c) => c !== "errors"); // blank `errors` cell
  } else if (tokens.length !== cols.length) return null;
  const row: Row = {
    syscall: "",
    calls: 0,
    errors: 0,
    seconds: null,
    usecs_per_call: null,
    time_pct: null,
  };
  for (let i = 0; i < map.length; i++) {
    const key = map[i];
    const t = tokens[i];
    if (key === "syscall") {
      if (!/^[A-Za-z_?][\w?:]*$/.test(t)) return null;
      row.syscall = t;
      continue;
    }
    const v = num(t);
    if (v === undefined) return null;
    if (key !== null) (row as unknown as Record<string, number>)[key] = v;
  }
  return row.syscall ? row : null;
}

const PID_BRACKET = /^\[pid\s+(\d+)\]\s?/;
const PID_BARE = /^(\d+)\s+(?=\S)/;
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?\s+/;
const EPOCH = /^(\d+\.\d+)\s+/;
const CALL = /^([A-Za-z_][\w]*|\?\?\?\?)(?:\[\d+\])?\(/;
const RESUMED = /^<\.\.\. ([\w]+|\?\?\?\?) resumed>/;
const SIGNAL = /^--- (?:stopped by (SIG\w+)|(SIG\w+|\w+) )/;
const EXITED = /^\+\+\+ (?:exited with (-?\d+)|killed by (SIG\w+))/;
const INTERLEAVED = /strace: Process \d+ attached\s*$/;
const OWN_LINE = /^(?:\/\S*\/)?strace: /;
const DURATION = /\s<(\d+\.\d+)>\s*$/;
const RESULT_AT = /\)\s+=\s+/g;
const RESULT =
  /^(-?\d+|0x[0-9a-fA-F]+|\?)(?:<[^>]*>)?(?:\s+(E[A-Z0-9_]+|ERESTART\w*))?(?:\s+\(.*\))?\s*$/;

interface TraceAcc {
  calls: number;
  errors: number;
  seconds: number;
  errnos: Map<string, number>;
}

/** What the trace lines add up to: calls, errors and time per system call, signals, exits. */
class TraceTally {
  readonly trace = new Map<string, TraceAcc>();
  readonly errnoCounts = new Map<string, number>();
  readonly signals: Record<string, number> = {};
  readonly killed: Record<string, number> = {};
  exits = 0;
  bindPort0InUse = 0;
  timed = false;

  acc(name: string): TraceAcc {
    let a = this.trace.get(name);
    if (!a) {
      a = { calls: 0, errors: 0, seconds: 0, errnos: new Map() };
      this.trace.set(name, a);
    }
    return a;
  }
  /** Reads the ` = result` part and `-T` of a completed call; false when there is none. */
  complete(name: string, rest: string): boolean {
    let body = rest;
    let seconds: number | undefined;
    const d = DURATION.exec(body);
    if (d) {
      seconds = Number(d[1]);
      body = body.slice(0, d.index);
    }
    let result: RegExpExecArray | null = null;
    RESULT_AT.lastIndex = 0;
    for (let m = RESULT_AT.exec(body); m; m = RESULT_AT.exec(body)) {
      const r = RESULT.exec(body.slice(m.index + m[0].length));
      if (r) result = r;
    }
    if (!result) return false;
    const a = this.acc(name);
    if (seconds !== undefined) {
      a.seconds += seconds;
      this.timed = true;
    }
    const errno = result[2];
    if (errno) {
      a.errors++;
      a.errnos.set(errno, (a.errnos.get(errno) ?? 0) + 1);
      this.errnoCounts.set(errno, (this.errnoCounts.get(errno) ?? 0) + 1);
    }
    return true;
  }

  /** Reads the event part of a trace line; false when it is none of strace's forms. */
  readEvent(body: string, line: string): boolean {
    const resumed = RESUMED.exec(body);
    if (resumed) {
      return (
        this.complete(resumed[1], body.slice(resumed[0].length)) ||
        /<unfinished \.\.\.>\s*$/.test(body)
      );
    }
    const call = CALL.exec(body);
    if (call) {
      const name = call[1];
      if (
        !/<unfinished \.\.\.>\s*$/.test(body) &&
        !this.complete(name, body.slice(call[0].length - 1))
      ) {
        return false;
      }
      this.acc(name).calls++;
      if (
        name === "bind" &&
        /\bsin6?_port=htons\(0\)/.test(body) &&
        /= -1 EADDRINUSE\b/.test(body)
      ) {
        this.bindPort0InUse++;
      }
      return true;
    }
    const signal = SIGNAL.exec(body);
    if (signal) {
      const sig = signal[1] ?? signal[2];
      this.signals[sig] = (this.signals[sig] ?? 0) + 1;
      return true;
    }
    const exited = EXITED.exec(body);
    if (exited) {
      this.exits++;
      if (exited[2]) this.killed[exited[2]] = (this.killed[exited[2]] ?? 0) + 1;
      return true;
    }
    // a detached call's end, or a -k stack frame
    return /^<detached \.\.\.>$/.test(body) || /^ ?> /.test(line);
  }
}

/**
 * Parses strace output: a `-c` summary, a trace, or both (`-C`).
 * @throws UnrecognisedOutputError when neither a summary table nor a trace line was found.
 */
export function parseStrace(lines: Iterable<string>): ParseResult<StraceFacts> {
  const problems = new ProblemLog();
  const summary = new Map<string, Row>();
  let summaryTotal: Row | null = null;
  let cols: (keyof Row | null)[] | null = null;
  /** Rows of the current summary table, and whether its closing rule was seen. */
  let tableRows = 0;
  let totalNext = false;
  const pids = new Set<number>();
  let attached = 0;
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  let relativeSum = 0;
  let relative = false;
  let found = false;
  let n = 0;

  const tally = new TraceTally();
  let carry: string | null = null;
  for (const raw of lines) {
    n++;
    // strace's own `strace: Process N attached` can land in the middle of a trace line
    const line: string = carry === null ? raw : carry + raw;
    carry = null;
    const cut = INTERLEAVED.exec(line);
    if (cut && cut.index > 0) {
      attached++;
      found = true;
      carry = line.slice(0, cut.index);
      continue;
    }
    const t = line.trim();
    if (t === "") continue;

    // -c summary table
    const header = summaryHeader(t);
    if (header) {
      cols = header;
      tableRows = 0;
      totalNext = false;
      found = true;
      continue;
    }
    if (/^-+( +-+)+$/.test(t)) {
      // The rule under the rows: what follows is the total line.
      if (cols && tableRows > 0) totalNext = true;
      continue;
    }
    if (/^System call usage summary for .*:$/.test(t)) continue;
    if (cols) {
      const row = readSummaryRow(t, cols);
      if (row) {
        if (row.syscall === "total" || totalNext) {
          // A total line cut inside its name (`tot`) is still the total, not a system call.
          if (row.syscall !== "total") problems.add(n, line, "total line cut short");
          summaryTotal = addRows(summaryTotal, { ...row, syscall: "total" });
          cols = null;
        } else {
          tableRows++;
          summary.set(row.syscall, addRows(summary.get(row.syscall) ?? null, row));
        }
        continue;
      }
      cols = null;
    }

    // strace names itself by its argv[0]: `strace: `, or `/usr/bin/strace: ` as the collector
    // runs it (`Process N attached with 4 threads`, `Process N detached`).
    if (OWN_LINE.test(t)) {
      if (/ attached( with \d+ threads?)?$/.test(t)) attached++;
      found = true;
      continue;
    }

    // trace line: [pid N] or "N ", then a time stamp, then the event
    let body = t;
    const pid = PID_BRACKET.exec(body) ?? PID_BARE.exec(body);
    if (pid) {
      pids.add(Number(pid[1]));
      body = body.slice(pid[0].length);
    }
    let ts: number | undefined;
    const clock = CLOCK.exec(body);
    const epoch = clock ? null : EPOCH.exec(body);
    if (clock) {
      ts =
        Number(clock[1]) * 3600 +
        Number(clock[2]) * 60 +
        Number(clock[3]) +
        Number(`0.${clock[4] ?? "0"}`);
      body = body.slice(clock[0].length);
    } else if (epoch) {
      ts = Number(epoch[1]);
      body = body.slice(epoch[0].length);
      if (ts < 1e6) relative = true; // -r: seconds since the previous line
    }
    const ok = tally.readEvent(body, line);
    if (!ok) {
      problems.add(n, line, "not a strace trace or summary line");
      continue;
    }
    found = true;
    if (ts !== undefined) {
      if (relative) relativeSum += ts;
      firstTs ??= ts;
      lastTs = ts;
    }
  }
  if (carry !== null) problems.add(n, carry, "trace line cut by the end of the output");
  if (!found) throw new UnrecognisedOutputError("strace");

  const facts =
    summary.size > 0 || summaryTotal
      ? fromSummary(summary, summaryTotal)
      : fromTrace(tally.trace, tally.timed);
  facts.errno_counts = Object.fromEntries([...tally.errnoCounts].sort((a, b) => b[1] - a[1]));
  facts.signals = tally.signals;
  facts.processes = pids.size;
  facts.exits = tally.exits;
  facts.killed = tally.killed;
  facts.attached = attached;
  if (facts.source === "trace") facts.bind_port0_eaddrinuse = tally.bindPort0InUse;
  if (facts.source === "trace" && tally.timed) facts.timed = true;
  if (firstTs !== undefined && lastTs !== undefined) {
    let span = relative ? relativeSum : lastTs - firstTs;
    if (span < 0) span += 86400; // -t/-tt clock past midnight
    facts.span_s = Math.round(span * 1e6) / 1e6;
  }
  return { facts, problems: problems.list() };
}

function addRows(a: Row | null, b: Row): Row {
  if (!a) return { ...b };
  const sum = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
  const calls = a.calls + b.calls;
  const seconds = sum(a.seconds, b.seconds);
  return {
    ...a,
    calls,
    errors: a.errors + b.errors,
    seconds,
    time_pct: sum(a.time_pct, b.time_pct),
    usecs_per_call: seconds !== null && calls > 0 ? Math.round((seconds / calls) * 1e6) : null,
  };
}

function empty(source: "summary" | "trace"): StraceFacts {
  return {
    source,
    syscalls: [],
    total: { calls: 0, errors: 0, seconds: null, usecs_per_call: null },
    dominant: null,
    errno_counts: {},
    signals: {},
    processes: 0,
    exits: 0,
    killed: {},
    attached: 0,
  };
}

function pct(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0;
}

function fromSummary(rows: Map<string, Row>, total: Row | null): StraceFacts {
  const facts = empty("summary");
  let calls = 0;
  let errors = 0;
  let seconds: number | null = 0;
  for (const r of rows.values()) {
    calls += r.calls;
    errors += r.errors;
    seconds = seconds === null || r.seconds === null ? null : seconds + r.seconds;
  }
  const totalCalls = total?.calls ?? calls;
  facts.total = total
    ? {
        calls: total.calls,
        errors: total.errors,
        seconds: total.seconds,
        usecs_per_call: total.usecs_per_call,
      }
    : {
        calls,
        errors,
        seconds: seconds === null ? null : Math.round(seconds * 1e6) / 1e6,
        usecs_per_call: null,
      };
  for (const r of rows.values()) {
    const row: StraceSyscall = {
      syscall: r.syscall,
      calls: r.calls,
      errors: r.errors,
      seconds: r.seconds,
      usecs_per_call: r.usecs_per_call,
      time_pct: r.time_pct,
      call_pct: pct(r.calls, totalCalls),
    };
    if (r.shortest_s !== undefined) row.shortest_s = r.shortest_s;
    if (r.longest_s !== undefined) row.longest_s = r.longest_s;
    facts.syscalls.push(row);
  }
  facts.dominant = dominant(facts.syscalls, (facts.total.seconds ?? 0) > 0);
  return facts;
}

function fromTrace(trace: Map<string, TraceAcc>, timed: boolean): StraceFacts {
  const facts = empty("trace");
  let calls = 0;
  let errors = 0;
  let seconds = 0;
  for (const a of trace.values()) {
    calls += a.calls;
    errors += a.errors;
    seconds += a.seconds;
  }
  for (const [name, a] of trace) {
    const row: StraceSyscall = {
      syscall: name,
      calls: a.calls,
      errors: a.errors,
      seconds: timed ? Math.round(a.seconds * 1e6) / 1e6 : null,
      usecs_per_call: timed && a.calls > 0 ? Math.round((a.seconds / a.calls) * 1e6) : null,
      time_pct: timed ? pct(a.seconds, seconds) : null,
      call_pct: pct(a.calls, calls),
    };
    if (a.errnos.size > 0) {
      const sorted = [...a.errnos].sort((x, y) => y[1] - x[1]);
      row.errnos = Object.fromEntries(sorted);
      row.top_errno = sorted[0][0];
    }
    facts.syscalls.push(row);
  }
  facts.syscalls.sort(
    (x, y) =>
      (y.seconds ?? 0) - (x.seconds ?? 0) ||
      y.calls - x.calls ||
      x.syscall.localeCompare(y.syscall),
  );
  facts.total = {
    calls,
    errors,
    seconds: timed ? Math.round(seconds * 1e6) / 1e6 : null,
    usecs_per_call: timed && calls > 0 ? Math.round((seconds / calls) * 1e6) : null,
  };
  facts.dominant = dominant(facts.syscalls, timed && seconds > 0);
  return facts;
}

function dominant(rows: StraceSyscall[], byTime: boolean): StraceFacts["dominant"] {
  let best: StraceSyscall | null = null;
  for (const r of rows) {
    const score = byTime ? (r.time_pct ?? 0) : r.call_pct;
    const bestScore = best ? (byTime ? (best.time_pct ?? 0) : best.call_pct) : -1;
    if (score > bestScore) best = r;
  }
  if (!best) return null;
  return {
    syscall: best.syscall,
    by: byTime ? "time" : "calls",
    share_pct: byTime ? (best.time_pct ?? 0) : best.call_pct,
    time_pct: best.time_pct,
    call_pct: best.call_pct,
  };
}
