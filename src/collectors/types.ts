/**
 * What a collector costs the host it runs on:
 * - `cheap`: a read of `/proc`, `/sys` or a quick command; runs at normal priority.
 * - `sampling`: runs for the window (iostat, vmstat, perf stat); under `nice`/`ionice`.
 * - `intrusive`: attaches to processes or records events (strace, perf record); only with
 *   `--deep`, capped to a few seconds.
 */
export type CostClass = "cheap" | "sampling" | "intrusive";

/**
 * The sampling windows diagbot accepts, in whole seconds (DESIGN.md "CLI contract": 1 s to
 * 60 s). The sudoers drop-in allows exactly the command lines of these windows.
 */
export const WINDOW_SECONDS = { min: 1, max: 60 } as const;

/**
 * The highest PID Linux can give: PIDs stay below `kernel.pid_max`, which is at most
 * PID_MAX_LIMIT (2^22 on 64-bit, include/linux/threads.h).
 */
export const PID_MAX = 4_194_303;

/** Everything a command template may depend on. Never free user text. */
export interface CommandContext {
  /** Sampling window in whole seconds ({@link WINDOW_SECONDS}). */
  windowSeconds: number;
  /** Target processes for `--pid` / `--process` (integers, already resolved). */
  pids: number[];
  /** True when commands needing root are run as `sudo -n /exact/path args`. */
  sudo: boolean;
  /** True when the session already runs as root. */
  root: boolean;
}

/**
 * A fixed command for the host. `argv[0]` is an absolute path when `root` is set so that
 * the sudoers file can allow exactly this command line.
 */
export interface CommandLine {
  argv: string[];
  /** Needs root (dmesg_restrict, perf_event_paranoid, ptrace, other users' /proc/PID/fd). */
  root?: boolean;
  /**
   * A shell script instead of argv, for multi-file reads of /proc and /sys. Never holds user
   * text; never run under sudo (DESIGN.md: no `sudo sh`).
   */
  script?: string;
  /**
   * The command is `cat` of kernel pseudo-files, or a shell script of builtins and `cat` over
   * /proc and /sys, which the kernel answers at once: it never waits on a disk, a file system,
   * a device, a daemon or another process's locks. Inside a window script it runs without its
   * own `timeout` (a fork and an exec fewer), bounded by the script's, and a script runs there
   * as a subshell of the window script instead of its own `sh`. A tool (`free`, `vmstat`)
   * keeps its bound: what runs under its name on a host can be anything, a wrapper that hangs
   * included. The recorded command keeps the whole prefix.
   */
  readsKernelOnly?: boolean;
  /**
   * A stand-in ({@link standIn}): `argv` runs only on a host where `tool` is not on the PATH;
   * elsewhere the command prints `said` on stderr and exits 1 without starting anything.
   */
  unless?: { tool: string; said: string };
}

export interface Collector {
  /** Stable id (DESIGN.md collector table); the bundle file is `<id>.out`. */
  id: string;
  /** One line for `--help` and the report. */
  title: string;
  cost: CostClass;
  /** Which stream is the tool's report: `strace -c` and `perf stat` write to stderr. */
  stream: "stdout" | "stderr";
  /** Wall-clock limit, seconds, beyond the window for sampling collectors. */
  timeoutSeconds: number;
  /** Output cap in bytes; more is cut and the collector marked `truncated`. */
  capBytes: number;
  /** Counter that only grows: read at the start and the end of the window (`.start.out`). */
  windowed?: boolean;
  /** Runs over the whole window (sampling collectors): timeout = window + timeoutSeconds. */
  spansWindow?: boolean;
  /** Debian package that provides the tool, named when it is missing. */
  package?: string;
  /**
   * The tool runs until stopped (`strace -c`, `perf record`): the host-side `timeout` ends it
   * with SIGINT and its exit status 124 is the normal end, not a timeout.
   */
  untilStopped?: boolean;
  /**
   * When the command fails with no output and its stderr matches `stderr`, the thing it reads
   * does not exist on this host (no sysstat history, a kernel without PSI): the collector is
   * `skipped` with `reason`, not `failed`.
   */
  absent?: { stderr: RegExp; reason: string };
  /** Runs only with target processes (`--pid`/`--process`). */
  needsPid?: boolean;
  /**
   * Run once after a collection that ran this collector (the same line for several collectors
   * runs once): removes what an interrupted or killed run may have left on the host (perf's
   * temporary folders). Never needs root; its failure is ignored.
   */
  cleanup?: CommandLine;
  /** Why `command()` returned null in this context, for the report (default: a generic line). */
  skipReason?: (ctx: CommandContext) => string;
  /** The command line, or null when it cannot run in this context. */
  command(ctx: CommandContext): CommandLine | null;
}
