import { fields, num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts from `free`, in bytes.
 *
 * Command (collector): `free -b`. Sample (procps-ng 3.3+):
 * ```
 *               total        used        free      shared  buff/cache   available
 * Mem:        3861332      222820     3364176       11832      274336     3389588
 * Swap:       2097148           0     2097148
 * ```
 * Yields: `mem_total_bytes = 3954003968`, `mem_available_bytes = 3470938112`.
 * Yields: `swap_used_bytes = 0`, `mem_available_pct = 87.78`.
 * Variants read: procps 3.2 (`buffers cached` columns, `-/+ buffers/cache:` line, no
 * `available`), procps-ng 3.3 and 4, `-w` (`buffers` and `cache` apart), `-l` (`Low:`,
 * `High:`), `-t` (`Total:`), procps 4 `-v` (`Comm:`), `-h` (`1.9G`, `237M`, `268K`, `23Gi`,
 * `585Mi`, `0B`; a plain `G` is read as GiB as procps 3.3 printed it), `-b`/`-k`/`-m`/`-g`.
 *
 * Unit of plain numbers (the output does not print it): bytes when every non-zero value of the
 * `Mem:` row is a multiple of 1024 (what `free -b` prints, since the kernel counts in KiB),
 * else the unit of a pasted `free -m`-style command line above the table, else KiB (free's
 * default). `unit` says which was used and `unit_source` how it was chosen.
 * Source: free(1), procps-ng free.c, proc(5) /proc/meminfo.
 */
export interface FreeFacts {
  mem_total_bytes?: number;
  mem_used_bytes?: number;
  mem_free_bytes?: number;
  mem_shared_bytes?: number;
  /** buff/cache, or buffers + cache(d) when printed apart. */
  mem_buff_cache_bytes?: number;
  mem_buffers_bytes?: number;
  mem_cache_bytes?: number;
  mem_available_bytes?: number;
  /** True when `mem_available_bytes` was not printed (procps 3.2) and is free + buffers + cache. */
  mem_available_estimated?: true;
  /** available / total × 100. */
  mem_available_pct?: number;
  swap_total_bytes?: number;
  swap_used_bytes?: number;
  swap_free_bytes?: number;
  /** swap used / swap total × 100 (absent when there is no swap). */
  swap_used_pct?: number;
  /** procps 3.2 `-/+ buffers/cache:` line: used without and free with buffers and cache. */
  buffers_cache_used_bytes?: number;
  buffers_cache_free_bytes?: number;
  low_total_bytes?: number;
  low_used_bytes?: number;
  low_free_bytes?: number;
  high_total_bytes?: number;
  high_used_bytes?: number;
  high_free_bytes?: number;
  total_total_bytes?: number;
  total_used_bytes?: number;
  total_free_bytes?: number;
  comm_total_bytes?: number;
  comm_used_bytes?: number;
  comm_free_bytes?: number;
  unit: "bytes" | "KiB" | "MiB" | "GiB" | "TiB" | "kB" | "MB" | "GB" | "TB" | "human";
  unit_source: "suffix" | "multiple-of-1024" | "command-line" | "default";
}

const COLUMN_KEYS: Record<string, string> = {
  total: "total",
  used: "used",
  free: "free",
  shared: "shared",
  "buff/cache": "buff_cache",
  buffers: "buffers",
  buff: "buffers",
  cache: "cache",
  cached: "cache",
  available: "available",
  avail: "available",
};

const ROW_PREFIX: Record<string, string> = {
  "Mem:": "mem",
  "Swap:": "swap",
  "Low:": "low",
  "High:": "high",
  "Total:": "total",
  "Comm:": "comm",
};

const HUMAN = /^(\d+(?:[.,]\d+)?)(B|[KMGTPE]i?)?$/;
const POWER: Record<string, number> = { K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** Bytes of a `-h` token (`1.9G`, `585Mi`, `0B`), or undefined when it has no suffix. */
function humanBytes(token: string): number | undefined {
  const m = HUMAN.exec(token);
  if (!m || m[2] === undefined) return undefined;
  const v = num(m[1]);
  if (v === undefined) return undefined;
  if (m[2] === "B") return v;
  return Math.round(v * 1024 ** POWER[m[2][0]]);
}

type Unit = FreeFacts["unit"];
const FACTORS: Record<string, number> = {
  bytes: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  kB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

/** The unit a pasted `free` command line asks for, if any. */
function unitOfCommand(cmd: string): Unit | undefined {
  const si = /--si\b/.test(cmd);
  const flags = ` ${cmd} `;
  if (/\s(-[a-z]*b[a-z]*|--bytes)\s/.test(flags)) return "bytes";
  if (/\s(-[a-z]*k[a-z]*|--kilo|--kibi)\s/.test(flags)) return si ? "kB" : "KiB";
  if (/\s(-[a-z]*m[a-z]*|--mega|--mebi)\s/.test(flags)) return si ? "MB" : "MiB";
  if (/\s(-[a-z]*g[a-z]*|--giga|--gibi)\s/.test(flags)) return si ? "GB" : "GiB";
  if (/\s(--tera|--tebi)\s/.test(flags)) return si ? "TB" : "TiB";
  return undefined;
}

/**
 * Parses `free` output (see {@link FreeFacts}). Throws UnrecognisedOutputError when no
 * `Mem:` or `Swap:` line was found.
 */
export function parseFree(lines: Iterable<string>): ParseResult<FreeFacts> {
  const problems = new ProblemLog();
  let columns: string[] | undefined;
  let commandUnit: Unit | undefined;
  let human = false;
  /** Raw values per fact key (before the unit is known). */
  const raw = new Map<string, number>();
  let found = false;

  let n = 0;
  for (const line of lines) {
    n++;
    const text = line.trim();
    if (text === "") continue;
    const tokens = fields(text);
    if (tokens[0] === "total" && tokens.includes("used")) {
      columns = tokens.map((t) => COLUMN_KEYS[t] ?? t.replace(/[^A-Za-z0-9]+/g, "_"));
      continue;
    }
    if (text.startsWith("-/+ buffers/cache:")) {
      const rest = fields(text.slice("-/+ buffers/cache:".length));
      const vals = rest.map((t) => humanBytes(t) ?? num(t));
      if (rest.some((t) => humanBytes(t) !== undefined)) human = true;
      if (vals.length === 2 && vals.every((v) => v !== undefined)) {
        raw.set("buffers_cache_used", vals[0]!);
        raw.set("buffers_cache_free", vals[1]!);
        continue;
      }
      problems.add(n, line, "-/+ buffers/cache line with unreadable values");
      continue;
    }
    const prefix = ROW_PREFIX[tokens[0]];
    if (prefix) {
      const cols = columns ?? ["total", "used", "free", "shared", "buffers", "cache"];
      const values = tokens.slice(1);
      if (values.length > cols.length) {
        problems.add(n, line, "free row with more values than its header");
        continue;
      }
      const parsed = values.map((t) => {
        const h = humanBytes(t);
        if (h !== undefined) human = true;
        return h ?? num(t);
      });
      if (parsed.some((v) => v === undefined)) {
        problems.add(n, line, "free row with a value that is not a number");
        continue;
      }
      parsed.forEach((v, i) => {
        raw.set(`${prefix}_${cols[i]}`, v!);
      });
      found = true;
      continue;
    }
    // The command line above a pasted table (`$ free -m`) is read, not skipped, when it gives
    // the unit; any other prompt is skipped and recorded.
    const prompt = /^\S*[$#>]\s+(.*\bfree\b.*)$/.exec(text);
    const unit = prompt ? unitOfCommand(prompt[1]) : undefined;
    if (unit) {
      commandUnit = unit;
      continue;
    }
    problems.add(n, line, prompt ? "shell prompt, not free output" : "not a free line");
  }
  if (!found) throw new UnrecognisedOutputError("free");

  let unit: Unit;
  let source: FreeFacts["unit_source"];
  // The Mem: row alone decides: it comes first, so a cut last row (Swap:, Total:) cannot turn
  // every value of the table 1024 times larger or smaller.
  const nonZero = [...raw].filter(([k, v]) => k.startsWith("mem_") && v !== 0).map(([, v]) => v);
  if (human) {
    unit = "human";
    source = "suffix";
  } else if (
    nonZero.length > 0 &&
    nonZero.every((v) => Number.isInteger(v) && v % 1024 === 0) &&
    (raw.get("mem_total") ?? 0) >= 1 << 24
  ) {
    unit = "bytes";
    source = "multiple-of-1024";
  } else if (commandUnit) {
    unit = commandUnit;
    source = "command-line";
  } else {
    unit = "KiB";
    source = "default";
  }
  const factor = unit === "human" ? 1 : FACTORS[unit];
  const facts: FreeFacts = { unit, unit_source: source };
  const out = facts as unknown as Record<string, number | string | boolean>;
  for (const [key, v] of raw) out[`${key}_bytes`] = Math.round(v * factor);

  if (facts.mem_buff_cache_bytes === undefined) {
    if (facts.mem_buffers_bytes !== undefined || facts.mem_cache_bytes !== undefined) {
      facts.mem_buff_cache_bytes = (facts.mem_buffers_bytes ?? 0) + (facts.mem_cache_bytes ?? 0);
    }
  }
  if (
    facts.mem_available_bytes === undefined &&
    facts.mem_free_bytes !== undefined &&
    facts.mem_buff_cache_bytes !== undefined
  ) {
    facts.mem_available_bytes = facts.mem_free_bytes + facts.mem_buff_cache_bytes;
    facts.mem_available_estimated = true;
  }
  if (facts.mem_available_bytes !== undefined && facts.mem_total_bytes) {
    facts.mem_available_pct =
      Math.round((facts.mem_available_bytes / facts.mem_total_bytes) * 10000) / 100;
  }
  if (facts.swap_total_bytes && facts.swap_used_bytes !== undefined) {
    facts.swap_used_pct =
      Math.round((facts.swap_used_bytes / facts.swap_total_bytes) * 10000) / 100;
  }
  return { facts, problems: problems.list() };
}
