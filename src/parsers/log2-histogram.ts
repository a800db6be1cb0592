import { ProblemLog } from "./lines.js";
import { UnrecognisedOutputError } from "./types.js";

/**
 * The power-of-two histograms that bcc and libbpf-tools print (`print_log2_hist` in bcc's
 * src/python/bcc/table.py and libbpf-tools' trace_helpers.c), shared by the runqlat and
 * biolatency parsers:
 *
 * ```
 * disk = 'sda'
 *      usecs               : count     distribution
 *          0 -> 1          : 233      |***********                             |
 *          2 -> 3          : 742      |************************************    |
 * ```
 *
 * A `key = value` section line (`disk = 'sda'`, `disk = sda`, `disk = b'sda'`, `pid = 12929`,
 * `tid = 7`, `pidns = 4026532870`, `flags = Sync-Write`) names the histogram that follows; a
 * bare `HH:MM:SS` line (`-T`) stamps every histogram after it. Bucket bounds are inclusive and
 * in the header's unit (`usecs`, `msecs`, `nsecs`, or any other word such as `kbytes`).
 */

/** One bucket: `low -> high : count`, bounds inclusive, in the histogram's unit. */
export interface Log2Bucket {
  low: number;
  high: number;
  count: number;
}

/** One histogram as printed, with its section labels. */
export interface Log2Histogram {
  /** The header's first word: `usecs`, `msecs`, `nsecs`, ... */
  unit: string;
  /** `key = value` section label printed above the header, when any. */
  section?: { key: string; value: string };
  /** The last `HH:MM:SS` stamp printed before the histogram (`-T`), when any. */
  time?: string;
  /** 1-based line of the header. */
  line: number;
  buckets: Log2Bucket[];
}

/** What one line of histogram output is, or null when it is none of these. */
export type Log2Line =
  | { kind: "header"; unit: string }
  | { kind: "bucket"; low: number; high: number; count: number }
  | { kind: "section"; key: string; value: string }
  | { kind: "time"; time: string };

const HEADER = /^\s*([A-Za-z_][\w-]*)\s+:\s*count\s+distribution\s*$/;
const BUCKET = /^\s*(\d+)\s*->\s*(\d+)\s*:\s*(\d+)\s*(?:\|.*)?$/;
const SECTION = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/;
const TIME = /^\s*(\d{1,2}:\d{2}:\d{2})\s*$/;

