import type { DmesgEvent, DmesgEventBase, DmesgEventKind } from "./dmesg/events.js";
import { classify } from "./dmesg/families.js";
import { ANSI, ELISION, JOURNAL_BOOT, JOURNAL_META, PROMPT, readPrefix } from "./dmesg/prefix.js";
import { KernelLogReader } from "./dmesg/reader.js";
import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * The kernel log, read from any of the formats people collect or paste, and classified into the
 * kernel events that explain incidents (OOM kills, hung tasks, disk and memory errors, …).
 *
 * Command: `dmesg` (the `dmesg` collector: monotonic stamps), but every common variant is read:
 * - plain `dmesg`: `[12345.678901] msg`, also `[  12.3]`, `[ 0.000000]` (collapsed blanks) and
 *   the printk caller id `[    0.000000] [T1] msg` / `[    0.000000][    T1] msg`
 * - `dmesg -T` / `--time-format ctime`: `[Mon Nov 30 10:00:00 2026] msg` (local time, no zone)
 * - `dmesg --time-format iso`: `2026-11-30T10:00:00,123456+00:00 msg`
 * - `dmesg -x` / `--decode`: `kern  :err   : [ 12.3] msg`; `dmesg -r`: `<3>[ 12.3] msg`
 * - `dmesg -d` / delta formats: `[ 12.3 < 0.000123>] msg`, `[<    0.000123>] msg`,
 *   `dmesg -e` / `--reltime`: `[Nov30 10:00] msg`, `[  +0.000123] msg`
 * - colour escapes (`dmesg --color=always`), removed before reading
 * - `/dev/kmsg` records: `6,1234,5678901,-;msg` (Documentation/ABI/testing/dev-kmsg)
 * - `journalctl -k`: `Nov 30 10:00:00 host kernel: msg`, `-o short-iso`
 *   (`2026-11-30T10:00:00+0000 host kernel: msg`), `-o short-precise`, `-o short-monotonic`
 *   (`[   12.345678] host kernel: msg`), and its `-- Boot … --` / `-- No entries --` lines
 * - `/var/log/kern.log`, `/var/log/messages`: RFC 3164 (`Nov 30 10:00:00 host kernel: [ 12.3] msg`,
 *   with or without the host) and ISO (`2026-11-30T10:00:00.123456+00:00 host kernel: msg`)
 *   syslog prefixes; lines of other programs there are counted, not classified
 * - `dmesg -t` / `printk.time=0`: no timestamp at all
 * - shapes seen in pasted reports: metalog's `[kernel]` tag, a shipper's `[2023-06-22 21:55:31.3]`
 *   before the printk stamp, `kernel: [ 12.3] msg` without a date, lines wrapped by a terminal.
 *
 * Shell prompts (`$ dmesg`, `[user@host dir]$`), `...` elisions and lines with control characters
 * are recorded as problems; lines of another format are kept as unstamped kernel text.
 *
 * Sample (plain `dmesg`):
 * ```
 * [1942275.993650] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0-1,global_oom,task_memcg=/user.slice,task=mo-service,pid=3466589,uid=1028
 * [1942275.993934] Out of memory: Killed process 3466589 (mo-service) total-vm:95320364kB, anon-rss:77996632kB, file-rss:88kB, shmem-rss:0kB, UID:1028 pgtables:170544kB oom_score_adj:0
 * ```
 * Yields: `time_basis = "monotonic"`, `events[0].kind = "oom-kill"`.
 * Yields: `events[0].process = "mo-service"`, `events[0].anon_rss_kb = 77996632`.
 * Yields: `events[0].constraint = "none"`.
 *
 * Units: `t_s` is seconds since boot (the printk monotonic clock) when the line carries it;
 * `wallclock` is the printed wall-clock time as ISO 8601 text: `YYYY-MM-DDTHH:MM:SS[.ffffff][±HH:MM]`,
 * without a zone when the tool printed local time (`dmesg -T`), and `--MM-DDTHH:MM:SS` (ISO 8601's
 * truncated form) when the line has no year (RFC 3164 syslog, `--reltime`). Sizes are `_kb`
 * (the kernel prints kB = KiB), task-table sizes `_pages` as printed. Every message pattern is
 * written from the kernel's own format string; the source file is named beside each pattern.
 *
 * Memory stays bounded on any log size: unclassified lines are only counted, each kind keeps its
 * first 50 and last 450 events (`counts` stays complete), an OOM report keeps its 20 largest
 * tasks, a trace its first 64 frames.
 */
