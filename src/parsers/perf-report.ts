import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One entry (histogram row) of `perf report`. Text columns are named after the header
 * (`Command`, `Shared Object`, `Symbol`, `Pid:Command` → `pid` + `command`, any other column
 * in snake_case).
 */
export interface PerfReportRow {
  /** Self overhead: the share of samples in this entry itself (`Overhead`, or `Self`). */
  overhead_pct: number;
  /** `Children`: the share including callees (when call chains were recorded). */
  children_pct?: number;
  /** `-n`: sample count. */
  samples?: number;
  /** `--show-total-period`: period sum. */
  period?: number;
  command?: string;
  pid?: number;
  shared_object?: string;
  /** Symbol name without its `[k]` / `[.]` level marker. */
  symbol?: string;
  /** True for kernel code: `[k]` marker, or a `[kernel.*]` shared object without symbol. */
  kernel: boolean;
  /** The event the row belongs to, when the report holds several (`# Samples: ... of event`). */
  event?: string;
  [column: string]: string | number | boolean | undefined;
}

/**
 * Where CPU time (or another sampled event) went, from `perf report --stdio`
 * (tools/perf/Documentation/perf-report.txt):
 *
 * ```
 * # Samples: 16K of event 'cpu-clock:pppH'
 * # Event count (approx.): 4000750000
 * #
 * # Children      Self  Command  Shared Object      Symbol
 * # ........  ........  .......  .................  ..................
 * #
 *     22.60%    12.87%  dd       [kernel.kallsyms]  [k] do_syscall_64
 *             |
 *             ---do_syscall_64
 *                |--6.11%--ksys_read
 * ```
 * Yields: `samples = 16000`, `rows[0].overhead_pct = 12.87`, `rows[0].symbol = "do_syscall_64"`.
 * Yields: `rows[0].command = "dd"`.
 *
 * Variants: `Overhead` alone (`--no-children`, or no call chains), `Children  Self`, `-n`
 * (`Samples`), `--sort` with other columns (`Pid:Command`, `Shared Object` only, ...), the
 * TUI's text copy (header without `#`, rows led by `-`/`+`, children as `- 59.34% sym`),
 * call-graph lines (`|`, `---`, `--N%--`, plain frames, `-g folded` lines): these are read
 * only for `callchain_top` and are never problems. A command may hold spaces.
 *
 * Facts: every row; `samples` (as printed, `16K` → 16000, so approximate), `event`,
 * `event_count`; for the first event: the symbols and commands with the highest self
 * overhead (top 10, rows of the same symbol and object added), kernel and user shares of
 * the self overhead, and `callchain_top` (the call-graph frames with the highest percentage
 * seen in any chain, top 20; in perf's default `graph` mode those are shares of all samples).
 */
export interface PerfReportFacts {
  event: string | null;
  samples: number | null;
  event_count: number | null;
  lost_samples: number | null;
  events: { event: string; samples: number | null; event_count: number | null }[];
  rows: PerfReportRow[];
  top_symbols: {
    symbol: string;
    shared_object: string | null;
    kernel: boolean;
    overhead_pct: number;
  }[];
  top_commands: { command: string; overhead_pct: number }[];
  /** Sum of the self overhead of kernel rows, percent. */
  kernel_pct: number;
  /** Sum of the self overhead of the other rows, percent. */
  user_pct: number;
  callchain_top: { symbol: string; pct: number }[];
}

type Kind = "pct" | "int" | "text";
interface Column {
  name: string;
  kind: Kind;
  /** The fact key: the name in snake_case. */
  key: string;
}

const PCT_COLUMNS = new Set([
  "overhead",
  "children",
  "self",
  "sys",
  "usr",
  "guest sys",
  "guest usr",
]);
const INT_COLUMNS = new Set(["samples", "period"]);
const HEADER = /^#?\s*(Children\s+Self|Overhead)(\s|$)/;
const PCT = /^(\d+(?:\.\d+)?)%$/;
const MARKER = /(?:^|\s)\[([.kguH])\] /;
const SAMPLES = /^#\s*Samples:\s*(\d+(?:\.\d+)?)([KMGT]?)\s+of event '([^']*)'/;
const EVENT_COUNT = /^#\s*Event count \(approx\.\):\s*(\d+)/;
const LOST = /^#\s*Total Lost Samples:\s*(\d+)/;
const CHAIN_PCT = [
  /--(\d+(?:\.\d+)?)%--(.+?)\s*$/, // |--6.11%--ksys_read
  /^\s*[-+]?\s*(\d+(?:\.\d+)?)%\s+([^;]+?)\s*$/, // TUI: - 79.77% entry_SYSCALL_64 (not folded a;b)
];
const MAX_CHAIN_SYMBOLS = 5000;

