import type { CommandLine } from "./types.js";

/**
 * Where host-side scripts keep files for the length of one run (perf's `perf.data`, the
 * outputs of a parallel batch): one known parent folder per user, `/tmp/diagbot.<uid>`
 * (mode 0700, refused unless it is a real folder owned by that user), with one subfolder per
 * run named `<kind>.<pid of the script>`. The script's own trap removes its subfolder; when it
 * cannot (perf ignored SIGINT for more than 2 s and `timeout -k 2` killed the script, or the
 * run was killed), the subfolder is removed later, independently of that trap:
 *   - by the next script on the host that makes a subfolder, before it starts;
 *   - by the engine after every collection that ran a perf collector ({@link hostTmpCleanup}).
 * A subfolder is stale when no process with its pid is running, a zombie counting as ended
 * (a killed script re-parented to a PID 1 that does not reap stays a zombie); a folder whose
 * pid was reused waits for a later pass.
 */

/** The parent folder, for the user running the script. */
const PARENT = "/tmp/diagbot.$(id -u)";

/** Shell lines that remove the stale subfolders of `$p`. */
const REMOVE_STALE = [
  'for o in "$p"/*.*; do',
  '  [ -d "$o" ] || continue',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "  n=${o##*.}",
  '  if kill -0 "$n" 2>/dev/null; then',
  // The State line of proc(5)'s /proc/PID/status, read by the shell: no `ps` run (it reads
  // every process's files) for each folder on a host where many runs overlap.
  "    s=Z",
  '    while read -r k v rest; do [ "$k" = State: ] && { s=$v; break; }; done <"/proc/$n/status" 2>/dev/null',
  '    [ "$s" = Z ] || continue',
  "  fi",
  '  rm -rf "$o"',
  "done",
];

/**
 * Shell lines that make `$d`, this run's empty subfolder `<kind>.$$`, after removing the stale
 * ones. When the parent folder is not safe to use, or the subfolder cannot be made, they run
 * `unusable` (by default: a message prefixed with `label` on stderr, then exit 1).
 * @param kind `sched`, `report` or `batch`; `label` prefixes the message (the collector id).
 */
export function hostTmpPrologue(
  kind: "sched" | "report" | "batch",
  label: string,
  unusable: readonly string[] = [
    `echo "${label}: $p is not a folder owned by this user; remove it" >&2`,
    "exit 1",
  ],
): string[] {
  return [
    `p=${PARENT}`,
    'mkdir -p -m 700 "$p" 2>/dev/null',
    'if [ -L "$p" ] || [ ! -d "$p" ] || [ ! -O "$p" ]; then',
    ...unusable.map((l) => `  ${l}`),
    "fi",
    ...REMOVE_STALE,
    `d="$p/${kind}.$$"`,
    'if ! { rm -rf "$d" && mkdir -m 700 "$d"; }; then',
    ...unusable.map((l) => `  ${l}`),
    "fi",
  ];
}

/**
 * The command the engine runs after a collection with a perf collector: removes the stale
 * subfolders (the run's own were removed by their scripts, or are stale by now).
 */
export function hostTmpCleanup(): CommandLine {
  const script = [
    `p=${PARENT}`,
    '[ -d "$p" ] && [ ! -L "$p" ] && [ -O "$p" ] || exit 0',
    ...REMOVE_STALE,
  ].join("\n");
  return { argv: ["sh", "-c", script], script };
}

/**
 * Why a perf script is skipped: it needs root, and the host reaches root only through sudo,
 * under which a script never runs (DESIGN.md: no `sudo sh`).
 */
export function perfSkipReason(): string {
  return "needs root, and as a script (record, report, clean up) it never runs under sudo (no `sudo sh`); this host reaches root only through sudo: connect as root to run it";
}
