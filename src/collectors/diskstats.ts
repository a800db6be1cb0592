import type { Collector } from "./types.js";

/**
 * Block device counters since boot, read at the start and the end of the window
 * (`diskstatsDelta` turns the two into iostat-style rates: r/s, w/s, await, aqu-sz, %util).
 */
export const diskstats: Collector = {
  id: "diskstats",
  title: "block device counters (/proc/diskstats)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 1 << 20,
  windowed: true,
  command: () => ({ argv: ["cat", "/proc/diskstats"], readsKernelOnly: true }),
};
