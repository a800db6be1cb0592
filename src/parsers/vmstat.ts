import { fields, num, ProblemLog } from "./lines.js";
import { round } from "./sysstat.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One `vmstat` line. Memory columns (`swpd free buff cache inact active`) are in KiB unless
 * the run used `-S` (output does not say); `si so` are KiB/s swapped in/out, `bi bo` blocks
 * (KiB) per second, `in cs` interrupts and context switches per second, `us sy id wa st gu`
 * % of CPU time. The first line of a run holds averages since boot (`since_boot`).
 */
export interface VmstatRow {
  since_boot?: true;
  r?: number;
  b?: number;
  swpd?: number;
  free?: number;
  buff?: number;
  cache?: number;
  inact?: number;
  active?: number;
  si?: number;
  so?: number;
  bi?: number;
  bo?: number;
  in?: number;
  cs?: number;
  us?: number;
  sy?: number;
  id?: number;
  wa?: number;
  st?: number;
  /** Guest time (procps 4.0.3+). */
  gu?: number;
  /** `-t`: `YYYY-MM-DD HH:MM:SS` and the time zone of the header. */
  timestamp?: string;
  tz?: string;
  [other: string]: number | string | boolean | undefined;
}

/**
 * One `vmstat -d` line: counters since boot for one disk (reads/writes: completed, merged,
 * sectors, ms spent; IO: in progress now, seconds spent doing I/O).
 */
export interface VmstatDiskRow {
  /** 0-based index of the `-d` report (one per interval). */
  report: number;
  device: string;
  reads_total: number;
  reads_merged: number;
  reads_sectors: number;
  reads_ms: number;
  writes_total: number;
  writes_merged: number;
  writes_sectors: number;
  writes_ms: number;
  io_cur: number;
  io_s: number;
  timestamp?: string;
  tz?: string;
}

/**
 * Facts from `vmstat` (procps 3.2, procps-ng 3.3 and 4).
 *
 * Command (collector): `vmstat 1 N+1` (the first line is since boot). Sample:
 * ```
 * procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----
 *  r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st
 *  1  0      0 24232596   3488 351580    0    0  1193  1889  559 1456 14  8 77  0  0
 *  1  0      0 24232596   3488 351580    0    0     0     0   62   96  0  1 100  0  0
 * ```
 * Yields: `rows[0].r = 1`, `rows[0].free = 24232596`, `rows[0].bi = 1193`, `rows[0].cs = 1456`.
 * Variants read: `-a` (inact/active), `-w` and extra-wide, `-t` (timestamp and zone), `-S`
 * (units not visible), `gu` (procps 4), repeated headers, `-d` disk mode (`-dt`), several
 * `-d` reports. Source: vmstat(8), procps-ng vmstat.c.
 *
 * The means are over the interval rows (every row but the first). When the output has only
 * the since-boot row they are taken from it and `means_since_boot` is true.
 */
export interface VmstatFacts {
  rows: VmstatRow[];
  /** Rows the means are taken over. */
  samples: number;
  means_since_boot?: true;
  r_mean?: number;
  r_max?: number;
  b_mean?: number;
  b_max?: number;
  si_per_s?: number;
  so_per_s?: number;
  bi_per_s?: number;
  bo_per_s?: number;
  in_per_s?: number;
  cs_per_s?: number;
  us_pct?: number;
  sy_pct?: number;
  id_pct?: number;
  wa_pct?: number;
  wa_pct_max?: number;
  st_pct?: number;
  st_pct_max?: number;
  gu_pct?: number;
  /** Lowest `free` seen (same unit as the rows). */
  free_min?: number;
  disks: VmstatDiskRow[];
}

const DISK_KEYS = [
  "reads_total",
  "reads_merged",
  "reads_sectors",
  "reads_ms",
  "writes_total",
  "writes_merged",
  "writes_sectors",
  "writes_ms",
  "io_cur",
  "io_s",
] as const;

const KNOWN = new Set([
  "r",
  "b",
  "swpd",
  "free",
  "buff",
  "cache",
  "inact",
  "active",
  "si",
  "so",
  "bi",
  "bo",
  "in",
  "cs",
  "us",
  "sy",
  "id",
  "wa",
  "st",
  "gu",
]);

function mean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return round(values.reduce((a, b) => a + b, 0) / values.length, 2);
}

/**
 * Parses vmstat output (see {@link VmstatFacts}). Throws UnrecognisedOutputError when no
 * vmstat header was found.
 */