/** Classifies one line. Section values lose their quotes (`'sda'`, `b'sda'`). */
export function readLog2Line(line: string): Log2Line | null {
  let m = BUCKET.exec(line);
  if (m) return { kind: "bucket", low: Number(m[1]), high: Number(m[2]), count: Number(m[3]) };
  m = HEADER.exec(line);
  if (m) return { kind: "header", unit: m[1] };
  m = TIME.exec(line);
  if (m) return { kind: "time", time: m[1] };
  m = SECTION.exec(line);
  if (m && m[2] !== "" && !/\s{2,}/.test(m[2])) {
    const value = m[2].replace(/^b?(['"])(.*)\1$/, "$2");
    return { kind: "section", key: m[1], value };
  }
  return null;
}

/**
 * Builds histograms from classified lines, in order. Feed every line that
 * {@link readLog2Line} recognised to {@link Log2HistogramBuilder.accept}; it returns false for
 * a bucket that has no header above it (the caller records that line as a problem).
 */
export class Log2HistogramBuilder {
  readonly histograms: Log2Histogram[] = [];
  private current: Log2Histogram | undefined;
  private section: { key: string; value: string } | undefined;
  private time: string | undefined;

  accept(item: Log2Line, lineNumber: number): boolean {
    switch (item.kind) {
      case "time":
        this.time = item.time;
        this.current = undefined;
        return true;
      case "section":
        this.section = { key: item.key, value: item.value };
        this.current = undefined;
        return true;
      case "header": {
        const h: Log2Histogram = { unit: item.unit, line: lineNumber, buckets: [] };
        if (this.section) h.section = this.section;
        if (this.time !== undefined) h.time = this.time;
        this.section = undefined;
        this.histograms.push(h);
        this.current = h;
        return true;
      }
      case "bucket":
        if (!this.current) return false;
        this.current.buckets.push({ low: item.low, high: item.high, count: item.count });
        return true;
    }
  }
}

/** Sum of the bucket counts. */
export function totalCount(buckets: readonly Log2Bucket[]): number {
  let n = 0;
  for (const b of buckets) n += b.count;
  return n;
}

/**
 * The upper bound of the bucket that holds the `q`-quantile (0 < q <= 1) of the events, in the
 * buckets' unit: an upper estimate, exact to a factor of two. Null for an empty histogram.
 * Buckets must be sorted by `low`.
 */
export function quantileUpper(buckets: readonly Log2Bucket[], q: number): number | null {
  const total = totalCount(buckets);
  if (total === 0) return null;
  const target = q * total;
  let seen = 0;
  for (const b of buckets) {
    seen += b.count;
    if (b.count > 0 && seen >= target) return b.high;
  }
  return buckets[buckets.length - 1].high;
}

/** Upper bound of the highest non-empty bucket, or null when every bucket is empty. */
export function maxUpper(buckets: readonly Log2Bucket[]): number | null {
  let max: number | null = null;
  for (const b of buckets) if (b.count > 0 && (max === null || b.high > max)) max = b.high;
  return max;
}

/** Microseconds per unit for the time units bcc prints; undefined for any other unit. */
export function microsPerUnit(unit: string): number | undefined {
  switch (unit.toLowerCase()) {
    case "nsecs":
    case "ns":
      return 0.001;
    case "usecs":
    case "us":
      return 1;
    case "msecs":
    case "ms":
      return 1000;
    case "secs":
    case "s":
      return 1_000_000;
    default:
      return undefined;
  }
}

/**
 * A bucket's bounds in µs, given `f` µs per unit. A coarser unit's bucket ends just below the
 * next one: msecs `16 -> 31` is 16000..31999 µs, as usecs `16384 -> 32767` ends below 32768.
 */
export function scaleBucket(b: Log2Bucket, f: number): Log2Bucket {
  return { low: b.low * f, high: f > 1 ? (b.high + 1) * f - 1 : b.high * f, count: b.count };
}

/**
 * Adds histograms of any time units into one set of buckets in microseconds (bounds scaled by
 * {@link scaleBucket}; buckets with the same scaled bounds are summed), sorted by `low`. Histograms whose
 * unit is not a time are left out.
 */
export function mergeToMicros(
  histograms: readonly { unit: string; buckets: readonly Log2Bucket[] }[],
): Log2Bucket[] {
  const byBounds = new Map<string, Log2Bucket>();
  for (const h of histograms) {
    const f = microsPerUnit(h.unit);
    if (f === undefined) continue;
    for (const b of h.buckets) {
      const { low, high } = scaleBucket(b, f);
      const key = `${low}:${high}`;
      const seen = byBounds.get(key);
      if (seen) seen.count += b.count;
      else byBounds.set(key, { low, high, count: b.count });
    }
  }
  return [...byBounds.values()].sort((a, b) => a.low - b.low || a.high - b.high);
}

/** The latency summary of one histogram or a merge: total, p50/p99/max upper bounds in µs. */
export interface LatencySummary {
  count: number;
  p50_us: number | null;
  p99_us: number | null;
  max_us: number | null;
}

/** {@link LatencySummary} of buckets in microseconds. */
export function summariseMicros(buckets: readonly Log2Bucket[]): LatencySummary {
  return {
    count: totalCount(buckets),
    p50_us: quantileUpper(buckets, 0.5),
    p99_us: quantileUpper(buckets, 0.99),
    max_us: maxUpper(buckets),
  };
}

/**
 * One latency histogram of a bcc tool (runqlat, biolatency), with the section label it was
 * printed under. Buckets keep the tool's unit; the summary values are in microseconds.
 */
export interface BccLatencyHistogram extends LatencySummary {
  /** `usecs`, `msecs` (`-m`) or `nsecs`, as in the header. */
  unit: string;
  buckets: Log2Bucket[];
  /** `-T` stamp printed above the histogram (`HH:MM:SS`). */
  time?: string;
  /** `disk = 'sda'` (biolatency `-D`). */
  disk?: string;
  /** `flags = Sync-Write` (biolatency `-F`). */
  flags?: string;
  /** `pid = 123` (runqlat `-P`). */
  pid?: number;
  /** `tid = 123` (runqlat `-L`). */
  tid?: number;
  /** `pidns = 4026531836` (runqlat `--pidnss`). */
  pidns?: number;
}

/** A merge of several histograms: buckets in microseconds, with their summary. */
export interface MergedLatency extends LatencySummary {
  unit: "usecs";
  buckets: Log2Bucket[];
}

/** The histograms of one run, in order, plus their merge. */
export interface BccLatencyFacts {
  histograms: BccLatencyHistogram[];
  /** Every time histogram added together (intervals, PIDs, disks), buckets in µs. */
  summary: MergedLatency;
}

const SECTION_KEYS = new Set(["disk", "flags", "pid", "tid", "pidns"]);

/** Lines the tools print around their histograms. */
const TOOL_LINE =
  /^\s*(Tracing .*(Hit Ctrl-C to end\.?|\.\.\.)|\^C|Detaching\.*|Exiting\.*|Hit Ctrl-C to end\.?)\s*$/;

/**
 * Reads bcc/libbpf-tools latency histograms (shared by runqlat and biolatency). Every line
 * that is neither histogram output nor one of the tools' own messages is a problem.
 *
 * @param tool collector id, for the error message.
 * @param extra optional reader for tool-specific lines; returns true when it used the line.
 * @throws UnrecognisedOutputError when no histogram header or bucket line was found.
 */
export function parseBccLatency(
  tool: string,
  lines: Iterable<string>,
  extra?: (line: string, lastHistogram: number) => boolean,
): { facts: BccLatencyFacts; problems: ReturnType<ProblemLog["list"]> } {
  const problems = new ProblemLog();
  const builder = new Log2HistogramBuilder();
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const item = readLog2Line(line);
    if (item && (item.kind !== "section" || SECTION_KEYS.has(item.key))) {
      if (!builder.accept(item, n)) {
        problems.add(n, line, "histogram bucket without a header line above it");
        continue;
      }
      if (item.kind === "header" || item.kind === "bucket") found = true;
      continue;
    }
    if (TOOL_LINE.test(line)) continue;
    if (extra?.(line, builder.histograms.length - 1)) continue;
    problems.add(n, line, `not a line of ${tool} output`);
  }
  if (!found) {
    throw new UnrecognisedOutputError(tool, "no histogram (`usecs : count distribution`) found");
  }
  return {
    facts: {
      histograms: builder.histograms.map(toLatencyHistogram),
      summary: mergeLatency(builder.histograms),
    },
    problems: problems.list(),
  };
}

/** Merges histograms of time units (see {@link mergeToMicros}) and summarises the result. */
export function mergeLatency(
  histograms: readonly { unit: string; buckets: readonly Log2Bucket[] }[],
): MergedLatency {
  const buckets = mergeToMicros(histograms);
  return { unit: "usecs", ...summariseMicros(buckets), buckets };
}

function toLatencyHistogram(h: Log2Histogram): BccLatencyHistogram {
  const f = microsPerUnit(h.unit);
  const s =
    f === undefined
      ? { count: totalCount(h.buckets), p50_us: null, p99_us: null, max_us: null }
      : summariseMicros(h.buckets.map((b) => scaleBucket(b, f)));
  const out: BccLatencyHistogram = { unit: h.unit, ...s, buckets: h.buckets };
  if (h.time !== undefined) out.time = h.time;
  if (h.section) {
    const { key, value } = h.section;
    if (key === "disk" || key === "flags") out[key] = value;
    else if (/^\d+$/.test(value)) out[key as "pid" | "tid" | "pidns"] = Number(value);
  }
  return out;
}
