import { type BccLatencyFacts, parseBccLatency } from "./log2-histogram.js";
import type { ParseResult } from "./types.js";

/**
 * Run-queue (scheduler) latency from bcc's `runqlat` (Debian: `runqlat-bpfcc`; libbpf-tools:
 * `runqlat`): how long runnable tasks waited for a CPU, as power-of-two histograms.
 *
 * ```
 * # runqlat-bpfcc 1 5
 * Tracing run queue latency... Hit Ctrl-C to end.
 *
 *      usecs               : count     distribution
 *          0 -> 1          : 233      |***********                             |
 *          2 -> 3          : 742      |************************************    |
 *      16384 -> 32767      : 809      |****************************************|
 * ```
 * Yields: `histograms[0].unit = "usecs"`, `histograms[0].count = 1784`, `histograms[0].p50_us = 3`.
 *
 * Variants: one histogram per interval (`runqlat 1 5`), `-m` (msecs), `-T` (an `HH:MM:SS`
 * line above each histogram), `-P` / `-L` / `--pidnss` (a `pid = N`, `tid = N`,
 * `pidns = N` line above each histogram); the bcc and libbpf-tools builds print the same
 * layout. Source: bcc tools/runqlat.py and tools/runqlat_example.txt.
 *
 * Facts: every histogram (buckets in the tool's unit, inclusive bounds) with its count and
 * p50/p99/max estimates in µs (the upper bound of the bucket that holds the quantile, so
 * exact to a factor of two), and `summary`, all histograms added together in µs buckets
 * (the run-queue latency over the whole window, all tasks).
 */
export type BccRunqlatFacts = BccLatencyFacts;

/**
 * Parses runqlat output. Prose, prompts and any other line are problems.
 * @throws UnrecognisedOutputError when no histogram was found.
 */
export function parseBccRunqlat(lines: Iterable<string>): ParseResult<BccRunqlatFacts> {
  return parseBccLatency("bcc-runqlat", lines);
}
