import { fields, num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One counter row of `perf stat` (one per event, and per CPU/core/interval when split). */
export interface PerfStatEvent {
  /** Event name as printed: `cpu-clock`, `cycles:u`, `cpu_core/cycles/`, `power/energy-pkg/`. */
  event: string;
  /** The count (or msec for clocks); null when `<not supported>` or `<not counted>`. */
  value: number | null;
  /** The value's unit when perf printed one (`msec`, `Joules`, `MiB`); null for counts. */
  unit: string | null;
  status: "counted" | "not-supported" | "not-counted";
  /** The derived metric after `#` (`1.004`, `2.98`), null when none. */
  metric_value: number | null;
  /** Its unit (`CPUs utilized`, `/sec`, `K/sec`, `GHz`, `insn per cycle`, `% of all branches`). */
  metric_unit: string | null;
  /**
   * Share of the measurement during which the counter ran (multiplexing: `(75.00%)`, or
   * `[75.00%]` in old perf). 100 for a counted row printed without one; null when not counted.
   */
  running_pct: number | null;
  /** `-r N`: relative standard deviation of the value over the runs (`( +-  0.12% )`). */
  variance_pct?: number;
  /** `-A` / `--per-core` / `--per-socket` / `--per-node` / `--per-thread`: the id as printed. */
  cpu?: string;
  /** Aggregation modes: how many CPUs the row adds up. */
  cpus?: number;
  /** `-I`: seconds since the start at the end of the interval (the row counts the interval). */
  time_s?: number;
  /** `-G` / `--for-each-cgroup`: the cgroup. */
  cgroup?: string;
  /** CSV / JSON: nanoseconds the counter was enabled. */
  runtime_ns?: number;
}

/** A metric printed on its own line (continuation lines, `TopdownL1` groups, second `#`). */
export interface PerfStatMetric {
  /** The event row it follows, or null when it stands alone. */
  event: string | null;
  /** Group title printed before `#` (`TopdownL1 (cpu_core)`), when any. */
  group?: string;
  metric_value: number | null;
  metric_unit: string | null;
  running_pct?: number;
}

/**
 * Counters of `perf stat` (tools/perf/Documentation/perf-stat.txt), written to stderr:
 *
 * ```
 *  Performance counter stats for 'system wide':
 *
 *            2003.43 msec cpu-clock                        #    2.000 CPUs utilized
 *                103      context-switches                 #   51.412 /sec
 *      2,788,555,123      cpu_core/cycles/                 #    3.085 GHz                (75.00%)
 *    <not supported>      instructions
 *
 *        1.001712160 seconds time elapsed
 *
 *        0.458127000 seconds user
 *        0.000000000 seconds sys
 * ```
 * Yields: `target = "system wide"`, `events[0].event = "cpu-clock"`, `events[0].value = 2003.43`.
 * Yields: `events[1].value = 103`.
 *
 * Variants: old perf's `task-clock:u (msec)` and `[75.00%]`; thousands separators of any
 * locale (`1,234,567`, `1.234.567`, `1’234’567`) and decimal commas; `<not supported>` (e.g.
 * no hardware PMU in a VM) and `<not counted>`; hybrid PMUs (`cpu_core/cycles/`,
 * `cpu_atom/cycles/`); `-A` (`CPU0` rows) and `--per-core` / `--per-socket` (`S0-D0-C1  2`
 * rows); `-I` (an interval stamp before each row); `-r` (`( +- 0.12% )`, `1.0 +- 0.1 seconds
 * time elapsed`); metric continuation lines and TopdownL1 groups; `-x SEP` CSV (value, unit,
 * event, run time, running %, [variance], metric value, metric unit; optional interval, id
 * and CPU-count fields first); `-j` JSON lines. A count printed `1.234` with no unit is read
 * as 1234 (a thousands dot): perf prints counts as integers.
 *
 * Facts: every row; elapsed/user/sys seconds; and shortcuts added over all rows of an event
 * (all CPUs, hybrid PMUs and intervals; modifiers such as `:u` and `cpu_core/.../` ignored):
 * `task_clock_ms`, `cpu_clock_ms` (a clock printed without unit is in ns and is converted),
 * `cpus_utilized`, `context_switches`, `cpu_migrations`, `page_faults` (each with `_per_s`:
 * per second of elapsed time, or of the last `-I` stamp; perf's own `/sec` metric is per
 * second of task-clock, which differs with `-a` on several CPUs),
 * `cycles`, `instructions`, `ipc`, `cache_misses_pct`, `branch_misses_pct`; and
 * `hardware_counters_supported` (false when every hardware event is `<not supported>`).
 */
export interface PerfStatFacts {
  /** What was measured: `system wide`, a command line, `process id '1234'`. */
  target: string | null;
  /** `-r N`. */
  runs?: number;
  events: PerfStatEvent[];
  metrics: PerfStatMetric[];
  elapsed_s?: number;
  elapsed_variance_pct?: number;
  user_s?: number;
  sys_s?: number;
  task_clock_ms?: number;
  cpu_clock_ms?: number;
  cpus_utilized?: number;
  context_switches?: number;
  context_switches_per_s?: number;
  cpu_migrations?: number;
  cpu_migrations_per_s?: number;
  page_faults?: number;
  page_faults_per_s?: number;
  cycles?: number;
  instructions?: number;
  /** Instructions per cycle. */
  ipc?: number;
  cache_references?: number;
  cache_misses?: number;
  cache_misses_pct?: number;
  branches?: number;
  branch_misses?: number;
  branch_misses_pct?: number;
  /** null when no hardware event was asked for. */
  hardware_counters_supported: boolean | null;
  /** Any counted row ran less than 100 % of the time (counters were multiplexed). */
  multiplexed: boolean;
  not_supported: string[];
  not_counted: string[];
  /** perf's own notes and warnings (`Some events weren't counted...`). */
  messages: string[];
}

const UNITS = new Set([
  "msec",
  "usec",
  "nsec",
  "ns",
  "us",
  "ms",
  "sec",
  "Joules",
  "J",
  "MiB",
  "KiB",
  "GiB",
  "MB",
  "KB",
  "kB",
  "GB",
  "B",
  "bytes",
  "Watts",
  "W",
  "MHz",
  "GHz",
  "%",
]);
const HW_EVENTS = new Set([
  "cycles",
  "instructions",
  "branches",
  "branch-misses",
  "cache-references",
  "cache-misses",
  "stalled-cycles-frontend",
  "stalled-cycles-backend",
  "ref-cycles",
  "bus-cycles",
  "slots",
]);
const ALIASES: Record<string, string> = {
  "cpu-cycles": "cycles",
  "branch-instructions": "branches",
  cs: "context-switches",
  migrations: "cpu-migrations",
  faults: "page-faults",
  "idle-cycles-frontend": "stalled-cycles-frontend",
  "idle-cycles-backend": "stalled-cycles-backend",
};

const HEADER = /^\s*Performance counter stats for (.*?)(?:\s+\((\d+) runs\))?:\s*$/;
const ELAPSED =
  /^\s*([\d.,]+)\s+(?:\+-\s+[\d.,]+\s+)?seconds time elapsed\s*(?:\(\s*\+-\s*([\d.,]+)\s*%\s*\))?\s*$/;
const USER_SYS = /^\s*([\d.,]+)\s+seconds (user|sys)\s*$/;
const INTERVAL_HEADER = /^#\s+time\s+/;
const VARIANCE = /\(\s*\+-\s*([\d.,]+)\s*%\s*\)/;
const RUNNING = /[[(]\s*([\d.,]+)\s*%\s*[\])]\s*$/;
const AGGREGATE = /^(CPU\d+|S\d+(-D\d+)?(-C\d+|-L\d+-ID\d+)?|N\d+|\S+-\d+)$/;
const MESSAGE =
  /^\s*(Some events weren't counted|Try disabling the NMI watchdog|echo [01] > \/proc\/sys\/kernel\/nmi_watchdog|perf stat \.\.\.|Error:|WARNING|Warning:|Access to performance monitoring|The events in group usually|failed to|Consider tweaking|Consider adjusting|perf_event_paranoid setting is)/;

function isValueToken(t: string | undefined): boolean {
  return (
    t !== undefined && (/^[\d.,’'\u00a0\u202f]*\d[\d.,’'\u00a0\u202f]*$/.test(t) || t === "<not")
  );
}

/** A counter value with any locale's grouping; see {@link PerfStatFacts} for `1.234`. */
export function perfCount(token: string, hasUnit: boolean): number | undefined {
  const t = token.replace(/[’'\u00a0\u202f]/g, "");
  if (/^\d+(\.\d+)?$/.test(t)) {
    if (!hasUnit && /^\d{1,3}\.\d{3}$/.test(t)) return Number(t.replace(".", ""));
    return Number(t);
  }
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) return Number(t.replaceAll(",", ""));
  if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(t)) return Number(t.replaceAll(".", "").replace(",", "."));
  if (/^\d+,\d+$/.test(t)) return Number(t.replace(",", "."));
  return undefined;
}

/** A metric value: no grouping, maybe a decimal comma; `nan` → null. */
function metricNumber(token: string): number | null {
  const v = num(token);
  return v === undefined || !Number.isFinite(v) ? null : v;
}

function parseMetric(
  part: string,
): { metric_value: number | null; metric_unit: string | null } | null {
  const m = /^\s*([-+]?[\d.,]+|nan|[-+]?inf)\s*(.*?)\s*$/i.exec(part);
  if (!m) return null;
  const unit = m[2].replace(/\s+/g, " ");
  return { metric_value: metricNumber(m[1]), metric_unit: unit === "" ? null : unit };
}

/** The event's name without PMU and modifiers: `cpu_core/cycles/u` → `cycles`. */
export function baseEvent(name: string): string {
  let n = name;
  const pmu = /^[\w.-]+\/([^/=,]+)\/[a-zA-Z]*$/.exec(n);
  if (pmu) n = pmu[1];
  n = n.replace(/:[a-zA-Z]+$/, "");
  return ALIASES[n] ?? n;
}

interface RowParse {
  row?: PerfStatEvent;
  metrics: { metric_value: number | null; metric_unit: string | null }[];
  group?: string;
  running?: number;
}

/** Reads a human-format line: a counter row, or a metric-only line. */
function readHuman(line: string, intervalMode: boolean): RowParse | null {
  let s = line;
  let variance: number | undefined;
  let running: number | undefined;
  const v = VARIANCE.exec(s);
  if (v) {
    variance = metricNumber(v[1]) ?? undefined;
    s = s.slice(0, v.index) + s.slice(v.index + v[0].length);
  }
  const r = RUNNING.exec(s);
  if (r) {
    running = metricNumber(r[1]) ?? undefined;
    s = s.slice(0, r.index);
  }
  const hash = s.indexOf("#");
  const left = hash === -1 ? s : s.slice(0, hash);
  const metricParts = hash === -1 ? [] : s.slice(hash + 1).split("#");
  const metrics: RowParse["metrics"] = [];
  for (const part of metricParts) {
    const m = parseMetric(part);
    if (!m) return null;
    metrics.push(m);
  }
  const tokens = fields(left);
  if (tokens.length === 0) {
    if (metrics.length === 0 && running === undefined) return null;
    return { metrics, running };
  }
  const row = readTokens(tokens, intervalMode);
  if (!row) {
    // a metric group line: `TopdownL1 (cpu_core)   #  67.1 %  tma_backend_bound`
    if (metrics.length > 0 && !isValueToken(tokens[0])) {
      return { metrics, group: tokens.join(" "), running };
    }
    return null;
  }
  if (row.status === "counted") row.running_pct = running ?? 100;
  if (variance !== undefined) row.variance_pct = variance;
  const first = metrics.shift();
  if (first) {
    row.metric_value = first.metric_value;
    row.metric_unit = first.metric_unit;
  }
  return { row, metrics };
}

function readTokens(tokens: string[], intervalMode: boolean): PerfStatEvent | null {
  let i = 0;
  let time: number | undefined;
  let cpu: string | undefined;
  let cpus: number | undefined;
  const valueAt = (k: number) => isValueToken(tokens[k]);
  const agg1 = AGGREGATE.test(tokens[1] ?? "") && !UNITS.has(tokens[1]);
  if (/^\d+\.\d+$/.test(tokens[0]) && (intervalMode || valueAt(1) || agg1)) {
    time = Number(tokens[0]);
    i = 1;
  }
  if (!valueAt(i) && (AGGREGATE.test(tokens[i] ?? "") || valueAt(i + 1) || valueAt(i + 2))) {
    cpu = tokens[i];
    i++;
    if (/^\d+$/.test(tokens[i] ?? "") && valueAt(i + 1)) {
      cpus = Number(tokens[i]);
      i++;
    }
  }
  let value: number | null = null;
  let status: PerfStatEvent["status"] = "counted";
  const t = tokens[i];
  if (t === "<not" && /^(supported|counted)>$/.test(tokens[i + 1] ?? "")) {
    status = tokens[i + 1] === "supported>" ? "not-supported" : "not-counted";
    i += 2;
  } else if (valueAt(i)) {
    i++;
  } else return null;
  const rest = tokens.slice(i);
  if (rest.length === 0) return null;
  let unit: string | null = null;
  let event: string;
  let extra: string[];
  if (rest.length >= 2 && UNITS.has(rest[0])) {
    unit = rest[0];
    event = rest[1];
    extra = rest.slice(2);
  } else {
    event = rest[0];
    extra = rest.slice(1);
  }
  if (!/^[A-Za-z_{]/.test(event)) return null;
  const old = /^\((\w+)\)$/.exec(extra[0] ?? "");
  if (old) {
    unit = old[1];
    extra = extra.slice(1);
  }
  if (status === "counted") {
    const parsed = perfCount(t, unit !== null);
    if (parsed === undefined) return null;
    value = parsed;
  }
  const row: PerfStatEvent = {
    event,
    value,
    unit,
    status,
    metric_value: null,
    metric_unit: null,
    running_pct: null,
  };
  if (cpu !== undefined) row.cpu = cpu;
  if (cpus !== undefined) row.cpus = cpus;
  if (time !== undefined) row.time_s = time;
  if (extra.length > 0) row.cgroup = extra.join(" ");
  return row;
}

const CSV_SEPARATORS = [",", ";", "\t", "|"];

/** Reads a `-x SEP` line, or returns null when the line is not one. */
function readCsv(raw: string): PerfStatEvent | null {
  const line = raw.trimStart();
  if (/\s{2,}/.test(line.replace(/[^,;\t|]*$/, ""))) return null;
  for (const sep of CSV_SEPARATORS) {
    if (!line.includes(sep)) continue;
    const f = line.split(sep);
    for (let i = 0; i <= 3 && i + 2 < f.length; i++) {
      const v = f[i];
      const notCounted = v === "<not supported>" || v === "<not counted>";
      if (!notCounted && !/^\d+(\.\d+)?$/.test(v)) continue;
      const unit = f[i + 1];
      const event = f[i + 2];
      if (/^[\d.]+$/.test(unit) || /\s/.test(unit) || !/^[A-Za-z_{][^\s]*$/.test(event)) continue;
      const runtime = f[i + 3];
      const running = f[i + 4];
      if (runtime !== undefined && runtime !== "" && !/^\d+(\.\d+)?$/.test(runtime)) continue;
      if (running !== undefined && running !== "" && !/^\d+(\.\d+)?$/.test(running)) continue;
      const row: PerfStatEvent = {
        event,
        value: notCounted ? null : Number(v),
        unit: unit === "" ? null : unit,
        status:
          v === "<not supported>"
            ? "not-supported"
            : v === "<not counted>"
              ? "not-counted"
              : "counted",
        metric_value: null,
        metric_unit: null,
        running_pct: notCounted ? null : running ? Number(running) : 100,
      };
      if (runtime) row.runtime_ns = Number(runtime);
      let k = i + 5;
      if (f[k] !== undefined && /^[\d.]+%$/.test(f[k])) {
        row.variance_pct = Number(f[k].slice(0, -1));
        k++;
      }
      if (f[k] !== undefined && f[k] !== "") row.metric_value = metricNumber(f[k]);
      if (f[k + 1] !== undefined && f[k + 1].trim() !== "") row.metric_unit = f[k + 1].trim();
      const prefix = f.slice(0, i);
      for (let p = 0; p < prefix.length; p++) {
        const x = prefix[p];
        if (p === 0 && /^\d+\.\d+$/.test(x)) row.time_s = Number(x);
        else if (/^\d+$/.test(x) && row.cpu !== undefined) row.cpus = Number(x);
        else if (x.trim() !== "") row.cpu = x.trim();
      }
      return row;
    }
  }
  return null;
}

/** Reads a `-j` JSON line, or returns null. */
function readJson(line: string): PerfStatEvent | null {
  const t = line.trim();
  if (!t.startsWith("{") || !t.includes("counter-value")) return null;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(t) as Record<string, unknown>;
  } catch {
    return null;
  }
  const str = (k: string) => (o[k] === undefined || o[k] === null ? undefined : String(o[k]));
  const event = str("event");
  const v = str("counter-value");
  if (!event || v === undefined) return null;
  const notCounted = v.startsWith("<not");
  const row: PerfStatEvent = {
    event,
    value: notCounted ? null : (metricNumber(v) ?? null),
    unit: str("unit") || null,
    status: v === "<not supported>" ? "not-supported" : notCounted ? "not-counted" : "counted",
    metric_value: str("metric-value") ? metricNumber(str("metric-value")!) : null,
    metric_unit: str("metric-unit") || null,
    running_pct: notCounted ? null : str("pcnt-running") ? metricNumber(str("pcnt-running")!) : 100,
  };
  const runtime = str("event-runtime");
  if (runtime) row.runtime_ns = Number(runtime);
  const id =
    str("cpu") ?? str("core") ?? str("die") ?? str("socket") ?? str("node") ?? str("thread");
  if (id) row.cpu = /^\d+$/.test(id) && str("cpu") ? `CPU${id}` : id;
  const agg = str("aggregate-number") ?? str("cpus");
  if (agg) row.cpus = Number(agg);
  const interval = str("interval");
  if (interval) row.time_s = Number(interval);
  if (str("variance")) row.variance_pct = metricNumber(str("variance")!) ?? undefined;
  return row;
}

/**
 * Parses `perf stat` output in any of its forms (human, `-x` CSV, `-j` JSON).
 * @throws UnrecognisedOutputError when no counter row, header or elapsed-time line was found
 *   (the detail names perf's own error message when it printed one).
 */
export function parsePerfStat(lines: Iterable<string>): ParseResult<PerfStatFacts> {
  const problems = new ProblemLog();
  const facts: PerfStatFacts = {
    target: null,
    events: [],
    metrics: [],
    hardware_counters_supported: null,
    multiplexed: false,
    not_supported: [],
    not_counted: [],
    messages: [],
  };
  let intervalMode = false;
  let group: string | undefined;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const header = HEADER.exec(line);
    if (header) {
      const target = header[1].trim();
      facts.target = /^'.*'$/.test(target) ? target.slice(1, -1) : target;
      if (header[2]) facts.runs = Number(header[2]);
      found = true;
      continue;
    }
    const elapsed = ELAPSED.exec(line);
    if (elapsed) {
      facts.elapsed_s = num(elapsed[1]);
      if (elapsed[2]) facts.elapsed_variance_pct = num(elapsed[2]);
      found = true;
      continue;
    }
    const userSys = USER_SYS.exec(line);
    if (userSys) {
      facts[userSys[2] === "user" ? "user_s" : "sys_s"] = num(userSys[1]);
      found = true;
      continue;
    }
    if (INTERVAL_HEADER.test(line)) {
      intervalMode = true;
      found = true;
      continue;
    }
    if (MESSAGE.test(line)) {
      if (facts.messages.length < 20) facts.messages.push(line.trim());
      continue;
    }
    const structured = readJson(line) ?? readCsv(line);
    if (structured) {
      facts.events.push(structured);
      found = true;
      continue;
    }
    const parsed = readHuman(line, intervalMode);
    if (!parsed) {
      problems.add(n, line, "not a perf stat line");
      continue;
    }
    const last = facts.events[facts.events.length - 1];
    if (parsed.row) {
      facts.events.push(parsed.row);
      group = undefined;
      found = true;
    } else if (parsed.metrics.length === 0 && parsed.running !== undefined && last) {
      // old perf: `[50.78%]` alone on the line after its row
      if (last.status === "counted") last.running_pct = parsed.running;
      continue;
    }
    if (parsed.group !== undefined) group = parsed.group;
    const after = parsed.row
      ? parsed.row.event
      : group !== undefined
        ? null
        : (last?.event ?? null);
    for (const metric of parsed.metrics) {
      const entry: PerfStatMetric = { event: after, ...metric };
      if (!parsed.row && group !== undefined) entry.group = group;
      if (!parsed.row && parsed.running !== undefined) entry.running_pct = parsed.running;
      facts.metrics.push(entry);
    }
  }
  if (!found) throw new UnrecognisedOutputError("perf-stat", refusal(facts.messages));
  derive(facts);
  return { facts, problems: problems.list() };
}

/**
 * What to say when perf printed no counter: perf's own words, and when it refused for
 * `kernel.perf_event_paranoid` (its text names the setting: "perf_event_paranoid setting is
 * 2"), what that means for `perf stat -a` and what to do (kernel
 * Documentation/admin-guide/perf-security.rst: counting CPU events system-wide needs 0 or lower, or
 * CAP_PERFMON / root).
 */
function refusal(messages: readonly string[]): string | undefined {
  const at = messages.findIndex((msg) => /^(Error|WARNING|Warning|Access)/.test(msg));
  if (at === -1) return undefined;
  const said = /^Error:?$/.test(messages[at]) && messages[at + 1] ? messages[at + 1] : messages[at];
  const text = messages.join("\n");
  if (!/perf_event_paranoid/.test(text)) return `no counters; perf said: ${said}`;
  const level = /perf_event_paranoid setting is (-?\d+)/.exec(text)?.[1];
  return `no counters: perf refused system-wide counting (${said.replace(/\.$/, "")}; kernel.perf_event_paranoid is ${level ?? "above -1"}, and perf stat -a needs 0 or lower, or root): connect as root, or set sudo: true for the host and install deploy/sudoers.d/diagbot, or lower it (sysctl kernel.perf_event_paranoid=0)`;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Mean over intervals of the sum over CPUs/PMUs of a per-row metric. */
function meanOfSums(rows: PerfStatEvent[], value: (r: PerfStatEvent) => number | undefined) {
  const byTime = new Map<number, number>();
  for (const r of rows) {
    const v = value(r);
    if (v === undefined) continue;
    const key = r.time_s ?? -1;
    byTime.set(key, (byTime.get(key) ?? 0) + v);
  }
  if (byTime.size === 0) return undefined;
  let sum = 0;
  for (const v of byTime.values()) sum += v;
  return sum / byTime.size;
}

function derive(facts: PerfStatFacts): void {
  const byBase = new Map<string, PerfStatEvent[]>();
  const notSupported = new Set<string>();
  const notCounted = new Set<string>();
  let hwCounted = false;
  let hwMissing = false;
  for (const e of facts.events) {
    const base = baseEvent(e.event);
    const list = byBase.get(base) ?? [];
    list.push(e);
    byBase.set(base, list);
    const hw = HW_EVENTS.has(base) || base.startsWith("topdown-");
    if (e.status === "counted") {
      if (hw) hwCounted = true;
      if (e.running_pct !== null && e.running_pct < 100) facts.multiplexed = true;
    } else {
      if (hw) hwMissing = true;
      (e.status === "not-supported" ? notSupported : notCounted).add(e.event);
    }
  }
  facts.hardware_counters_supported = hwCounted ? true : hwMissing ? false : null;
  facts.not_supported = [...notSupported].slice(0, 100);
  facts.not_counted = [...notCounted].slice(0, 100);

  const sum = (base: string) => {
    let total = 0;
    let any = false;
    for (const e of byBase.get(base) ?? []) {
      if (e.status !== "counted" || e.value === null) continue;
      total += e.value;
      any = true;
    }
    return any ? total : undefined;
  };
  const clockMs = (base: string) => {
    let total = 0;
    let any = false;
    for (const e of byBase.get(base) ?? []) {
      if (e.status !== "counted" || e.value === null) continue;
      total +=
        e.unit === "msec" || e.unit === "ms" ? e.value : e.unit === null ? e.value / 1e6 : NaN;
      any = true;
    }
    return any && Number.isFinite(total) ? round(total) : undefined;
  };
  const set = <K extends keyof PerfStatFacts>(key: K, value: PerfStatFacts[K] | undefined) => {
    if (value !== undefined) facts[key] = value;
  };

  set("task_clock_ms", clockMs("task-clock"));
  set("cpu_clock_ms", clockMs("cpu-clock"));
  const metricRows = facts.events.filter((e) => e.metric_unit === "CPUs utilized");
  let cpus = meanOfSums(metricRows, (r) => r.metric_value ?? undefined);
  const clock = facts.task_clock_ms ?? facts.cpu_clock_ms;
  if (cpus === undefined && clock !== undefined && facts.elapsed_s) {
    cpus = clock / (facts.elapsed_s * 1000);
  }
  set("cpus_utilized", cpus === undefined ? undefined : round(cpus));

  const counts: [string, "context_switches" | "cpu_migrations" | "page_faults"][] = [
    ["context-switches", "context_switches"],
    ["cpu-migrations", "cpu_migrations"],
    ["page-faults", "page_faults"],
  ];
  // Rates per second of wall-clock time (perf's own `/sec` metric is per task-clock second).
  let span = facts.elapsed_s;
  if (!span) {
    for (const e of facts.events) if (e.time_s !== undefined) span = Math.max(span ?? 0, e.time_s);
  }
  for (const [base, key] of counts) {
    const total = sum(base);
    set(key, total);
    if (total !== undefined && span) {
      set(`${key}_per_s` as "page_faults_per_s", round(total / span));
    }
  }

  set("cycles", sum("cycles"));
  set("instructions", sum("instructions"));
  if (facts.cycles && facts.instructions !== undefined) {
    facts.ipc = round(facts.instructions / facts.cycles);
  } else {
    const rows = (byBase.get("instructions") ?? []).filter((r) =>
      /insns? per cycle/.test(r.metric_unit ?? ""),
    );
    if (rows.length === 1 && rows[0].metric_value !== null) facts.ipc = rows[0].metric_value;
  }
  const ratio = (
    part: string,
    whole: string,
    partKey: "cache_misses" | "branch_misses",
    wholeKey: "cache_references" | "branches",
    pctKey: "cache_misses_pct" | "branch_misses_pct",
    metricText: RegExp,
  ) => {
    const p = sum(part);
    const w = sum(whole);
    set(partKey, p);
    set(wholeKey, w);
    if (p !== undefined && w) facts[pctKey] = round((p / w) * 100, 2);
    else {
      const rows = (byBase.get(part) ?? []).filter((r) => metricText.test(r.metric_unit ?? ""));
      if (rows.length === 1 && rows[0].metric_value !== null) facts[pctKey] = rows[0].metric_value;
    }
  };
  ratio(
    "cache-misses",
    "cache-references",
    "cache_misses",
    "cache_references",
    "cache_misses_pct",
    /of all cache refs/,
  );
  ratio(
    "branch-misses",
    "branches",
    "branch_misses",
    "branches",
    "branch_misses_pct",
    /of all branches/,
  );
}
