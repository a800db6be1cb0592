import { hostTmpCleanup, hostTmpPrologue, perfSkipReason } from "./host-tmp.js";
import type { Collector, CommandContext } from "./types.js";

/** Longest recording, seconds: intrusive collectors are capped to a few seconds. */
export const PERF_REPORT_MAX_SECONDS = 5;

/**
 * The fixed script: sample all CPUs with call graphs at 99 Hz (a low rate that keeps the
 * overhead and the data small) for `seconds` (at most {@link PERF_REPORT_MAX_SECONDS}) into a
 * fresh temporary directory, print `perf report --stdio` by command, object and symbol, and
 * remove the directory on every way out (normal end, failure, or the host-side `timeout`
 * sending INT). The report is bounded: `--no-children` (self overhead, each entry with the
 * call chains that led to it; the `Children` view repeats every chain for every caller and is
 * a hundred times larger) and entries under 0.5 % left out.
 */
export function perfReportScript(seconds: number): string {
  const s = Math.max(1, Math.min(PERF_REPORT_MAX_SECONDS, Math.trunc(seconds)));
  return [
    ...hostTmpPrologue("report", "perf-report"),
    "trap 'rm -rf \"$d\"' EXIT",
    "trap 'exit 130' HUP INT TERM",
    `if ! perf record -F 99 -a -g -o "$d/perf.data" -- sleep ${s} >/dev/null; then`,
    '  echo "perf-report: perf record failed; it needs root (perf_event_paranoid): connect as root" >&2',
    "  exit 1",
    "fi",
    'perf report --stdio -i "$d/perf.data" --no-children --sort comm,dso,sym --percent-limit 0.5',
  ].join("\n");
}

/**
 * Where CPU time goes, by command, object and symbol, with call graphs (`perf record -a -g`,
 * then `perf report --stdio`); intrusive and opt-in: only with `--deep`. Like perf-sched, it
 * is a script (record, report, clean up), so it needs a root session: `command()` returns
 * null when the host reaches root only through sudo (a script never runs under sudo).
 */
export const perfReport: Collector = {
  id: "perf-report",
  title: "CPU profile by command and symbol (perf record -a -g + perf report)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 45 + PERF_REPORT_MAX_SECONDS,
  capBytes: 4 << 20,
  package: "linux-perf",
  command: (ctx: CommandContext) => {
    if (!ctx.root && ctx.sudo) return null;
    const script = perfReportScript(ctx.windowSeconds);
    return { argv: ["sh", "-c", script], script, root: true };
  },
  cleanup: hostTmpCleanup(),
  skipReason: perfSkipReason,
};
