import { hostTmpCleanup, hostTmpPrologue, perfSkipReason } from "./host-tmp.js";
import type { Collector, CommandContext } from "./types.js";

/** Longest recording, seconds: intrusive collectors are capped to a few seconds. */
export const PERF_SCHED_MAX_SECONDS = 5;

/**
 * The fixed script: record scheduler events into a fresh temporary directory for `seconds`
 * (at most {@link PERF_SCHED_MAX_SECONDS}), print `perf sched latency`, and remove the
 * directory on every way out (normal end, failure, or the host-side `timeout` sending INT).
 * perf's progress lines go to stderr, the latency table to stdout.
 */
export function perfSchedScript(seconds: number): string {
  const s = Math.max(1, Math.min(PERF_SCHED_MAX_SECONDS, Math.trunc(seconds)));
  return [
    ...hostTmpPrologue("sched", "perf-sched"),
    "trap 'rm -rf \"$d\"' EXIT",
    "trap 'exit 130' HUP INT TERM",
    `if ! perf sched record -o "$d/perf.data" -- sleep ${s} >/dev/null; then`,
    '  echo "perf-sched: perf sched record failed; it needs root (perf_event_paranoid, tracefs): connect as root" >&2',
    "  exit 1",
    "fi",
    'perf sched latency -i "$d/perf.data"',
  ].join("\n");
}

/**
 * Scheduler latency per task (`perf sched record` then `perf sched latency`), intrusive:
 * only with `--deep`. It records every context switch and wakeup on the host for
 * min(window, 5) seconds into a temporary directory that the script removes.
 *
 * It needs root, and being a script (record, report, clean up) it never runs under sudo
 * (DESIGN.md: no `sudo sh`). So `command()` returns null, and the collector is reported as
 * skipped, when the session is not root but the host is configured with `sudo: true`: the
 * only way to root there is sudo. On a host without sudo the script runs as the login user,
 * which works when `kernel.perf_event_paranoid` is -1; otherwise perf fails and the script
 * says why.
 */
export const perfSched: Collector = {
  id: "perf-sched",
  title: "scheduler latency per task (perf sched record + latency)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 30 + PERF_SCHED_MAX_SECONDS,
  capBytes: 1 << 20,
  package: "linux-perf",
  command: (ctx: CommandContext) => {
    if (!ctx.root && ctx.sudo) return null;
    const script = perfSchedScript(ctx.windowSeconds);
    return { argv: ["sh", "-c", script], script, root: true };
  },
  cleanup: hostTmpCleanup(),
  skipReason: perfSkipReason,
};
