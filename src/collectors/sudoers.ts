import toRegexRange from "to-regex-range";
import { type Collector, type CommandLine, PID_MAX, WINDOW_SECONDS } from "./types.js";

/**
 * The sudoers drop-in that lets a non-root user run exactly the collectors that need root
 * (DESIGN.md "Security model"): `sudo -n /exact/path fixed-args`, never a shell. Commands
 * whose arguments vary per diagnosis (the window in seconds, target PIDs) are written as
 * sudoers(5) regular expressions (`^...$`, sudo >= 1.9.10) that allow, in exactly those places,
 * the numbers diagbot itself would give and no others: a window-dependent number only within
 * what the windows 1..60 produce (so `pidstat ... 1 999999999` is refused), a PID only within
 * 1..{@link PID_MAX}, and no more `-p PID` pairs than the collector passes. No extra option
 * (`strace -o FILE`) can slip in. `LC_ALL` and `S_TIME_FORMAT` are kept (env_keep) so outputs
 * stay in the C locale and ISO time format.
 *
 * The lines are derived from the collectors themselves: each is rendered with the shortest and
 * the longest window and with more target PIDs than any collector takes; an argument that
 * differs between the two windows must be a number and becomes that number's range, and the
 * PIDs a collector keeps become a bounded repetition.
 */

/** More target PIDs than any collector takes, so that each collector's own cap shows. */
const PROBE_PIDS = Array.from({ length: 100 }, (_, i) => PID_MAX - i);

/** One PID, 1..PID_MAX, as a POSIX extended regular expression. */
const PID_REGEX = range(1, PID_MAX);

/** `lo..hi` as a POSIX extended regular expression (digits only, no `\d`, no `(?:`). */
function range(lo: number, hi: number): string {
  return toRegexRange(lo, hi, { capture: true, shorthand: false });
}

/** Characters sudoers(5) requires to be escaped in command arguments. */
function escapeSudoers(text: string): string {
  return text.replace(/[\\,:=]/g, (c) => `\\${c}`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The exact root command lines (as sudoers `Cmnd` specs) of every collector that needs root. */
export function rootCommands(collectors: readonly Collector[]): string[] {
  const specs = new Set<string>();
  for (const c of collectors) {
    const spec = rootCommand(c);
    if (spec) specs.add(spec);
  }
  return [...specs];
}

/**
 * The sudoers `Cmnd` spec of one collector, or null when it needs no root (or is a script,
 * which never runs under sudo).
 * @throws Error when an argument varies with the window but is not a number, or when the
 *   collector passes every target PID it is given: sudoers could not bound those.
 */
function rootCommand(c: Collector): string | null {
  const render = (windowSeconds: number, pids: number[]) =>
    c.command({ windowSeconds, pids, sudo: true, root: false });
  const low = render(WINDOW_SECONDS.min, PROBE_PIDS);
  const high = render(WINDOW_SECONDS.max, PROBE_PIDS);
  if (!low?.root || low.script || !high) return null;
  const path = low.argv[0];
  const args = low.argv.slice(1);
  if (high.argv[0] !== path || high.argv.length !== low.argv.length) {
    throw new Error(`${c.id}: the window changes the command, not only numbers in it`);
  }
  const varies = args.some((a, i) => a !== high.argv[i + 1]);
  const pidAt = args.flatMap((a, i) => (PROBE_PIDS.includes(Number(a)) ? [i] : []));
  if (!varies && pidAt.length === 0) {
    // In sudoers(5) a command without arguments allows ANY arguments; "" allows none.
    return `${path} ${args.length === 0 ? '""' : escapeSudoers(args.join(" "))}`;
  }
  const words = args.map((a, i) => {
    const b = high.argv[i + 1];
    if (a === b) return escapeRegex(a);
    if (!/^\d+$/.test(a) || !/^\d+$/.test(b) || Number(a) > Number(b)) {
      throw new Error(`${c.id}: argument ${a} / ${b} varies with the window but is no number`);
    }
    return range(Number(a), Number(b));
  });
  const regex = pidAt.length === 0 ? words.join(" ") : withPids(c, words, pidAt, render);
  return `${path} ${escapeSudoers(`^${regex}$`)}`;
}

/**
 * Joins `words`, writing the `FLAG PID` pairs at `pidAt` as one bounded repetition: at least
 * one pair when the collector cannot run without target PIDs, else none; at most as many as
 * it passed of {@link PROBE_PIDS}.
 */
function withPids(
  c: Collector,
  words: string[],
  pidAt: number[],
  render: (windowSeconds: number, pids: number[]) => CommandLine | null,
): string {
  const first = pidAt[0];
  const flag = words[first - 1];
  const paired = pidAt.every((at, k) => at === first + 2 * k && words[at - 1] === flag);
  if (first === 0 || !paired) throw new Error(`${c.id}: target PIDs are not FLAG PID pairs`);
  const most = pidAt.length;
  if (most === PROBE_PIDS.length) {
    throw new Error(`${c.id}: passes every target PID it is given; cap them`);
  }
  const before = words.slice(0, first - 1).join(" ");
  const after = words.slice(first + 2 * most - 1).join(" ");
  const pair = `${flag} ${PID_REGEX}`;
  const optional = render(WINDOW_SECONDS.min, []) !== null;
  // Each pair carries its leading space, so that zero pairs leave one space between neighbours.
  const pairs = optional
    ? `( ${pair}){0,${most}}`
    : ` ${pair}${most > 1 ? `( ${pair}){0,${most - 1}}` : ""}`;
  if (!before) throw new Error(`${c.id}: target PIDs come first; nothing to anchor them to`);
  return `${before}${pairs}${after ? ` ${after}` : ""}`;
}

/** The whole drop-in file for `user`. Check it with `visudo -c -f FILE` before installing. */
export function renderSudoers(user: string, collectors: readonly Collector[]): string {
  const alias = "DIAGBOT_COLLECTORS";
  const commands = rootCommands(collectors);
  return [
    "# diagbot: the collectors that need root, and nothing else.",
    "# Generated by `diagbot sudoers --user USER`; install as /etc/sudoers.d/diagbot (mode 0440)",
    "# after `visudo -c -f` accepts it. Each line is an exact command; where the sampling window",
    "# or a target PID goes, a regular expression (^...$) allows only the numbers diagbot gives",
    `# (windows of ${WINDOW_SECONDS.min} to ${WINDOW_SECONDS.max} s; PIDs up to ${PID_MAX}, a bounded number of them).`,
    "# Tools that run until stopped (bcc, strace) run only behind /usr/bin/timeout, bounded too.",
    `Defaults:${user} !requiretty`,
    `Defaults:${user} env_keep += "LC_ALL S_TIME_FORMAT"`,
    `Cmnd_Alias ${alias} = \\`,
    commands.map((c) => `    ${c}`).join(", \\\n"),
    `${user} ALL=(root) NOPASSWD: ${alias}`,
    "",
  ].join("\n");
}
