import { randomBytes } from "node:crypto";

/**
 * Closing an SSH channel does not kill the remote command: sshd only closes the pipes to it,
 * and a tool that never reads its standard input (`perf stat -a -- sleep 37`) goes on, re-parented
 * to PID 1, until its own `timeout` prefix ends it. So every remote command runs under a small
 * watchdog written in POSIX sh:
 *
 *   - the command runs in a session of its own (`setsid`), with stdin from /dev/null, under a
 *     shell that never `exec`s into it (so the session's first process group holds only
 *     shells, and every `timeout` makes a process group of its own);
 *   - a watchdog subshell reads the channel's stdin, which diagbot never closes: it reaches
 *     end-of-file only when the channel closes (interrupt, job deadline, SIGTERM, a channel
 *     abandoned at its timeout, or the connection lost, which makes sshd close every channel);
 *   - at end-of-file it stops the session's first process group (the shells that would start
 *     the next command of a batch), sends SIGALRM to every `timeout` of the session, then kills
 *     that first group with SIGKILL: coreutils `timeout` takes SIGALRM as its own deadline, so the tool gets the
 *     prefix's SIGINT at once and SIGKILL 2 s later (`-k 2`), exactly as at the end of its cap.
 *     Each `timeout` runs its tool in a process group of its own, which is why the groups are
 *     reached through `timeout` and not by one `kill -- -SID`.
 *   - 2 s later (the `-k 2` grace) the watchdog sends SIGKILL to whatever is still in the
 *     session: a tool whose `timeout` has already exited leaves its children behind (a perf
 *     whose workload `sleep` started after the SIGINT), and nothing else would stop them before
 *     their own end. Having seen end-of-file, the watchdog ignores the SIGTERM with which the
 *     outer shell ends it once the command is gone, so this last sweep always runs.
 *   - when the command ends by itself the watchdog is killed and the command's exit status is
 *     passed on.
 *
 * Every process of the run carries `DIAGBOT_RUN=<marker>` in its environment (except what
 * `sudo` starts, since sudo resets the environment), so an operator can find a run's processes
 * on a host (`grep -l DIAGBOT_RUN=<marker> /proc/[0-9]*\/environ`). The wrapper stays outside
 * the command, so the `sudo -n /exact/path args` part, and the sudoers file, do not change.
 * Needs `setsid` (util-linux) and `pkill` (procps) on the host; without `pkill` the tools are
 * still stopped by their own cap.
 */

/** Environment variable naming the run on the host. */
export const RUN_MARKER_VARIABLE = "DIAGBOT_RUN";

/** A fresh run marker: 16 hex digits. */
export function newRunMarker(): string {
  return randomBytes(8).toString("hex");
}

/** True for a usable marker: 1 to 64 of `[A-Za-z0-9_-]`. */
export function isRunMarker(marker: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(marker);
}

/** The watchdog script; `$1` is the command. Kept on one line per step for `sh -x` reading. */
const SCRIPT = [
  "exec 3<&0 </dev/null",
  // The trailing `exit $?` keeps sh from exec'ing the command itself.
  `setsid sh -c "$1"'\nexit $?' 3<&- &`,
  "s=$!",
  '{ while read -r _; do :; done; trap "" TERM; kill -STOP -- "-$s"; pkill -ALRM -x -s "$s" timeout; kill -KILL -- "-$s"; sleep 2; pkill -KILL -s "$s"; } <&3 >/dev/null 2>&1 &',
  "w=$!",
  "exec 3<&-",
  'wait "$s"',
  "rc=$?",
  'kill "$w" 2>/dev/null',
  'exit "$rc"',
].join("\n");

/** Quotes one word for a POSIX shell. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line for an SSH exec request: `command` (a line for `sh -c`) under the watchdog,
 * with `DIAGBOT_RUN=<marker>` in its environment.
 * @param marker 1 to 64 characters of `[A-Za-z0-9_-]`.
 * @throws Error when the marker has other characters.
 */
export function underWatchdog(command: string, marker: string): string {
  if (!isRunMarker(marker)) {
    throw new Error(`run marker must be 1 to 64 of [A-Za-z0-9_-], got ${JSON.stringify(marker)}`);
  }
  return `exec env ${RUN_MARKER_VARIABLE}=${marker} sh -c ${quote(SCRIPT)} diagbot-watchdog ${quote(command)}`;
}
