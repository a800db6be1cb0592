import type { Collector } from "./types.js";

/**
 * Per-process disk read/write rates and IO wait share over the window: `iotop -b -o -P -k -t
 * -d 1 -n N` (batch, only processes doing I/O, processes not threads, K/s, time stamps).
 * Needs root (taskstats netlink). IO% and SWAPIN% need `kernel.task_delayacct=1`; without it
 * iotop prints `?unavailable?` and the parser reports `delay_accounting: false`.
 */
export const iotop: Collector = {
  id: "iotop",
  title: "per-process disk I/O over the window (iotop -b -o)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 4 << 20,
  spansWindow: true,
  package: "iotop",
  command: (ctx) => ({
    argv: [
      "/usr/sbin/iotop",
      "-b",
      "-o",
      "-P",
      "-k",
      "-t",
      "-d",
      "1",
      "-n",
      String(ctx.windowSeconds),
    ],
    root: true,
  }),
};
