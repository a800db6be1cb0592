import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One line of /proc/diskstats: counters since boot for one block device or partition.
 * Sectors are 512 bytes whatever the device's sector size; times are in ms.
 */
export interface DiskstatsRow {
  major: number;
  minor: number;
  device: string;
  /** How many counters the line had: 4 (partitions before 2.6.25), 11, 15 (4.18+) or 17 (5.5+). */
  fields: number;
  reads_completed?: number;
  reads_merged?: number;
  sectors_read?: number;
  read_ms?: number;
  writes_completed?: number;
  writes_merged?: number;
  sectors_written?: number;
  write_ms?: number;
  /** Gauge: I/Os in flight now. */
  ios_in_progress?: number;
  /** ms during which the device had I/O in flight (basis of %util). */
  io_ms?: number;
  /** Sum over I/Os of their time in flight, ms (basis of aqu-sz). */
  weighted_io_ms?: number;
  discards_completed?: number;
  discards_merged?: number;
  sectors_discarded?: number;
  discard_ms?: number;
  flushes_completed?: number;
  flush_ms?: number;
}

/**
 * Facts from `/proc/diskstats`: every field of every line.
 *
 * Command (collector): `cat /proc/diskstats`, read at the start and the end of the window.
 * Sample (Linux 5.5+, 20 fields):
 * ```
 *  254       0 vda 31189 6373 1859874 5314 45633 19182 26880808 25952 0 12324 33058 12531 41 8731184 1614 7698 177
 * ```
 * Yields: `devices[0].device = "vda"`, `devices[0].reads_completed = 31189`.
 * Yields: `devices[0].sectors_written = 26880808`, `devices[0].io_ms = 12324`.
 * Variants read: 14 fields (up to 4.17), 18 (4.18+: discards), 20 (5.5+: flushes), and the
 * 7-field partition lines of kernels before 2.6.25 (reads, sectors read, writes, sectors
 * written). Rates come from {@link diskstatsDelta}.
 * Source: kernel Documentation/admin-guide/iostats.rst, Documentation/ABI/testing/procfs-diskstats.
 */
export interface DiskstatsFacts {
  devices: DiskstatsRow[];
}

const KEYS = [
  "reads_completed",
  "reads_merged",
  "sectors_read",
  "read_ms",
  "writes_completed",
  "writes_merged",
  "sectors_written",
  "write_ms",
  "ios_in_progress",
  "io_ms",
  "weighted_io_ms",
  "discards_completed",
  "discards_merged",
  "sectors_discarded",
  "discard_ms",
  "flushes_completed",
  "flush_ms",
] as const;
const OLD_PARTITION_KEYS = [
  "reads_completed",
  "sectors_read",
  "writes_completed",
  "sectors_written",
] as const;

/**
 * Parses /proc/diskstats (see {@link DiskstatsFacts}). Throws UnrecognisedOutputError when no
 * diskstats line was found. Empty output (no block devices) is also unrecognised.
 */
export function parseDiskstats(lines: Iterable<string>): ParseResult<DiskstatsFacts> {
  const problems = new ProblemLog();
  const devices: DiskstatsRow[] = [];
  let n = 0;
  for (const line of lines) {
    n++;
    const t = fields(line);
    if (t.length === 0) continue;
    const counters = t.slice(3);
    const ok =
      t.length >= 7 &&
      /^\d+$/.test(t[0]) &&
      /^\d+$/.test(t[1]) &&
      counters.every((c) => /^\d+$/.test(c)) &&
      (counters.length === 4 || counters.length >= 11);
    if (!ok) {
      problems.add(n, line, "not a /proc/diskstats line");
      continue;
    }
    const row: DiskstatsRow = {
      major: Number(t[0]),
      minor: Number(t[1]),
      device: t[2],
      fields: counters.length,
    };
    const keys: readonly (keyof DiskstatsRow)[] = counters.length === 4 ? OLD_PARTITION_KEYS : KEYS;
    counters.slice(0, keys.length).forEach((c, i) => {
      (row as unknown as Record<string, number>)[keys[i]] = Number(c);
    });
    devices.push(row);
  }
  if (devices.length === 0) throw new UnrecognisedOutputError("diskstats");
  return { facts: { devices }, problems: problems.list() };
}

/**
 * Per-device rates over a window, computed as iostat -x computes them (sysstat
 * rd_stats/compute_ext_disk_stats). Sizes in kB (sectors ÷ 2), times in ms.
 */
