import type { Collector } from "./types.js";

/**
 * Extended per-device I/O statistics over the window: `iostat -x -t 1 N+1`. The first report
 * holds averages since boot and the N others one second each; the parser marks the first
 * `since_boot` and summarises the others. `-y` (skip the since-boot report) is not used: the
 * output would not say it was given, and a parser that cannot tell would have to guess
 * whether the first report is one second of the window or the average since boot.
 * `-t` stamps each report (ISO, from S_TIME_FORMAT).
 */
export const iostat: Collector = {
  id: "iostat",
  title: "per-device I/O statistics over the window (iostat -x)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 4 << 20,
  spansWindow: true,
  package: "sysstat",
  command: (ctx) => ({ argv: ["iostat", "-x", "-t", "1", String(ctx.windowSeconds + 1)] }),
};
