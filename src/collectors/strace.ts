import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/**
 * At most this many target processes are attached: each `-p` adds ptrace overhead to a
 * production process, and the sudoers drop-in allows no more.
 */
export const STRACE_MAX_PIDS = 8;

/**
 * System-call counts, errors and times of the target processes and their threads:
 * `strace -c -f -p PID [-p PID...]` (intrusive: only with `--deep` and `--pid`/`--process`;
 * ptrace slows the traced process down while attached).
 *
 * strace runs until stopped: `/usr/bin/timeout -s INT` (run as root, {@link underTimeout})
 * ends it after `timeoutSeconds` or at the end of the window, whichever comes first (the
 * intrusive cap is 5 s), strace then detaches and prints its summary to stderr, and the exit
 * status 124 is the normal end (`untilStopped`). Needs root to attach to other users'
 * processes (and under `kernel.yama.ptrace_scope` >= 1 to any process that is not a child).
 */
export const strace: Collector = {
  id: "strace",
  title: "system calls of the target processes (strace -c -f -p)",
  cost: "intrusive",
  stream: "stderr",
  timeoutSeconds: 5,
  capBytes: 256 << 10,
  untilStopped: true,
  needsPid: true,
  package: "strace",
  command: (ctx) => {
    if (ctx.pids.length === 0) return null;
    const pids = ctx.pids
      .slice(0, STRACE_MAX_PIDS)
      .flatMap((pid) => ["-p", String(Math.trunc(pid))]);
    return {
      argv: underTimeout(boundSeconds(strace, ctx.windowSeconds), [
        "/usr/bin/strace",
        "-c",
        "-f",
        ...pids,
      ]),
      root: true,
    };
  },
};
