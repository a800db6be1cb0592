import { fields, nthFieldStart, num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One process row of `top -b`, every column mapped by its header name: `PID` → `pid`,
 * `USER` → `user`, `PR` → `pr` (a number, or `"rt"`), `NI` → `ni`, `S` → `state`,
 * `%CPU` → `cpu_pct`, `%MEM` → `mem_pct`, `TIME+` → `time_plus` (as printed) and
 * `time_s`, `COMMAND` → `command`. Memory columns (`VIRT RES SHR SWAP CODE DATA USED RSan
 * RSfd RSlk RSsh`) are in KiB as `virt_kb`… (`125.1m`, `6.5g` scaled values converted).
 * Other columns use their lower-cased name (`PPID` → `ppid`, `nTH` → `nth`, `nsIPC` →
 * `nsipc`); a `-` stays a string.
 */
export interface TopProcess {
  pid: number;
  user?: string;
  pr?: number | string;
  ni?: number;
  virt_kb?: number;
  res_kb?: number;
  shr_kb?: number;
  state?: string;
  cpu_pct?: number;
  mem_pct?: number;
  time_plus?: string;
  time_s?: number;
  command?: string;
  [column: string]: number | string | undefined;
}

/** The summary area of one iteration of `top -b`. Memory in bytes. */
export interface TopSummary {
  /** Clock time of the `top - HH:MM:SS` line. */
  time?: string;
  uptime_s?: number;
  users?: number;
  load1?: number;
  load5?: number;
  load15?: number;
  /** `Tasks:` (or `Threads:` with `-H`). */
  tasks_total?: number;
  tasks_running?: number;
  tasks_sleeping?: number;
  tasks_stopped?: number;
  tasks_zombie?: number;
  /** `%Cpu(s)` line, % of CPU time. */
  us_pct?: number;
  sy_pct?: number;
  ni_pct?: number;
  id_pct?: number;
  wa_pct?: number;
  hi_pct?: number;
  si_pct?: number;
  st_pct?: number;
  /** Per-CPU lines (`%Cpu0  : …`) when top shows them. */
  cpus?: {
    cpu: number;
    us_pct?: number;
    sy_pct?: number;
    ni_pct?: number;
    id_pct?: number;
    wa_pct?: number;
    hi_pct?: number;
    si_pct?: number;
    st_pct?: number;
  }[];
  mem_total_bytes?: number;
  mem_free_bytes?: number;
  mem_used_bytes?: number;
  mem_buff_cache_bytes?: number;
  /** procps 3.2 `buffers` on the Mem line and `cached` on the Swap line. */
  mem_buffers_bytes?: number;
  mem_cached_bytes?: number;
  mem_available_bytes?: number;
  swap_total_bytes?: number;
  swap_free_bytes?: number;
  swap_used_bytes?: number;
}

export interface TopIteration extends TopSummary {
  processes: TopProcess[];
}

/**
 * Facts from `top -b` (batch mode), one or several iterations.
 *
 * Command (collector): `top -b -n 1 -w 512`. Sample (procps-ng 3.3.16):
 * ```
 * top - 23:06:21 up 2 min,  2 users,  load average: 0.55, 0.24, 0.09
 * Tasks: 245 total,   1 running, 244 sleeping,   0 stopped,   0 zombie
 * %Cpu(s):  3.1 us,  3.1 sy,  0.0 ni, 93.8 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
 * MiB Mem :   3903.6 total,   2378.7 free,    320.2 used,   1204.7 buff/cache
 * MiB Swap:   3903.0 total,   3903.0 free,      0.0 used.   3345.3 avail Mem
 *
 *     PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
 *       1 root      20   0  104364  13208   8636 S   0.0   0.3   0:06.01 systemd
 * ```
 * Yields: `iterations[0].time = "23:06:21"`, `iterations[0].processes[0].command = "systemd"`.
 * Yields: `iterations[0].processes[0].res_kb = 13208`, `iterations[0].processes[0].time_s = 6.01`.
 * Variants read: procps 3.2 (`Cpu(s):  0.3%us,` and `Mem:  3861332k total,` with `buffers`,
 * `Swap: … cached`), procps-ng 3.3 and 4 (`KiB`/`MiB`/`GiB`/`TiB Mem :`), `-E` scaling,
 * per-CPU lines, `Threads:` (`-H`), `-w` wide rows, extra fields in any order with text
 * columns holding spaces (read by column position), `-c` command lines, several iterations.
 * The first iteration's CPU shares are averages since boot (top has no earlier sample).
 * Source: top(1), procps-ng top.c.
 */
export interface TopFacts {
  iterations: TopIteration[];
  /** The last iteration's summary area (the freshest numbers). */
  summary?: TopSummary;
  /** Number of process rows in the last iteration. */
  process_count?: number;
}

const MEM_COLUMNS = new Set([
  "VIRT",
  "RES",
  "SHR",
  "SWAP",
  "CODE",
  "DATA",
  "USED",
  "RSan",
  "RSfd",
  "RSlk",
  "RSsh",
]);
const LEFT_COLUMNS = new Set([
  "USER",
  "RUSER",
  "SUSER",
  "GROUP",
  "TTY",
  "WCHAN",
  "Flags",
  "CGROUPS",
  "SUPGIDS",
  "SUPGRPS",
  "ENVIRON",
  "COMMAND",
  "CGNAME",
  "LXC",
]);
/** Text columns whose cells may hold spaces. */
const SPACED_COLUMNS = new Set([
  "CGROUPS",
  "SUPGIDS",
  "SUPGRPS",
  "ENVIRON",
  "COMMAND",
  "CGNAME",
  "LXC",
]);
const TEXT_COLUMNS = new Set([...LEFT_COLUMNS, "S", "TIME+", "TIME", "PR", "STARTED", "ELAPSED"]);
const KEYS: Record<string, string> = {
  S: "state",
  "%CPU": "cpu_pct",
  "%MEM": "mem_pct",
  "TIME+": "time_plus",
  "%CUU": "cuu_pct",
  "%CUC": "cuc_pct",
};
const UNIT_POWER: Record<string, number> = { K: 0, M: 1, G: 2, T: 3, P: 4, E: 5 };
const SCALE = /^(\d+(?:[.,]\d+)?)([kmgtpe])$/i;

function columnName(col: string): string {
  if (KEYS[col]) return KEYS[col];
  if (MEM_COLUMNS.has(col)) return `${col.toLowerCase()}_kb`;
  return col
    .replace(/%/g, "pct_")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")
    .toLowerCase();
}

/** KiB of a top memory cell: `104364`, `125.1m`, `6.5g`, `13k`. */
function kib(token: string): number | undefined {
  const plain = num(token);
  if (plain !== undefined) return plain;
  const m = SCALE.exec(token);
  if (!m) return undefined;
  const v = num(m[1]);
  if (v === undefined) return undefined;
  return Math.round(v * 1024 ** UNIT_POWER[m[2].toUpperCase()] * 10) / 10;
}

/** A scaled count cell (`13k` = 13 × 1024, as top scales). */
function count(token: string): number | undefined {
  const m = SCALE.exec(token);
  if (!m) return undefined;
  const v = num(m[1]);
  return v === undefined ? undefined : Math.round(v * 1024 ** (UNIT_POWER[m[2].toUpperCase()] + 1));
}

/** Seconds of a `TIME+` cell (`0:06.01`, `123:45.67`) or `TIME` cell (`0:01`, `1-02:03:04`). */
function seconds(token: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(token);
  if (!m) return undefined;
  const days = m[1] ? Number(m[1]) : 0;
  const hours = m[2] ? Number(m[2]) : 0;
  return Math.round((days * 86400 + hours * 3600 + Number(m[3]) * 60 + Number(m[4])) * 100) / 100;
}

/** Seconds of the `up …` clause: `2 min`, `1:08`, `40 days, 21:17`, `3 days,  2 min`. */
function upSeconds(clause: string): number | undefined {
  let s = 0;
  let seen = false;
  for (const part of clause.split(",").map((p) => p.trim())) {
    const days = /^(\d+)\s+days?$/.exec(part);
    const clock = /^(\d+):(\d+)$/.exec(part);
    const mins = /^(\d+)\s+min/.exec(part);
    if (days) s += Number(days[1]) * 86400;
    else if (clock) s += Number(clock[1]) * 3600 + Number(clock[2]) * 60;
    else if (mins) s += Number(mins[1]) * 60;
    else continue;
    seen = true;
  }
  return seen ? s : undefined;
}

const TOP_LINE =
  /^top\s+-\s+(\d{1,2}:\d{2}:\d{2})\s+up\s+(.*?),\s+(\d+)\s+users?,\s+load averages?:\s*(\S+?),?\s+(\S+?),?\s+(\S+)\s*$/;
const TOP_LINE_LOOSE = /^top\s+-\s+(\d{1,2}:\d{2}:\d{2})\b(.*)$/;

/** `3.1 us` or `0.3%us` pairs of a Cpu line, keyed `us_pct`…. */
function cpuShares(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /(\d+(?:[.,]\d+)?)\s*%?\s*(us|sy|ni|id|wa|hi|si|st)\b/g;
  for (const m of text.matchAll(re)) {
    const v = num(m[1]);
    if (v !== undefined) out[`${m[2]}_pct`] = v;
  }
  return out;
}

/** `123 total`-style pairs of a memory line in bytes, keyed by the word after the number. */
function memPairs(text: string, unitBytes: number): Record<string, number> {
  const out: Record<string, number> = {};
  const re =
    /(\d+(?:[.,]\d+)?)([kKmMgG]?)\s+(total|free|used|buff\/cache|buffers|cached|avail Mem|avail)\b/g;
  for (const m of text.matchAll(re)) {
    const v = num(m[1]);
    if (v === undefined) continue;
    const factor = m[2] ? 1024 ** (UNIT_POWER[m[2].toUpperCase()] + 1) : unitBytes;
    out[m[3]] = Math.round(v * factor);
  }
  return out;
}

interface Layout {
  columns: string[];
  keys: string[];
  starts: number[];
  ends: number[];
  positional: boolean;
}

function layoutOf(header: string): Layout {
  const columns: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of header.matchAll(/\S+/g)) {
    columns.push(m[0]);
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  // Text columns that may hold spaces anywhere but last force a read by position.
  const positional = columns.slice(0, -1).some((c) => SPACED_COLUMNS.has(c));
  return { columns, keys: columns.map(columnName), starts, ends, positional };
}

/** Cuts a row into cells by the header's column positions (see {@link TopFacts}). */
function cellsByPosition(line: string, l: Layout): string[] {
  const k = l.columns.length;
  const bounds: number[] = [];
  let prev = 0;
  for (let i = 0; i < k - 1; i++) {
    let b: number;
    if (!LEFT_COLUMNS.has(l.columns[i])) b = l.ends[i];
    else {
      b = l.starts[i + 1];
      if (!LEFT_COLUMNS.has(l.columns[i + 1])) {
        while (b > l.starts[i] && b <= line.length && line[b - 1] !== " ") b--;
      }
    }
    b = Math.max(b, prev);
    bounds.push(b);
    prev = b;
  }
  const cells: string[] = [];
  let from = 0;
  for (let i = 0; i < k; i++) {
    const to = i < k - 1 ? bounds[i] : line.length;
    cells.push(line.slice(from, to).trim());
    from = to;
  }
  return cells;
}

/** A `Mem` or `Swap` line (`KiB Mem :  total, free, used, buff/cache`): sizes in bytes. */
function readMemLine(
  it: TopIteration,
  prefix: string | undefined,
  which: string,
  rest: string,
): void {
  const unit = prefix ? 1024 ** (UNIT_POWER[prefix] + 1) : 1024;
  const pairs = memPairs(rest, unit);
  if (which === "Mem") {
    if (pairs.total !== undefined) it.mem_total_bytes = pairs.total;
    if (pairs.free !== undefined) it.mem_free_bytes = pairs.free;
    if (pairs.used !== undefined) it.mem_used_bytes = pairs.used;
    if (pairs["buff/cache"] !== undefined) it.mem_buff_cache_bytes = pairs["buff/cache"];
    if (pairs.buffers !== undefined) it.mem_buffers_bytes = pairs.buffers;
  } else {
    if (pairs.total !== undefined) it.swap_total_bytes = pairs.total;
    if (pairs.free !== undefined) it.swap_free_bytes = pairs.free;
    if (pairs.used !== undefined) it.swap_used_bytes = pairs.used;
    if (pairs.cached !== undefined) it.mem_cached_bytes = pairs.cached;
    const avail = pairs["avail Mem"] ?? pairs.avail;
    if (avail !== undefined) it.mem_available_bytes = avail;
  }
}

/** A process row's cells, by column: sizes in KiB, times in seconds, counts as numbers. */
function processOf(layout: Layout, cells: string[]): Record<string, number | string> {
  const proc: Record<string, number | string> = {};
  layout.columns.forEach((col, i) => {
    const cell = cells[i] ?? "";
    const key = layout.keys[i];
    if (cell === "") return;
    if (MEM_COLUMNS.has(col)) {
      const v = kib(cell);
      if (v === undefined) proc[key] = cell;
      else proc[key] = v;
    } else if (TEXT_COLUMNS.has(col)) {
      const v = col === "PR" ? num(cell) : undefined;
      proc[key] = v ?? cell;
      if (col === "TIME+") {
        const s = seconds(cell);
        if (s !== undefined) proc.time_s = s;
      }
    } else {
      const v = num(cell) ?? count(cell);
      proc[key] = v ?? cell;
    }
  });
  return proc;
}

/**
 * Parses `top -b` output (see {@link TopFacts}). Throws UnrecognisedOutputError when no
 * `top -` line and no process header was found.
 */
export function parseTop(lines: Iterable<string>): ParseResult<TopFacts> {
  const problems = new ProblemLog();
  const iterations: TopIteration[] = [];
  let current: TopIteration | undefined;
  let layout: Layout | undefined;
  let found = false;

  const iteration = (): TopIteration => {
    if (!current) {
      current = { processes: [] };
      iterations.push(current);
    }
    return current;
  };

  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.replace(/\s+$/, "");
    const text = line.trim();
    if (text === "") continue;
    const topLine = TOP_LINE.exec(text) ?? TOP_LINE_LOOSE.exec(text);
    if (topLine) {
      const m = topLine;
      current = { processes: [] };
      iterations.push(current);
      layout = undefined;
      current.time = m[1];
      if (m.length > 3) {
        const up = upSeconds(m[2]);
        if (up !== undefined) current.uptime_s = up;
        current.users = Number(m[3]);
        current.load1 = num(m[4]);
        current.load5 = num(m[5]);
        current.load15 = num(m[6]);
      } else {
        const load = /load averages?:\s*(\S+?),?\s+(\S+?),?\s+(\S+)\s*$/.exec(m[2]);
        if (load)
          [current.load1, current.load5, current.load15] = [
            num(load[1]),
            num(load[2]),
            num(load[3]),
          ];
      }
      found = true;
      continue;
    }
    const tasks = /^(Tasks|Threads):\s*(.*)$/.exec(text);
    const cpu = /^%?Cpu(?:\(s\)|(\d+))\s*:\s*(.*)$/.exec(text);
    const mem = /^(?:([KMGTPE])iB\s+)?(Mem|Swap)\s*:\s*(.*)$/.exec(text);
    if (tasks) {
      const m = tasks;
      const it = iteration();
      for (const p of m[2].matchAll(/(\d+)\s+(total|running|sleeping|stopped|zombie)/g)) {
        it[`tasks_${p[2]}` as "tasks_total"] = Number(p[1]);
      }
      found = true;
      continue;
    }
    if (cpu) {
      const m = cpu;
      const it = iteration();
      const shares = cpuShares(m[2]);
      if (m[1] === undefined) Object.assign(it, shares);
      else {
        it.cpus ??= [];
        it.cpus.push({ cpu: Number(m[1]), ...shares });
      }
      found = true;
      continue;
    }
    if (mem) {
      const m = mem;
      const it = iteration();
      readMemLine(it, m[1], m[2], m[3]);
      found = true;
      continue;
    }
    if (/^PID\s/.test(text) || (/^\S+\s+PID\s/.test(text) && text.includes("COMMAND"))) {
      layout = layoutOf(line);
      iteration();
      found = true;
      continue;
    }
    if (layout) {
      const tokens = fields(line);
      let cells: string[];
      const k = layout.columns.length;
      if (layout.positional) cells = cellsByPosition(line, layout);
      else if (tokens.length === k) cells = tokens;
      else if (tokens.length > k && LEFT_COLUMNS.has(layout.columns[k - 1])) {
        cells = [...tokens.slice(0, k - 1), line.slice(nthFieldStart(line, k - 1)).trim()];
      } else {
        problems.add(n, raw, "process row whose fields do not match the header");
        continue;
      }
      const proc = processOf(layout, cells);
      let bad = false;
      if (typeof proc.pid !== "number") bad = true;
      if (bad) {
        problems.add(n, raw, "process row without a PID");
        continue;
      }
      current!.processes.push(proc as TopProcess);
      continue;
    }
    problems.add(n, raw, "not a top line");
  }
  if (!found) throw new UnrecognisedOutputError("top");
  const facts: TopFacts = { iterations };
  const last = iterations[iterations.length - 1];
  if (last) {
    const { processes, ...summary } = last;
    facts.summary = summary;
    facts.process_count = processes.length;
  }
  return { facts, problems: problems.list() };
}
