import type { Collector } from "./types.js";

/**
 * Run queue, blocked tasks, swap-in/out, block I/O and CPU shares over the window:
 * `vmstat 1 N+1`, whose first line holds averages since boot (the parser marks it and leaves
 * it out of the means).
 */
export const vmstat: Collector = {
  id: "vmstat",
  title: "run queue, swapping and CPU shares over the window (vmstat 1)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  spansWindow: true,
  package: "procps",
  command: (ctx) => ({ argv: ["vmstat", "1", String(ctx.windowSeconds + 1)] }),
};
