import type { Collector } from "./types.js";

/** Load averages, runnable/total threads and seconds since boot. */
export const uptime: Collector = {
  id: "uptime",
  title: "load average and uptime (/proc/loadavg, /proc/uptime)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  command: () => ({ argv: ["cat", "/proc/loadavg", "/proc/uptime"], readsKernelOnly: true }),
};