export interface DmesgFacts {
  /** Lines read (blank ones included). */
  lines: number;
  /** What the stamps are: seconds since boot, wall-clock time only, or none at all. */
  time_basis: "monotonic" | "wallclock" | "none";
  /** Classified kernel events in line order (capped per kind, see `counts`). */
  events: DmesgEvent[];
  /** Events seen per kind, complete even when `events` was capped. */
  counts: Partial<Record<DmesgEventKind, number>>;
  /** Events seen but not kept in `events` (the per-kind cap). */
  dropped_events: number;
  /** The largest monotonic stamp of the last boot in the log: "now" for a replay without /proc/uptime. */
  newest_t_s?: number;
  /** The newest printed wall-clock time (same text form as `DmesgEvent.wallclock`). */
  newest_wallclock?: string;
  /** Boot markers seen (`Linux version …` lines, journalctl `-- Boot … --`); events of earlier boots carry `previous_boot`. */
  boots: number;
  /**
   * OOM victims by command name: how often each was killed and its anon-rss (kB) at each kill,
   * in log order, so a leak (same command killed again and again, RSS rising) can be told from a
   * one-off. `anon_rss_kb` keeps the last 500 values.
   */
  oom_kills_by_process: Record<string, { count: number; anon_rss_kb: number[] }>;
  /** Machine-check / EDAC errors summed per reported location (DIMM label or memory controller). */
  mce_by_location: Record<string, { corrected: number; uncorrected: number }>;
}

export type {
  AuditLostEvent,
  AuditLostReason,
  ClocksourceEvent,
  DiskEvent,
  DmesgEvent,
  DmesgEventBase,
  DmesgEventKind,
  FsErrorEvent,
  HungTaskEvent,
  MceEvent,
  OomKillEvent,
  OomTask,
  SimpleEvent,
  TraceEvent,
} from "./dmesg/events.js";

/** The kernel's `subsystem: message` style, for logs without any stamp. */
const KERNEL_STYLE = /^\s*[\w.\-/ ]{1,40}(?:\s\S+)?: \S/;
/** init/version.c linux_banner: `Linux version %s (%s@%s) …` — the first line of a boot. */
const BOOT_BANNER = /^Linux version \d/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: binary garbage is what is looked for
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/;

/** What the lines read so far say about the log as a whole. */
class LogShape {
  /** A line that is a kernel log line was seen. */
  found = false;
  monoLines = 0;
  stampedLines = 0;
  kernelLines = 0;
  wallLines = 0;
  newestT: number | undefined;
  newestWall: string | undefined;
  /** A journalctl boot marker was just read: the banner that follows is the same boot. */
  freshBootMarker = false;
}

/**
 * Parses a kernel log in any of the formats listed on {@link DmesgFacts}.
 *
 * Reads the lines once, front to back, in memory bounded by the kept events. Shell prompts,
 * `...` elisions and lines with control characters are recorded as problems.
 *
 * @throws UnrecognisedOutputError when not one line looks like a kernel log line (empty input,
 *   binary garbage).
 */
export function parseDmesg(lines: Iterable<string>): ParseResult<DmesgFacts> {
  const problems = new ProblemLog();
  const r = new KernelLogReader();
  const shape = new LogShape();
  for (const rawLine of lines) {
    r.n++;
    readLine(r, shape, problems, rawLine);
  }
  r.closeGroup();
  if (!shape.found) throw new UnrecognisedOutputError("dmesg");
  return { facts: factsOf(r, shape), problems: problems.list() };
}

