import { cgroupWalkScript, NO_HIERARCHY } from "./cgroup-walk.js";
import type { Collector } from "./types.js";

const FILES = ["pids.max", "pids.current", "pids.events"];
const SCRIPT = cgroupWalkScript({
  v1Controller: "pids",
  v2Controller: "pids",
  v1Files: FILES,
  v2Files: FILES,
});

/** Task limits per cgroup (`pids.max`, e.g. systemd's TasksMax) and refused forks. */
export const cgroupPids: Collector = {
  id: "cgroup-pids",
  title: "task limits and refused forks per cgroup (pids.max, pids.current, pids.events)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  absent: {
    stderr: NO_HIERARCHY,
    reason: "no cgroup hierarchy with the pids controller is mounted",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
