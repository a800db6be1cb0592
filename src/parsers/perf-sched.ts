import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One task row of `perf sched latency`. Delays are scheduling latencies: from the moment the
 * task became runnable (woken up) to the moment it ran.
 */
export interface PerfSchedTask {
  /** As printed: `comm:pid`, or `comm:(N)` when N tasks of that name were merged. */
  task: string;
  comm: string;
  /** The PID, when the row is one task. */
  pid: number | null;
  /** Number of tasks merged into a `comm:(N)` row; 1 for a single task. */
  tasks: number;
  runtime_ms: number | null;
  /** Context switches in (`Switches`, `Count` in newer perf). */
  switches: number | null;
  avg_delay_ms: number | null;
  max_delay_ms: number | null;
  /**
   * When the worst delay ended (the task ran), in seconds of perf's clock (`Maximum delay
   * at`; `Max delay end` in newer perf).
   */
  max_delay_at_s: number | null;
  /** Newer perf: when the worst delay began (`Max delay start`). */
  max_delay_start_s?: number;
}

/**
 * Scheduler latency per task from `perf sched record -- sleep N; perf sched latency`
 * (tools/perf/Documentation/perf-sched.txt, tools/perf/builtin-sched.c):
 *
 * ```
 *  -----------------------------------------------------------------------------------------------------------------
 *   Task                  |   Runtime ms  | Switches | Average delay ms | Maximum delay ms | Maximum delay at       |
 *  -----------------------------------------------------------------------------------------------------------------
 *   raftstore-4:82059     |   3568.419 ms |     9713 | avg:    0.025 ms | max:   12.974 ms | max at: 9394868.547878 s
 *   tidb-ycsb:(63)        |  58661.342 ms |   367843 | avg:    0.028 ms | max:   11.810 ms | max at: 9394867.616867 s
 *  -----------------------------------------------------------------------------------------------------------------
 *   TOTAL:                |  62277.578 ms |   379556 |
 * ```
 * Yields: `tasks[0].comm = "raftstore-4"`, `tasks[0].switches = 9713`.
 * Yields: `tasks[0].max_delay_ms = 12.974`.
 *
 * Variants, mapped by header name: older perf `Switches | Average delay ms | Maximum delay ms
 * | Maximum delay at`; perf 6.x `Count | Avg delay ms | Max delay ms | Max delay start | Max
 * delay end`; task names holding `:` (`kworker/1:2-xfs:4649`); ` INFO: ... state machine
 * bugs` lines (kept in `info`). Times are in ms, time stamps in s.
 *
 * Facts: every row; totals from the `TOTAL:` line; the worst task by maximum delay and by
 * average delay; `max_delay_ms` (the worst maximum) and `mean_delay_ms` (average delay of
 * all rows weighted by their switches).
 */
export interface PerfSchedFacts {
  tasks: PerfSchedTask[];
  total_runtime_ms: number | null;
  total_switches: number | null;
  worst_max_delay: PerfSchedTask | null;
  worst_avg_delay: PerfSchedTask | null;
  max_delay_ms: number | null;
  mean_delay_ms: number | null;
  /** `INFO:` lines perf printed (lost events, state machine bugs). */
  info: string[];
}

type Column = "task" | "runtime" | "switches" | "avg" | "max" | "at" | "start" | "end";

/** Maps a header cell to a column, or null for an unknown one. */
function columnOf(cell: string): Column | null {
  const c = cell.trim().toLowerCase().replace(/\s+/g, " ");
  if (c === "task") return "task";
  if (c.startsWith("runtime")) return "runtime";
  if (c === "switches" || c === "count") return "switches";
  if (/^(avg|average) delay/.test(c)) return "avg";
  if (/^(max|maximum) delay (at|end)/.test(c)) return c.includes("end") ? "end" : "at";
  if (/^(max|maximum) delay start/.test(c)) return "start";
  if (/^(max|maximum) delay/.test(c)) return "max";
  return null;
}

const NUMBER = /-?\d+(?:\.\d+)?/g;

/** The last number in a cell (`avg:    0.025 ms`, `max at: 9394868.547878 s`). */
function cellNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const all = cell.replace(/(\d),(\d)/g, "$1.$2").match(NUMBER);
  return all ? Number(all[all.length - 1]) : null;
}

