import type { Collector } from "./types.js";

/**
 * CPU time per CPU (user, system, iowait, steal, …), context switches, interrupts, forks:
 * counters since boot, read at the start and the end of the window (`procStatDelta` turns
 * the two into rates).
 */
export const procStat: Collector = {
  id: "proc-stat",
  title: "CPU time and scheduler counters (/proc/stat)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 1 << 20,
  windowed: true,
  command: () => ({ argv: ["cat", "/proc/stat"], readsKernelOnly: true }),
};
