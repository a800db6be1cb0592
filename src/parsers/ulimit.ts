import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * The shell's resource limits, from `ulimit -a` (bash, zsh and dash forms) or a bare
 * `ulimit -n` number. `ulimit` prints the soft limits unless given `-H`.
 *
 * bash prints `open files (-n) 1024`; dash and busybox print `-n: file descriptors 1024`.
 *
 * ```
 * open files                      (-n) 1024
 * max user processes              (-u) 63504
 * ```
 * Yields: `limits.max_open_files.value = 1024`, `limits.max_processes.value = 63504`.
 *
 * Limits are keyed as in `/proc/PID/limits` (`max_open_files`, `max_processes`, …) so they
 * read like the `proc-limits` facts; `unlimited` is null. Units are ulimit's own (`kbytes`,
 * `blocks`), named in `units`.
 *
 * Source: bash builtins/ulimit.def, dash src/miscbltin.c; getrlimit(2).
 */
export interface UlimitFacts {
  limits: Record<string, { value: number | null; units: string; option: string }>;
}

/** ulimit's option letter → the /proc/PID/limits key of the same resource. */
const KEYS: Record<string, string> = {
  c: "max_core_file_size",
  d: "max_data_size",
  e: "max_nice_priority",
  f: "max_file_size",
  i: "max_pending_signals",
  l: "max_locked_memory",
  m: "max_resident_set",
  n: "max_open_files",
  q: "max_msgqueue_size",
  r: "max_realtime_priority",
  s: "max_stack_size",
  t: "max_cpu_time",
  u: "max_processes",
  v: "max_address_space",
  x: "max_file_locks",
  R: "max_realtime_timeout",
};

const BASH =
  /^([a-zA-Z][a-zA-Z -]*?)\s+(?:\(([^)]*?),?\s*-([a-zA-Z])\)|\(-([a-zA-Z])\))\s+(\d+|unlimited)\s*$/;
const DASH = /^-([a-zA-Z]):\s+([a-z ()-]+?)\s+(\d+|unlimited)\s*$/;

/** Parses `ulimit -a` / `ulimit -n` (see {@link UlimitFacts}). Throws when no limit was found. */
export function parseUlimit(lines: Iterable<string>): ParseResult<UlimitFacts> {
  const problems = new ProblemLog();
  const limits: UlimitFacts["limits"] = {};
  const put = (option: string, token: string, units: string) => {
    limits[KEYS[option] ?? `option_${option}`] = {
      value: token === "unlimited" ? null : Number(token),
      units,
      option: `-${option}`,
    };
  };
  let n = 0;
  let filled = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    filled++;
    const b = BASH.exec(line);
    const d = b ? undefined : DASH.exec(line);
    if (b) put(b[3] ?? b[4], b[5], b[2] ?? "");
    else if (d) put(d[1], d[3], /\((\w+)\)/.exec(d[2])?.[1] ?? "");
    else if (filled === 1 && /^\s*(\d+|unlimited)\s*$/.test(line)) put("n", line.trim(), "");
    else problems.add(n, line, "not a `ulimit -a` line");
  }
  if (Object.keys(limits).length === 0)
    throw new UnrecognisedOutputError(
      "ulimit",
      "no `ulimit -a` line or `ulimit -n` number was found",
    );
  return { facts: { limits }, problems: problems.list() };
}
