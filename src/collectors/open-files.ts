import type { Collector } from "./types.js";

/**
 * Open descriptors per process from a full `lsof -b -n -w` (no DNS, no blocking calls, no
 * warnings). Costly on busy hosts (one row per descriptor and mapping, per thread on lsof ≥
 * 4.90), so it is a sampling-class collector that plans include only on request; proc-fds
 * is the cheap way to the same question. Needs root to see other users' processes.
 */
export const openFiles: Collector = {
  id: "open-files",
  title: "open descriptors per process (lsof -b -n -w; opt-in)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 30,
  capBytes: 16 * 1024 * 1024,
  package: "lsof",
  command: () => ({ argv: ["/usr/bin/lsof", "-b", "-n", "-w"], root: true }),
};
