import type { Collector, CommandContext, CommandLine } from "./types.js";

/**
 * Builds the exact string a transport runs for a collector (DESIGN.md "Collectors"):
 *
 *   timeout -s INT -k 2 <seconds> env LC_ALL=C S_TIME_FORMAT=ISO PATH=... \
 *     [nice -n 10 ionice -c 2 -n 7] [sudo -n] argv...
 *
 * The `timeout` prefix bounds the command on the host itself, since closing an SSH channel
 * does not kill the remote process; `env` is part of the command because sshd drops
 * environment requests without `AcceptEnv`. Sampling and intrusive collectors run at low CPU
 * and I/O priority; cheap reads run at normal priority (an idle-class reader starves on the
 * very host it should diagnose).
 */
export const SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment every command runs under (after `env`). */
const ENV = ["LC_ALL=C", "S_TIME_FORMAT=ISO", `PATH=${SAFE_PATH}`];

/** Exit status of `timeout(1)` when it had to stop the command. */
export const TIMEOUT_EXIT = 124;

/**
 * `argv` behind `/usr/bin/timeout -s INT -k 2 <seconds>`, for a root tool that runs until it
 * is stopped (bcc tracers, `strace -p`). The sudoers drop-in allows such a tool only this way,
 * with `seconds` bounded, so whoever holds the SSH key cannot leave a root tracer running; and
 * the host-side `timeout` of {@link wrapCommand}, which runs as the SSH user, cannot kill a
 * root process once its `sudo` is gone. `seconds` is the collector's {@link boundSeconds}.
 */
export function underTimeout(seconds: number, argv: readonly string[]): string[] {
  return ["/usr/bin/timeout", "-s", "INT", "-k", "2", String(seconds), ...argv];
}

export interface BuiltCommand {
  /** The full command string for `sh -c` / an SSH exec request. */
  text: string;
  /**
   * The same command as a window script runs it (engine/batch.ts): without its `env ...`
   * words, since the script itself runs under that environment. A
   * {@link CommandLine.readsKernelOnly} command also runs without its `timeout`, since the
   * script is bounded as a whole, and its shell script, if it has one, as a subshell of the
   * window script (the text itself, for `( ... )`) instead of `sh -c`: one or two processes
   * fewer per collector.
   */
  inWindow: string;
  /** The host-side bound in seconds (also the transport's wall-clock limit, plus slack). */
  seconds: number;
  /** True when the command goes through `sudo -n`. */
  sudo: boolean;
}

/**
 * Seconds a collector may run: its own timeout, plus the window for sampling collectors. A
 * tool that runs until stopped (`strace -c`) and does not span the window is stopped at its
 * timeout or at the end of the window, whichever comes first, so it never outlasts the window.
 */
export function boundSeconds(collector: Collector, windowSeconds: number): number {
  if (collector.untilStopped && !collector.spansWindow) {
    return Math.min(collector.timeoutSeconds, windowSeconds);
  }
  return collector.timeoutSeconds + (collector.spansWindow ? windowSeconds : 0);
}

/**
 * The command for one collector in this context, or null when it cannot run here (e.g. it
 * needs target processes and none were given).
 */
export function buildCommand(collector: Collector, ctx: CommandContext): BuiltCommand | null {
  const line = collector.command(ctx);
  if (!line) return null;
  return wrapCommand(line, {
    seconds: boundSeconds(collector, ctx.windowSeconds),
    lowPriority: collector.cost !== "cheap",
    ctx,
  });
}

/** Wraps one fixed command line in the host-side bound, priority and sudo prefix. */
export function wrapCommand(
  line: CommandLine,
  options: { seconds: number; lowPriority: boolean; ctx: Pick<CommandContext, "sudo" | "root"> },
): BuiltCommand {
  const sudo = Boolean(line.root && options.ctx.sudo && !options.ctx.root && !line.script);
  const bound = ["timeout", "-s", "INT", "-k", "2", String(options.seconds)];
  const env = ["env", ...ENV];
  const words: string[] = [];
  if (options.lowPriority) words.push("nice", "-n", "10", "ionice", "-c", "2", "-n", "7");
  if (sudo) words.push("sudo", "-n");
  const run = [...words, ...line.argv];
  if (line.script) words.push("sh", "-c", line.script);
  else if (line.unless) words.push("sh", "-c", guarded(line.unless, run));
  else words.push(...line.argv);
  return {
    text: shellQuote([...bound, ...env, ...words]),
    // A stand-in's check needs no bound: only the tool it starts gets one.
    inWindow: line.unless
      ? guarded(line.unless, [...bound, ...run])
      : windowForm(line, words, bound),
    seconds: options.seconds,
    sudo,
  };
}

/**
 * The script of a stand-in ({@link CommandLine.unless}): `run` where `unless.tool` is missing,
 * else `unless.said` on stderr and exit status 1.
 */
export function guarded(unless: { tool: string; said: string }, run: readonly string[]): string {
  return [
    `if command -v ${shellQuote([unless.tool])} >/dev/null 2>&1; then`,
    `  echo ${shellQuote([unless.said])} >&2`,
    "  exit 1",
    "fi",
    `exec ${shellQuote(run)}`,
    "",
  ].join("\n");
}

/** {@link BuiltCommand.inWindow}: `words` (the command after `env ...`) as a window script runs it. */
function windowForm(line: CommandLine, words: readonly string[], bound: readonly string[]): string {
  if (!line.readsKernelOnly) return shellQuote([...bound, ...words]);
  // Only a script with nothing before its `sh` (no `nice`) can become a subshell.
  if (line.script && words[0] === "sh") return line.script;
  return shellQuote(words);
}

/** POSIX single-quoting: words of safe characters stay bare, others are quoted. */
export function shellQuote(words: readonly string[]): string {
  return words
    .map((w) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}
