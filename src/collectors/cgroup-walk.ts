/**
 * The fixed POSIX sh script shared by the cgroup collectors (`cgroup-cpu`, `cgroup-memory`,
 * `cgroup-pids`). It finds the controller's hierarchies in /proc/self/mounts:
 * - cgroup v1: a `cgroup` mount whose options name the controller (`…,cpu,cpuacct`);
 * - cgroup v2: a `cgroup2` mount whose root `cgroup.controllers` lists the controller (a
 *   hybrid host's `unified` mount usually lists none and is skipped; pure v2 hosts list all);
 * then walks each hierarchy breadth-first to `maxDepth` levels below its root. It prints
 * the hierarchy root as an empty section whose path ends in `/` (so the output says which
 * hierarchies were walked, even when none of their cgroups has the files), then every
 * readable control file of `v1Files` / `v2Files`:
 *
 * ```
 * ==> /sys/fs/cgroup/ <==
 * ==> /sys/fs/cgroup/system.slice/cpu.stat <==
 * usage_usec 1234
 * ```
 *
 * stopping after `maxCgroups` cgroups that had any of the files (a note goes to stderr).
 * Without any hierarchy for the controller the output is empty, stderr says so and the exit
 * status is 1 ({@link NO_HIERARCHY} lets a collector report that as absent, not failed).
 * Only shell builtins read the files (no process per file), so 500 cgroups take well under
 * a second. No user text reaches the script: the names come from the collectors' constants
 * and are checked here.
 */
export interface CgroupWalkSpec {
  /** v1 controller, as it appears in the mount options (`cpu`, `memory`, `pids`). */
  v1Controller: string;
  /** v2 controller, as listed in `cgroup.controllers`. */
  v2Controller: string;
  /** Control files printed in v1 hierarchies, in this order. */
  v1Files: readonly string[];
  /** Control files printed in v2 hierarchies, in this order. */
  v2Files: readonly string[];
  /** Levels below the hierarchy root (default 4). */
  maxDepth?: number;
  /** Cgroups printed at most, over all hierarchies (default 500). */
  maxCgroups?: number;
}

const NAME = /^[a-z0-9_.]+$/;

/** Stderr of the walk when the host has no hierarchy with the controller. */
export const NO_HIERARCHY = /^no cgroup hierarchy with the \S+ controller$/m;

/** Builds the walk script. Throws Error when a name is not a plain control-file name. */
export function cgroupWalkScript(spec: CgroupWalkSpec): string {
  const names = [spec.v1Controller, spec.v2Controller, ...spec.v1Files, ...spec.v2Files];
  for (const n of names) {
    if (!NAME.test(n)) throw new Error(`cgroupWalkScript: not a plain name: ${JSON.stringify(n)}`);
  }
  const depth = spec.maxDepth ?? 4;
  const max = spec.maxCgroups ?? 500;
  if (!Number.isInteger(depth) || depth < 0 || depth > 8)
    throw new Error(`cgroupWalkScript: bad depth ${depth}`);
  if (!Number.isInteger(max) || max < 1) throw new Error(`cgroupWalkScript: bad cap ${max}`);
  const levels = ['"$root"'];
  for (let i = 1; i <= depth; i++) levels.push(`"$root"${"/*".repeat(i)}/`);
  return [
    `max=${max} count=0 seen=" "`,
    "show() {",
    "  d=$1; shift; printed=0",
    '  for f in "$@"; do',
    '    [ -r "$d/$f" ] || continue',
    "    printf '==> %s <==\\n' \"$d/$f\"",
    '    while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done < "$d/$f"',
    "    printed=1",
    "  done",
    '  [ "$printed" = 1 ] && count=$((count + 1))',
    "  return 0",
    "}",
    "walk() {",
    "  root=$1 v=$2",
    '  case "$seen" in *" $root "*) return 0 ;; esac',
    '  seen="$seen$root "',
    "  printf '==> %s/ <==\\n' \"$root\"",
    `  for d in ${levels.join(" ")}; do`,
    '    if [ "$count" -ge "$max" ]; then echo "cgroup walk stopped at $max cgroups" >&2; return 0; fi',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    "    d=${d%/}",
    '    [ -d "$d" ] || continue',
    `    if [ "$v" = 1 ]; then show "$d" ${spec.v1Files.join(" ")}; else show "$d" ${spec.v2Files.join(" ")}; fi`,
    "  done",
    "}",
    "while read -r dev mnt type opts rest; do",
    '  case "$type" in',
    `    cgroup) case ",$opts," in *,${spec.v1Controller},*) walk "$mnt" 1 ;; esac ;;`,
    "    cgroup2)",
    '      c=""',
    '      [ -r "$mnt/cgroup.controllers" ] && read -r c < "$mnt/cgroup.controllers"',
    `      case " $c " in *" ${spec.v2Controller} "*) walk "$mnt" 2 ;; esac ;;`,
    "  esac",
    "done < /proc/self/mounts",
    'if [ "$seen" = " " ]; then',
    `  echo "no cgroup hierarchy with the ${spec.v2Controller} controller" >&2`,
    "  exit 1",
    "fi",
    "",
  ].join("\n");
}
