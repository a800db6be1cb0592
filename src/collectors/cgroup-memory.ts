import { cgroupWalkScript, NO_HIERARCHY } from "./cgroup-walk.js";
import type { Collector } from "./types.js";

/** v2: events, limit, high, usage, peak; v1: OOM control, failcnt, limit, usage, peak. */
const SCRIPT = cgroupWalkScript({
  v1Controller: "memory",
  v2Controller: "memory",
  v1Files: [
    "memory.oom_control",
    "memory.failcnt",
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.max_usage_in_bytes",
  ],
  v2Files: ["memory.events", "memory.max", "memory.high", "memory.current", "memory.peak"],
});

/** OOM kills, limits and usage per cgroup (memory.stat is left out: 50 lines per cgroup). */
export const cgroupMemory: Collector = {
  id: "cgroup-memory",
  title: "memory limits, usage and OOM events per cgroup (memory.events / memory.oom_control)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  absent: {
    stderr: NO_HIERARCHY,
    reason: "no cgroup hierarchy with the memory controller is mounted",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