function snake(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

function headerColumns(line: string): Column[] {
  return line
    .replace(/^#/, "")
    .trim()
    .split(/\s{2,}/)
    .map((name) => {
      const key = name.toLowerCase();
      const kind: Kind = PCT_COLUMNS.has(key) ? "pct" : INT_COLUMNS.has(key) ? "int" : "text";
      return { name, kind, key: snake(name) };
    });
}

/** Reads a row against the header, or returns null when the line is not one. */
function readRow(line: string, columns: Column[]): PerfReportRow | null {
  let rest = /^[-+]\s/.test(line) ? line.slice(1) : line; // TUI fold marker
  const values: Record<string, string | number> = {};
  for (const col of columns) {
    if (col.kind === "text") break;
    const m = /^\s*(\S+)/.exec(rest);
    if (!m) return null;
    if (col.kind === "pct") {
      const p = PCT.exec(m[1]);
      if (!p) return null;
      values[col.name.toLowerCase()] = Number(p[1]);
    } else {
      if (!/^\d+$/.test(m[1])) return null;
      values[col.name.toLowerCase()] = Number(m[1]);
    }
    rest = rest.slice(m[0].length);
  }
  const textCols = columns.filter((c) => c.kind === "text");
  const text = assignText(rest.trim(), textCols);
  if (!text) return null;
  const overhead = values.self ?? values.overhead;
  if (typeof overhead !== "number") return null;
  const row: PerfReportRow = { overhead_pct: overhead, kernel: false };
  if (typeof values.children === "number") row.children_pct = values.children;
  for (const col of columns) {
    const key = col.name.toLowerCase();
    if (col.kind === "int") row[col.key] = values[key] as number;
    else if (col.kind === "pct" && !["overhead", "self", "children"].includes(key)) {
      row[`${col.key}_pct`] = values[key] as number;
    }
  }
  for (const [key, value] of Object.entries(text.cells)) {
    if (key === "pid_command") {
      const m = /^\s*(\d+):(.*)$/.exec(value);
      if (m) {
        row.pid = Number(m[1]);
        row.command = m[2].trim();
      } else row.command = value;
    } else row[key] = value;
  }
  if (text.level !== undefined) row.kernel = text.level === "k";
  else if (typeof row.shared_object === "string") row.kernel = /^\[kernel/.test(row.shared_object);
  return row;
}

/**
 * Splits the text part of a row into its columns. The `Symbol` column is found by its level
 * marker (`[k] `, `[.] `); the others are separated by two or more blanks, or, for
 * `Command  Shared Object`, by the last blank (a command may hold single spaces).
 */
function assignText(
  rest: string,
  cols: Column[],
): { cells: Record<string, string>; level?: string } | null {
  const cells: Record<string, string> = {};
  if (cols.length === 0) return rest === "" ? { cells } : null;
  const symAt = cols.findIndex((c) => c.name === "Symbol");
  let level: string | undefined;
  let before = rest;
  let beforeCols = cols;
  if (symAt !== -1) {
    const m = MARKER.exec(rest);
    if (!m) return null;
    level = m[1];
    const symbolStart = m.index + m[0].length;
    const afterSym = rest.slice(symbolStart);
    before = rest.slice(0, m.index).trim();
    beforeCols = cols.slice(0, symAt);
    const afterCols = cols.slice(symAt + 1);
    const parts = afterSym.trim().split(/\s{2,}/);
    if (afterCols.length > 0 && parts.length !== afterCols.length + 1) return null;
    cells.symbol = parts[0].trim();
    afterCols.forEach((c, i) => {
      cells[c.key] = parts[i + 1];
    });
  }
  if (beforeCols.length === 0) {
    if (before !== "") return null;
  } else {
    let parts = before === "" ? [] : before.split(/\s{2,}/);
    if (parts.length !== beforeCols.length) {
      if (beforeCols.length !== 2 || parts.length < 1) return null;
      const i = before.lastIndexOf(" ");
      if (i < 0) return null;
      parts = [before.slice(0, i).trim(), before.slice(i + 1)];
    }
    beforeCols.forEach((c, i) => {
      cells[c.key] = parts[i].trim();
    });
  }
  return { cells, level };
}

function scaled(n: string, unit: string): number {
  const f = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[unit] ?? 1;
  return Math.round(Number(n) * f);
}

/**
 * Parses `perf report --stdio` output (or the TUI's text copy).
 * @throws UnrecognisedOutputError when no header, row or `# Samples:` line was found.
 */
export function parsePerfReport(lines: Iterable<string>): ParseResult<PerfReportFacts> {
  const problems = new ProblemLog();
  const rows: PerfReportRow[] = [];
  const events: PerfReportFacts["events"] = [];
  const chain = new Map<string, number>();
  let lost: number | null = null;
  let columns: Column[] | null = null;
  let currentEvent: string | undefined;
  let seenRow = false;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const t = line.trim();
    if (t === "") continue;
    if (HEADER.test(t)) {
      columns = headerColumns(t);
      found = true;
      continue;
    }
    if (t.startsWith("#")) {
      const samples = SAMPLES.exec(t);
      const count = samples ? null : EVENT_COUNT.exec(t);
      const lostLine = samples || count ? null : LOST.exec(t);
      if (samples) {
        currentEvent = samples[3];
        events.push({
          event: samples[3],
          samples: scaled(samples[1], samples[2]),
          event_count: null,
        });
        found = true;
      } else if (count) {
        if (events.length > 0) events[events.length - 1].event_count = Number(count[1]);
      } else if (lostLine) {
        lost = (lost ?? 0) + Number(lostLine[1]);
      } else if (/^#\s*(sudo\s+)?\S*perf\s+(record|report)\b/.test(t)) {
        problems.add(n, line, "a shell prompt, not perf report output");
      }
      continue;
    }
    const row = columns ? readRow(line, columns) : null;
    if (row) {
      if (currentEvent !== undefined && events.length > 1) row.event = currentEvent;
      rows.push(row);
      seenRow = true;
      found = true;
      continue;
    }
    if (seenRow && isTreeLine(line)) {
      readChain(line, chain);
      continue;
    }
    problems.add(
      n,
      line,
      columns ? "not a perf report row or call-graph line" : "row before the header",
    );
  }
  if (!found) throw new UnrecognisedOutputError("perf-report");
  if (events.length > 1) {
    // rows before the second `# Samples:` line belong to the first event
    const first = events[0].event;
    for (const r of rows) r.event ??= first;
  }
  return { facts: summarise(rows, events, lost, chain), problems: problems.list() };
}

/** Call-graph lines: tree drawing, plain indented frames, TUI children, folded stacks. */
function isTreeLine(line: string): boolean {
  const t = line.trim();
  if (/^(\||---|--\d)/.test(t)) return true;
  if (/^[-+]?\s*\d+(\.\d+)?%(\s+\S.*)?$/.test(t)) return true; // TUI child, flat, folded
  return /^\s{2,}\S/.test(line) && !/\s{2,}\S.*\s{2,}/.test(t); // an indented frame name
}

function readChain(line: string, chain: Map<string, number>): void {
  for (const re of CHAIN_PCT) {
    const m = re.exec(line);
    if (!m) continue;
    const pct = Number(m[1]);
    const seen = chain.get(m[2]);
    if (seen !== undefined) {
      if (pct > seen) chain.set(m[2], pct);
    } else if (chain.size < MAX_CHAIN_SYMBOLS) chain.set(m[2], pct);
    return;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function summarise(
  rows: PerfReportRow[],
  events: PerfReportFacts["events"],
  lost: number | null,
  chain: Map<string, number>,
): PerfReportFacts {
  const first = events[0]?.event;
  const mine = rows.filter((r) => r.event === undefined || r.event === first);
  const bySymbol = new Map<string, PerfReportFacts["top_symbols"][number]>();
  const byCommand = new Map<string, number>();
  let kernel = 0;
  let user = 0;
  for (const r of mine) {
    if (r.kernel) kernel += r.overhead_pct;
    else user += r.overhead_pct;
    if (r.command !== undefined) {
      byCommand.set(r.command, (byCommand.get(r.command) ?? 0) + r.overhead_pct);
    }
    if (r.symbol !== undefined) {
      const key = `${r.symbol}\u0000${r.shared_object ?? ""}`;
      const s = bySymbol.get(key);
      if (s) s.overhead_pct += r.overhead_pct;
      else
        bySymbol.set(key, {
          symbol: r.symbol,
          shared_object: r.shared_object ?? null,
          kernel: r.kernel,
          overhead_pct: r.overhead_pct,
        });
    }
  }
  const topSymbols = [...bySymbol.values()]
    .map((s) => ({ ...s, overhead_pct: round2(s.overhead_pct) }))
    .sort((a, b) => b.overhead_pct - a.overhead_pct || a.symbol.localeCompare(b.symbol))
    .slice(0, 10);
  const topCommands = [...byCommand]
    .map(([command, pct]) => ({ command, overhead_pct: round2(pct) }))
    .sort((a, b) => b.overhead_pct - a.overhead_pct || a.command.localeCompare(b.command))
    .slice(0, 10);
  const callchainTop = [...chain]
    .map(([symbol, pct]) => ({ symbol, pct }))
    .sort((a, b) => b.pct - a.pct || a.symbol.localeCompare(b.symbol))
    .slice(0, 20);
  return {
    event: events[0]?.event ?? null,
    samples: events[0]?.samples ?? null,
    event_count: events[0]?.event_count ?? null,
    lost_samples: lost,
    events,
    rows,
    top_symbols: topSymbols,
    top_commands: topCommands,
    kernel_pct: round2(kernel),
    user_pct: round2(user),
    callchain_top: callchainTop,
  };
}
