import type { Collector } from "./types.js";

/**
 * What happened before anyone looked: `sar -A` over today's sysstat history file. Cheap (it
 * reads a file). A host that records no history (sysstat's collection disabled) makes sar
 * print `Cannot open /var/log/sysstat/saDD` on stderr and exit non-zero with nothing on
 * stdout: the collector is then `skipped`, saying so.
 */
export const sar: Collector = {
  id: "sar",
  title: "today's sysstat history (sar -A)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 30,
  capBytes: 16 << 20,
  package: "sysstat",
  absent: {
    stderr: /Cannot open \S*sa\d+|No such file or directory/,
    reason: "the host records no sysstat history (enable sysstat's data collection to keep one)",
  },
  command: () => ({ argv: ["sar", "-A"] }),
};
