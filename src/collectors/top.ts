import type { Collector } from "./types.js";

/**
 * One batch frame of top: load, task states, CPU shares, memory and every process row
 * (`-w 512` keeps long columns from being cut at 80 characters).
 */
export const top: Collector = {
  id: "top",
  title: "processes and summary (top -b -n 1)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 4 << 20,
  package: "procps",
  command: () => ({ argv: ["top", "-b", "-n", "1", "-w", "512"] }),
};
