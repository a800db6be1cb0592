import {
  type BccLatencyFacts,
  type MergedLatency,
  mergeLatency,
  microsPerUnit,
  parseBccLatency,
} from "./log2-histogram.js";
import type { ParseResult } from "./types.js";

/**
 * Block-device I/O latency from bcc's `biolatency` (Debian: `biolatency-bpfcc`; libbpf-tools:
 * `biolatency`): time from issue to completion of each request (`-Q`: from queueing), as
 * power-of-two histograms.
 *
 * ```
 * # biolatency-bpfcc -D 1 5
 * Tracing block device I/O... Hit Ctrl-C to end.
 *
 * disk = 'sda'
 *      usecs               : count     distribution
 *          0 -> 1          : 0        |                                        |
 *        512 -> 1023       : 147      |****************************************|
 * ```
 * Yields: `histograms[0].disk = "sda"`, `histograms[0].count = 147`, `histograms[0].p50_us = 1023`.
 *
 * Variants: one histogram per interval, `-m` (msecs), `-T` (`HH:MM:SS` line), `-D` (one
 * histogram per disk: `disk = 'sda'`, `disk = sda` or, from some bcc builds under Python 3,
 * `disk = b'sda'`), `-F` (per I/O flags: `flags = Sync-Write`), `-e` (an
 * `avg = 1234 usecs, total: 5678 usecs, count: 9` line after each histogram). Source: bcc
 * tools/biolatency.py, tools/biolatency_example.txt; libbpf-tools/biolatency.c.
 *
 * Facts: every histogram (see {@link BccLatencyFacts}), the merged `summary`, `disks` (one
 * merged summary per disk over all intervals, for `-D`) and `worst_disk` (highest p99, then
 * highest count).
 */
export interface BccBiolatencyFacts extends BccLatencyFacts {
  disks: (MergedLatency & { disk: string })[];
  worst_disk: { disk: string; p99_us: number | null; count: number } | null;
  /** `-e` lines, in order: average and total latency in µs, and the request count. */
  averages: { avg_us: number; total_us: number; count: number; histogram: number }[];
}

const AVG =
  /^\s*avg\s*=\s*(\d+(?:\.\d+)?)\s*(\w+),\s*total:\s*(\d+(?:\.\d+)?)\s*(\w+),\s*count:\s*(\d+)\s*$/;

/**
 * Parses biolatency output. Prose, prompts and any other line are problems.
 * @throws UnrecognisedOutputError when no histogram was found.
 */
export function parseBccBiolatency(lines: Iterable<string>): ParseResult<BccBiolatencyFacts> {
  const averages: BccBiolatencyFacts["averages"] = [];
  const { facts, problems } = parseBccLatency("bcc-biolatency", lines, (line, last) => {
    const m = AVG.exec(line);
    if (!m) return false;
    const fa = microsPerUnit(m[2]) ?? 1;
    const ft = microsPerUnit(m[4]) ?? 1;
    averages.push({
      avg_us: Number(m[1]) * fa,
      total_us: Number(m[3]) * ft,
      count: Number(m[5]),
      histogram: last,
    });
    return true;
  });
  const perDisk = new Map<string, typeof facts.histograms>();
  for (const h of facts.histograms) {
    if (h.disk === undefined) continue;
    const list = perDisk.get(h.disk) ?? [];
    list.push(h);
    perDisk.set(h.disk, list);
  }
  const disks = [...perDisk].map(([disk, hs]) => ({ disk, ...mergeLatency(hs) }));
  let worst: BccBiolatencyFacts["worst_disk"] = null;
  for (const d of disks) {
    const better =
      worst === null ||
      (d.p99_us ?? -1) > (worst.p99_us ?? -1) ||
      ((d.p99_us ?? -1) === (worst.p99_us ?? -1) && d.count > worst.count);
    if (better) worst = { disk: d.disk, p99_us: d.p99_us, count: d.count };
  }
  return { facts: { ...facts, disks, worst_disk: worst, averages }, problems };
}
