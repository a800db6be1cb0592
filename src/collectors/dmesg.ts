import type { Collector } from "./types.js";

/**
 * The kernel ring buffer with its monotonic stamps (plain `dmesg`, no `-T`: wall-clock
 * conversion drifts after suspend and is not comparable with `/proc/uptime`). The derive layer
 * judges each event's age against `/proc/uptime`, read by the `uptime` collector in the same
 * batch. Needs root where `kernel.dmesg_restrict = 1` (the Debian and Ubuntu default).
 * A full 1 MiB-per-CPU log buffer prints a few MiB at most; 8 MiB is the cap.
 */
export const dmesg: Collector = {
  id: "dmesg",
  title: "kernel log: OOM kills, hung tasks, disk and memory errors (dmesg)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 8 << 20,
  package: "util-linux",
  command: () => ({ argv: ["/usr/bin/dmesg"], root: true }),
};
