import { safePids } from "./proc-limits.js";
import type { Collector, CommandContext } from "./types.js";

/** Processes listed besides the targets, most descriptors first. */
const TOP = 50;

/**
 * The fixed script: the `Max open files` line of every /proc/PID/limits, read by one grep
 * (a shell `read` loop reads a file one byte per system call: some 0.4 ms of CPU per
 * process); then, for every /proc/PID, the entries of fd/ (counted by a shell glob, no
 * process per PID) and comm. One awk joins them by PID; sorted by count, the top {@link TOP}
 * plus the target PIDs, then a SUMMARY line. A process whose fd/ is not readable (another
 * user's, when not root) prints `-` and is counted as unreadable, unless it ended during the
 * scan (it is left out); one whose limits could not be read prints `-` for SOFT and HARD.
 */
export function procFdsScript(ctx: CommandContext): string {
  const want = safePids(ctx).join(" ");
  return `{
printf '%s\\n' /proc/[0-9]*/limits | xargs grep -s -H '^Max open files'
for d in /proc/[0-9]*; do
  c=
  [ -r "$d/comm" ] && read -r c < "$d/comm"
  if [ -r "$d/fd" ] && [ -x "$d/fd" ]; then
    set -- "$d"/fd/*
    if [ $# -eq 1 ] && [ ! -e "$1" ] && [ ! -L "$1" ]; then n=0; else n=$#; fi
  elif [ ! -d "$d" ]; then
    continue
  else
    n=-
  fi
  printf 'P %s %s %s\\n' "\${d#/proc/}" "$n" "$c"
done
} 2>/dev/null | awk '
$1 != "P" { split($1, f, "/"); soft[f[3]] = $4; hard[f[3]] = $5; next }
{
  comm = $0; sub(/^P [^ ]+ [^ ]+ ?/, "", comm)
  s = ($2 in soft) ? soft[$2] : "-"; h = ($2 in hard) ? hard[$2] : "-"
  printf "%s %s %s %s %s\\n", $2, $3, s, h, comm
}' | sort -k2,2nr | awk -v want="${want}" '
BEGIN { print "PID NFDS SOFT HARD COMM"; n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
{ total++ }
$2 == "-" { unread++; if ($1 in keep) print; next }
{ readable++; if (shown < ${TOP}) { print; shown++ } else if ($1 in keep) print }
END { printf "SUMMARY processes=%d readable=%d unreadable=%d\\n", total, readable, unread }'
`;
}

/**
 * Open file descriptors against the soft and hard `Max open files` limit, for the processes
 * holding the most descriptors (and the targets). As root it sees every process; otherwise
 * only the session user's (the SUMMARY line says how many were unreadable).
 */
export const procFds: Collector = {
  id: "proc-fds",
  title: "open fds against RLIMIT_NOFILE for the top processes (/proc/PID/fd, limits)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 15,
  capBytes: 64 * 1024,
  command: (ctx) => {
    const script = procFdsScript(ctx);
    return { argv: ["sh", "-c", script], script };
  },
};