export function parseVmstat(lines: Iterable<string>): ParseResult<VmstatFacts> {
  const problems = new ProblemLog();
  const rows: VmstatRow[] = [];
  const disks: VmstatDiskRow[] = [];
  let found = false;
  let mode: "none" | "await-columns" | "rows" | "await-disk-columns" | "disk" = "none";
  let columns: string[] = [];
  let timestamped = false;
  let tz: string | undefined;
  let diskReport = -1;

  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.trim();
    if (line === "") continue;
    const tokens = fields(line);

    if (/^-*procs\b/.test(line)) {
      mode = "await-columns";
      timestamped = line.includes("timestamp");
      found = true;
      continue;
    }
    if (/^disk-/.test(line)) {
      mode = "await-disk-columns";
      timestamped = line.includes("timestamp");
      diskReport++;
      found = true;
      continue;
    }
    if (mode === "await-columns") {
      if (tokens[0] === "r" && tokens[1] === "b") {
        columns = timestamped ? tokens.slice(0, -1) : tokens;
        tz = timestamped ? tokens[tokens.length - 1] : undefined;
        mode = "rows";
        continue;
      }
      problems.add(n, raw, "vmstat column names expected after the procs header");
      mode = "none";
      continue;
    }
    if (mode === "await-disk-columns") {
      if (tokens[0] === "total" && tokens.includes("merged")) {
        tz = timestamped ? tokens[tokens.length - 1] : undefined;
        mode = "disk";
        continue;
      }
      problems.add(n, raw, "vmstat -d column names expected after the disk header");
      mode = "none";
      continue;
    }
    if (mode === "rows") {
      const want = columns.length + (timestamped ? 2 : 0);
      const values = tokens.slice(0, columns.length).map((t) => num(t));
      if (tokens.length !== want || values.some((v) => v === undefined)) {
        problems.add(n, raw, "vmstat row whose fields do not match its header");
        continue;
      }
      const row: VmstatRow = {};
      if (rows.length === 0) row.since_boot = true;
      columns.forEach((c, i) => {
        row[KNOWN.has(c) ? c : c.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase()] = values[i];
      });
      if (timestamped) {
        row.timestamp = tokens.slice(columns.length).join(" ");
        if (tz) row.tz = tz;
      }
      rows.push(row);
      continue;
    }
    if (mode === "disk") {
      const want = 1 + DISK_KEYS.length + (timestamped ? 2 : 0);
      const values = tokens.slice(1, 1 + DISK_KEYS.length).map((t) => num(t));
      if (tokens.length !== want || values.some((v) => v === undefined)) {
        problems.add(n, raw, "vmstat -d row whose fields do not match its header");
        continue;
      }
      const row = { report: diskReport, device: tokens[0] } as VmstatDiskRow;
      DISK_KEYS.forEach((k, i) => {
        row[k] = values[i]!;
      });
      if (timestamped) {
        row.timestamp = tokens.slice(1 + DISK_KEYS.length).join(" ");
        if (tz) row.tz = tz;
      }
      disks.push(row);
      continue;
    }
    problems.add(n, raw, "not a vmstat line");
  }
  if (!found) throw new UnrecognisedOutputError("vmstat");

  const interval = rows.length > 1 ? rows.slice(1) : rows;
  const facts: VmstatFacts = { rows, samples: interval.length, disks };
  if (rows.length === 1) facts.means_since_boot = true;
  const col = (k: string) =>
    interval.map((r) => r[k]).filter((v): v is number => typeof v === "number");
  const put = (key: keyof VmstatFacts, v: number | undefined) => {
    if (v !== undefined) (facts as unknown as Record<string, number>)[key] = v;
  };
  const maxOf = (values: number[]) => (values.length ? Math.max(...values) : undefined);
  if (interval.length) {
    put("r_mean", mean(col("r")));
    put("r_max", maxOf(col("r")));
    put("b_mean", mean(col("b")));
    put("b_max", maxOf(col("b")));
    put("si_per_s", mean(col("si")));
    put("so_per_s", mean(col("so")));
    put("bi_per_s", mean(col("bi")));
    put("bo_per_s", mean(col("bo")));
    put("in_per_s", mean(col("in")));
    put("cs_per_s", mean(col("cs")));
    put("us_pct", mean(col("us")));
    put("sy_pct", mean(col("sy")));
    put("id_pct", mean(col("id")));
    put("wa_pct", mean(col("wa")));
    put("wa_pct_max", maxOf(col("wa")));
    put("st_pct", mean(col("st")));
    put("st_pct_max", maxOf(col("st")));
    put("gu_pct", mean(col("gu")));
    const free = rows.map((r) => r.free).filter((v): v is number => v !== undefined);
    put("free_min", free.length ? Math.min(...free) : undefined);
  }
  return { facts, problems: problems.list() };
}