/** A line without a known prefix that is not kernel text: true when it was such a line (and is done with). */
function readNonKernel(
  r: KernelLogReader,
  shape: LogShape,
  problems: ProblemLog,
  line: string,
): boolean {
  if (PROMPT.test(line)) {
    problems.add(r.n, line, "shell prompt, not kernel log output");
    return true;
  }
  if (ELISION.test(line)) {
    problems.add(r.n, line, "elision, not kernel log output");
    return true;
  }
  if (JOURNAL_META.test(line.trim())) {
    if (JOURNAL_BOOT.test(line.trim())) {
      r.closeGroup();
      r.boots++;
      shape.freshBootMarker = true;
    }
    shape.found = true;
    return true;
  }
  if (CONTROL.test(line)) {
    problems.add(r.n, line, "not a kernel log line (control characters)");
    return true;
  }
  return false;
}

function readLine(
  r: KernelLogReader,
  shape: LogShape,
  problems: ProblemLog,
  rawLine: string,
): void {
  const line = rawLine.includes("\u001b") ? rawLine.replace(ANSI, "") : rawLine;
  if (line.trim() === "") return;
  const p = readPrefix(line);
  if (!p.stamped && readNonKernel(r, shape, problems, line)) return;
  shape.kernelLines++;
  if (p.stamped) {
    shape.found = true;
    shape.stampedLines++;
  }
  if (p.t_s !== undefined) {
    shape.monoLines++;
    if (shape.newestT === undefined || p.t_s > shape.newestT) shape.newestT = p.t_s;
  }
  if (p.wallclock !== undefined) {
    shape.wallLines++;
    if (shape.newestWall === undefined || p.wallclock > shape.newestWall)
      shape.newestWall = p.wallclock;
  }
  if (p.foreign) return;
  const msg = p.msg;
  if (BOOT_BANNER.test(msg.trimStart())) {
    r.closeGroup();
    r.pendingOom = undefined;
    if (!shape.freshBootMarker) r.boots++;
    shape.newestT = p.t_s;
    shape.found = true; // the kernel's own banner, stamped or not (`dmesg -t`)
  }
  shape.freshBootMarker = false;
  if (r.take(p, msg)) {
    shape.found = true;
    return;
  }
  if (r.group && !p.stamped && shape.stampedLines > 0 && /^\s/.test(line)) {
    // an unstamped, indented line in a stamped log continues the previous record
    r.group.event.end_line = r.n;
    return;
  }
  r.closeGroup();
  const before = r.eventsSeen;
  classify(r, p, msg, line);
  if (r.group || r.eventsSeen !== before) shape.found = true;
  else if (!shape.found && KERNEL_STYLE.test(msg)) shape.found = true;
}

/** The stamps of most lines; a pasted log with a stray stamped line has no time basis. */
function timeBasis(shape: LogShape): DmesgFacts["time_basis"] {
  if (shape.stampedLines * 2 < shape.kernelLines) return "none";
  if (shape.monoLines * 2 >= shape.stampedLines) return "monotonic";
  if (shape.wallLines > 0) return "wallclock";
  return shape.monoLines > 0 ? "monotonic" : "none";
}

function factsOf(r: KernelLogReader, shape: LogShape): DmesgFacts {
  const events: DmesgEvent[] = [];
  const counts: Partial<Record<DmesgEventKind, number>> = {};
  let dropped = 0;
  for (const [kind, s] of r.stores) {
    counts[kind] = s.count;
    const kept = s.list();
    dropped += s.count - kept.length;
    events.push(...kept);
  }
  events.sort((a, b) => a.line - b.line);
  for (const e of events) {
    const b = e as DmesgEventBase & { boot?: number };
    if ((b.boot ?? 0) < r.boots) b.previous_boot = true;
    delete b.boot;
  }
  const facts: DmesgFacts = {
    lines: r.n,
    time_basis: timeBasis(shape),
    events,
    counts,
    dropped_events: dropped,
    boots: r.boots,
    oom_kills_by_process: Object.fromEntries(r.byProcess),
    mce_by_location: Object.fromEntries(r.mceByLocation),
  };
  if (shape.newestT !== undefined) facts.newest_t_s = shape.newestT;
  if (shape.newestWall !== undefined) facts.newest_wallclock = shape.newestWall;
  return facts;
}
