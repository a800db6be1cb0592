import type { Collector } from "./types.js";

/**
 * System-wide counters over the window: `perf stat -a -- /usr/bin/sleep N`. perf runs its
 * workload as root and looks a bare name up in PATH, so the drop-in names sleep by its path:
 * a `sleep` found elsewhere in PATH would be a root shell. perf writes its report to stderr.
 * Software events (cpu-clock, context switches, migrations, page faults) are read on
 * every host; hardware counters (cycles, instructions, cache misses) come out as
 * `<not supported>` on VMs without a virtual PMU, and the facts say so. Needs root: counting
 * system-wide is refused by `kernel.perf_event_paranoid` >= 1 (the default is 2).
 */
export const perfStat: Collector = {
  id: "perf-stat",
  title: "CPU and scheduler counters, system-wide (perf stat -a)",
  cost: "sampling",
  stream: "stderr",
  timeoutSeconds: 10,
  capBytes: 256 << 10,
  spansWindow: true,
  package: "linux-perf",
  command: (ctx) => ({
    argv: ["/usr/bin/perf", "stat", "-a", "--", "/usr/bin/sleep", String(ctx.windowSeconds)],
    root: true,
  }),
};
