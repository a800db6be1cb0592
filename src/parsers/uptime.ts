import { fields, num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Load averages and uptime, from any of:
 * - `uptime`:        ` 10:55:22 up 40 days, 21:17,  1 user,  load average: 0.49, 0.12, 0.04`
 *   (procps 3 and 4; "up 30 min", "up 2 days, 12 users"; a decimal comma where localised)
 * - `/proc/loadavg`: `0.49 0.12 0.04 2/345 12345` (proc(5): runnable/total scheduling entities)
 * - `/proc/uptime`:  `3532.18 6858.56` (seconds up, seconds idle summed over CPUs)
 *
 * Load average is the exponentially damped count of runnable plus uninterruptible (D) tasks
 * over 1, 5 and 15 minutes (proc(5)), so it is not a CPU utilisation.
 *
 * Sample (`uptime` on RHEL, from insights-core's tests):
 * ```
 *  10:55:22 up 40 days, 21:17,  1 user,  load average: 0.49, 0.12, 0.04
 * ```
 * Yields: `load1 = 0.49`, `load15 = 0.04`, `uptime_s = 3532620`, `users = 1`.
 */
export interface UptimeFacts {
  load1?: number;
  load5?: number;
  load15?: number;
  /** Seconds since boot, from `/proc/uptime` or the `up ...` clause (minute precision). */
  uptime_s?: number;
  users?: number;
  /** Runnable scheduling entities now, from `/proc/loadavg`. */
  runnable?: number;
  /** All scheduling entities (threads) now, from `/proc/loadavg`. */
  threads?: number;
}

const UPTIME_LINE = /\bup\s+(.*?),?\s+load averages?:\s*(\S+?),?\s+(\S+?),?\s+(\S+)\s*$/;
const LOADAVG_LINE = /^\s*(\d+[.,]\d+)\s+(\d+[.,]\d+)\s+(\d+[.,]\d+)\s+(\d+)\/(\d+)\s+\d+\s*$/;
const PROC_UPTIME_LINE = /^\s*(\d+\.\d+)\s+(\d+\.\d+)\s*$/;

/** Seconds per unit of each part of the `up ...` clause. */
const UP_PARTS: readonly [RegExp, (m: RegExpExecArray) => number][] = [
  [/^(\d+)\s+days?$/, (m) => Number(m[1]) * 86400],
  [/^(\d+):(\d+)$/, (m) => Number(m[1]) * 3600 + Number(m[2]) * 60],
  [/^(\d+)\s+min/, (m) => Number(m[1]) * 60],
];

/** Seconds in the `up ...` clause: "40 days, 21:17,  1 user" / "30 min" / "2 days". */
function upSeconds(clause: string): { seconds?: number; users?: number } {
  let seconds: number | undefined;
  let users: number | undefined;
  for (const part of clause.split(",").map((p) => p.trim())) {
    const usersMatch = /^(\d+)\s+users?$/.exec(part);
    if (usersMatch) users = Number(usersMatch[1]);
    for (const [pattern, toSeconds] of UP_PARTS) {
      const m = pattern.exec(part);
      if (m) seconds = (seconds ?? 0) + toSeconds(m);
    }
  }
  return { seconds, users };
}

export function parseUptime(lines: Iterable<string>): ParseResult<UptimeFacts> {
  const facts: UptimeFacts = {};
  const problems = new ProblemLog();
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let m = UPTIME_LINE.exec(line);
    if (m) {
      const up = upSeconds(m[1]);
      facts.uptime_s ??= up.seconds;
      facts.users = up.users;
      facts.load1 = num(m[2]);
      facts.load5 = num(m[3]);
      facts.load15 = num(m[4]);
      found = true;
      continue;
    }
    m = LOADAVG_LINE.exec(line);
    if (m) {
      [facts.load1, facts.load5, facts.load15] = [num(m[1]), num(m[2]), num(m[3])];
      facts.runnable = Number(m[4]);
      facts.threads = Number(m[5]);
      found = true;
      continue;
    }
    m = PROC_UPTIME_LINE.exec(line);
    if (m && fields(line).length === 2) {
      facts.uptime_s = Number(m[1]);
      found = true;
      continue;
    }
    problems.add(n, line, "not an uptime, /proc/loadavg or /proc/uptime line");
  }
  if (!found) throw new UnrecognisedOutputError("uptime");
  return { facts, problems: problems.list() };
}
