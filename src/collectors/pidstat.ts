import type { Collector } from "./types.js";

/** At most this many target processes are named with `-p` (the sudoers drop-in allows no more). */
export const PIDSTAT_MAX_PIDS = 64;

/**
 * Per-process CPU, I/O, context switches and memory over the window, one line per process
 * and interval (`-h`; no Average block with `-h`). Only the processes active in an interval
 * are printed. Root is needed to read other users' `/proc/PID/io` (otherwise pidstat prints
 * -1 for their I/O); with `--pid`/`--process` the report is limited to those processes (the
 * first {@link PIDSTAT_MAX_PIDS}).
 */
export const pidstat: Collector = {
  id: "pidstat",
  title: "per-process CPU, I/O, context switches and memory over the window (pidstat)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 8 << 20,
  spansWindow: true,
  package: "sysstat",
  command: (ctx) => {
    const argv = ["/usr/bin/pidstat", "-u", "-d", "-w", "-r", "-h"];
    for (const pid of ctx.pids.slice(0, PIDSTAT_MAX_PIDS)) argv.push("-p", String(Math.trunc(pid)));
    argv.push("1", String(ctx.windowSeconds));
    return { argv, root: true };
  },
};

/**
 * The PIDs a recorded pidstat command line was limited to (its `-p N` arguments, as
 * {@link pidstat} writes them), so that a live run and a replayed bundle read the same scope.
 * Empty for no command, or one without `-p` (every process).
 */
export function scopedPids(command: string | undefined): number[] {
  const words = (command ?? "").split(/\s+/);
  const at = words.findIndex((w) => /(^|\/)pidstat$/.test(w));
  if (at < 0) return [];
  const pids: number[] = [];
  for (let i = at + 1; i < words.length - 1; i++) {
    if (words[i] === "-p" && /^[0-9]+$/.test(words[i + 1])) pids.push(Number(words[i + 1]));
  }
  return pids;
}