function splitTask(task: string): { comm: string; pid: number | null; tasks: number } {
  let m = /^(.*):\((\d+)\)$/.exec(task);
  if (m) return { comm: m[1], pid: null, tasks: Number(m[2]) };
  m = /^(.*):(\d+)$/.exec(task);
  if (m) return { comm: m[1], pid: Number(m[2]), tasks: 1 };
  return { comm: task, pid: null, tasks: 1 };
}

/**
 * Parses `perf sched latency` output.
 * @throws UnrecognisedOutputError when neither the table header nor a row was found.
 */
export function parsePerfSched(lines: Iterable<string>): ParseResult<PerfSchedFacts> {
  const problems = new ProblemLog();
  const tasks: PerfSchedTask[] = [];
  const info: string[] = [];
  let columns: (Column | null)[] | null = null;
  let totalRuntime: number | null = null;
  let totalSwitches: number | null = null;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const t = line.trim();
    if (t === "" || /^-{5,}$/.test(t)) continue;
    if (/^INFO:/.test(t)) {
      if (info.length < 20) info.push(t);
      continue;
    }
    if (!t.includes("|")) {
      problems.add(n, line, "not a perf sched latency line");
      continue;
    }
    const cells = t.replace(/\|\s*$/, "").split("|");
    if (/^task$/i.test(cells[0].trim())) {
      columns = cells.map(columnOf);
      found = true;
      continue;
    }
    if (/^TOTAL:?$/.test(cells[0].trim())) {
      const cols = columns ?? ["task", "runtime", "switches"];
      totalRuntime = cellNumber(cells[cols.indexOf("runtime")]);
      totalSwitches = cellNumber(cells[cols.indexOf("switches")]);
      found = true;
      continue;
    }
    if (!columns) {
      problems.add(n, line, "table row before the `Task | Runtime ms | ...` header");
      continue;
    }
    const row = readRow(cells, columns);
    if (row) {
      tasks.push(row);
      found = true;
    } else problems.add(n, line, "not a task row of the table");
  }
  if (!found) throw new UnrecognisedOutputError("perf-sched");
  return { facts: summarise(tasks, totalRuntime, totalSwitches, info), problems: problems.list() };
}

function readRow(cells: string[], columns: (Column | null)[]): PerfSchedTask | null {
  const at = (c: Column) => {
    const i = columns.indexOf(c);
    return i === -1 ? undefined : cells[i];
  };
  const task = at("task")?.trim();
  if (!task) return null;
  const runtime = cellNumber(at("runtime"));
  const switches = cellNumber(at("switches"));
  if (runtime === null && switches === null) return null;
  const row: PerfSchedTask = {
    task,
    ...splitTask(task),
    runtime_ms: runtime,
    switches,
    avg_delay_ms: cellNumber(at("avg")),
    max_delay_ms: cellNumber(at("max")),
    max_delay_at_s: cellNumber(at("at") ?? at("end")),
  };
  const start = cellNumber(at("start"));
  if (start !== null) row.max_delay_start_s = start;
  return row;
}

function summarise(
  tasks: PerfSchedTask[],
  totalRuntime: number | null,
  totalSwitches: number | null,
  info: string[],
): PerfSchedFacts {
  let worstMax: PerfSchedTask | null = null;
  let worstAvg: PerfSchedTask | null = null;
  let weighted = 0;
  let weight = 0;
  for (const t of tasks) {
    if (
      t.max_delay_ms !== null &&
      (worstMax === null || t.max_delay_ms > (worstMax.max_delay_ms ?? -1))
    )
      worstMax = t;
    if (
      t.avg_delay_ms !== null &&
      (worstAvg === null || t.avg_delay_ms > (worstAvg.avg_delay_ms ?? -1))
    )
      worstAvg = t;
    if (t.avg_delay_ms !== null && t.switches !== null) {
      weighted += t.avg_delay_ms * t.switches;
      weight += t.switches;
    }
  }
  return {
    tasks,
    total_runtime_ms: totalRuntime,
    total_switches: totalSwitches,
    worst_max_delay: worstMax,
    worst_avg_delay: worstAvg,
    max_delay_ms: worstMax?.max_delay_ms ?? null,
    mean_delay_ms: weight > 0 ? Math.round((weighted / weight) * 1000) / 1000 : null,
    info,
  };
}
