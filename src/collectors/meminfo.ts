import type { Collector } from "./types.js";

/** Every /proc/meminfo counter (MemAvailable, Dirty, Writeback, Slab, HugePages, …). */
export const meminfo: Collector = {
  id: "meminfo",
  title: "kernel memory counters (/proc/meminfo)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 64 << 10,
  command: () => ({ argv: ["cat", "/proc/meminfo"], readsKernelOnly: true }),
};
