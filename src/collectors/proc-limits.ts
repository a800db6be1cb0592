import type { Collector, CommandContext } from "./types.js";

/** PIDs safe to put in a script: positive integers only, each once. */
export function safePids(ctx: CommandContext): number[] {
  return [...new Set(ctx.pids.filter((p) => Number.isSafeInteger(p) && p > 0))];
}

/**
 * Resource limits of the target processes (`--pid` / `--process`): `/proc/PID/limits` of
 * each, under `==> /proc/PID/limits <==` markers. Readable by any user.
 */
export const procLimits: Collector = {
  id: "proc-limits",
  title: "resource limits of the target processes (/proc/PID/limits)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 256 * 1024,
  needsPid: true,
  command: (ctx) => {
    const pids = safePids(ctx);
    if (pids.length === 0) return null;
    const script = [
      `for p in ${pids.join(" ")}; do`,
      "  printf '==> /proc/%s/limits <==\\n' \"$p\"",
      '  cat "/proc/$p/limits"',
      "done",
      "",
    ].join("\n");
    return { argv: ["sh", "-c", script], script };
  },
};
