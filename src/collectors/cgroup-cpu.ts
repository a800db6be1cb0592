import { cgroupWalkScript, NO_HIERARCHY } from "./cgroup-walk.js";
import type { Collector } from "./types.js";

/** v2: cpu.stat + cpu.max; v1: cpu.stat + the CFS quota and period. */
const SCRIPT = cgroupWalkScript({
  v1Controller: "cpu",
  v2Controller: "cpu",
  v1Files: ["cpu.stat", "cpu.cfs_quota_us", "cpu.cfs_period_us"],
  v2Files: ["cpu.stat", "cpu.max"],
});

/**
 * CFS bandwidth throttling per cgroup (`nr_throttled` against `nr_periods`, with the quota),
 * read at the start and the end of the window: the counters only grow.
 */
export const cgroupCpu: Collector = {
  id: "cgroup-cpu",
  title: "CPU quota and throttling per cgroup (cpu.stat, cpu.max / cpu.cfs_quota_us)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  windowed: true,
  absent: {
    stderr: NO_HIERARCHY,
    reason: "no cgroup hierarchy with the cpu controller is mounted",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