export interface DiskstatsRate {
  device: string;
  r_per_s: number;
  w_per_s: number;
  d_per_s?: number;
  f_per_s?: number;
  rrqm_per_s: number;
  wrqm_per_s: number;
  r_kb_per_s: number;
  w_kb_per_s: number;
  d_kb_per_s?: number;
  /** Mean time of the reads completed in the window, queueing included (0 without reads). */
  r_await_ms: number;
  w_await_ms: number;
  d_await_ms?: number;
  f_await_ms?: number;
  /** Mean over reads, writes and discards together. */
  await_ms: number;
  rareq_sz_kb: number;
  wareq_sz_kb: number;
  /** Mean number of requests in flight (Δ weighted_io_ms ÷ window ms). */
  aqu_sz: number;
  /** Share of the window with I/O in flight (Δ io_ms ÷ window ms × 100, at most 100). */
  util_pct: number;
  /** I/Os in flight at the end of the window. */
  ios_in_progress?: number;
}

function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * Turns a start and an end /proc/diskstats snapshot into per-device rates over `seconds`
 * (see {@link DiskstatsRate}). Devices present in only one snapshot, and devices whose
 * counters went backwards (a device re-created, or 32-bit counters that wrapped), are left
 * out. Returns an empty list when `seconds` is not above 0.
 */
export function diskstatsDelta(
  start: DiskstatsFacts,
  end: DiskstatsFacts,
  seconds: number,
): DiskstatsRate[] {
  if (!(seconds > 0)) return [];
  const before = new Map(start.devices.map((d) => [`${d.major}:${d.minor}:${d.device}`, d]));
  const out: DiskstatsRate[] = [];
  const ms = seconds * 1000;
  for (const e of end.devices) {
    const s = before.get(`${e.major}:${e.minor}:${e.device}`);
    if (!s || s.fields !== e.fields) continue;
    const d = (k: (typeof KEYS)[number]) =>
      s[k] !== undefined && e[k] !== undefined ? e[k]! - s[k]! : undefined;
    const deltas = KEYS.filter((k) => k !== "ios_in_progress").map((k) => d(k));
    if (deltas.some((x) => x !== undefined && x < 0)) continue;
    const reads = d("reads_completed") ?? 0;
    const writes = d("writes_completed") ?? 0;
    const discards = d("discards_completed");
    const flushes = d("flushes_completed");
    const readMs = d("read_ms") ?? 0;
    const writeMs = d("write_ms") ?? 0;
    const discardMs = d("discard_ms");
    const rate: DiskstatsRate = {
      device: e.device,
      r_per_s: r2(reads / seconds),
      w_per_s: r2(writes / seconds),
      rrqm_per_s: r2((d("reads_merged") ?? 0) / seconds),
      wrqm_per_s: r2((d("writes_merged") ?? 0) / seconds),
      r_kb_per_s: r2((d("sectors_read") ?? 0) / 2 / seconds),
      w_kb_per_s: r2((d("sectors_written") ?? 0) / 2 / seconds),
      r_await_ms: reads ? r2(readMs / reads) : 0,
      w_await_ms: writes ? r2(writeMs / writes) : 0,
      await_ms: 0,
      rareq_sz_kb: reads ? r2((d("sectors_read") ?? 0) / 2 / reads) : 0,
      wareq_sz_kb: writes ? r2((d("sectors_written") ?? 0) / 2 / writes) : 0,
      aqu_sz: r2((d("weighted_io_ms") ?? 0) / ms),
      util_pct: r2(Math.min(100, ((d("io_ms") ?? 0) / ms) * 100)),
    };
    if (discards !== undefined) {
      rate.d_per_s = r2(discards / seconds);
      rate.d_kb_per_s = r2((d("sectors_discarded") ?? 0) / 2 / seconds);
      rate.d_await_ms = discards ? r2((discardMs ?? 0) / discards) : 0;
    }
    if (flushes !== undefined) {
      rate.f_per_s = r2(flushes / seconds);
      rate.f_await_ms = flushes ? r2((d("flush_ms") ?? 0) / flushes) : 0;
    }
    const ios = reads + writes + (discards ?? 0);
    rate.await_ms = ios ? r2((readMs + writeMs + (discardMs ?? 0)) / ios) : 0;
    if (e.ios_in_progress !== undefined) rate.ios_in_progress = e.ios_in_progress;
    out.push(rate);
  }
  return out;
}
