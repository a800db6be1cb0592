import type { CgroupMemoryFacts } from "../parsers/cgroup-memory.js";
import type { DmesgEvent, DmesgFacts, OomKillEvent } from "../parsers/dmesg.js";
import { auditLog } from "./kernel-log/audit.js";
import { bug } from "./kernel-log/bug.js";
import { clock, clockNow } from "./kernel-log/clock.js";
import { disk } from "./kernel-log/disk.js";
import { fsSpace } from "./kernel-log/fs-space.js";
import { hungTask } from "./kernel-log/hung-task.js";
import type { CurrentEvents, LogJudge } from "./kernel-log/judge.js";
import { LOG } from "./kernel-log/judge.js";
import { limits } from "./kernel-log/limits.js";
import { locks } from "./kernel-log/locks.js";
import { mce } from "./kernel-log/mce.js";
import { network } from "./kernel-log/network.js";
import { nfs } from "./kernel-log/nfs.js";
import { oom } from "./kernel-log/oom.js";
import { schedLog } from "./kernel-log/sched.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n } from "./util.js";

export { rising } from "./kernel-log/oom.js";

/**
 * Kernel log facts (`dmesg`, any format: plain, `-T`, journalctl -k, kern.log), judged by
 * age. An event's age is `uptime_s − t_s` when the `uptime` collector read /proc/uptime in
 * the same exec as dmesg; in a replay without it, the age is measured from the newest line
 * (monotonic stamps, else wall-clock stamps); a line with no stamp has an unknown age and
 * counts as current. Events older than the look-back (default 1 h) are history: they give a
 * note, never a fact a rule fires on.
 *
 * Messages are recognised by the kernel's own wording (sources in each pattern's comment):
 * OOM kills and the OOM task dump (mm/oom_kill.c), hung tasks with their stack
 * (kernel/hung_task.c), machine checks and EDAC (arch/x86/kernel/cpu/mce, drivers/edac),
 * block I/O errors (block/blk-core.c, drivers/scsi/sd.c, libata, nvme), filesystems out of space
 * (fs/ext4/inode.c, fs/btrfs/messages.c), clocksource watchdog
 * (kernel/time/clocksource.c), oopses, BUG/WARNING, lockups and RCU stalls (the known bug
 * signatures), SYN flood and TCP memory messages (net/ipv4), conntrack table full
 * (nf_conntrack_core.c), NFS server not responding (fs/nfs, net/sunrpc), page allocation
 * failures (mm/page_alloc.c), pids / file-max limits (kernel/cgroup/pids.c, fs/file_table.c), RT
 * throttling and late timer interrupts (kernel/sched/rt.c, kernel/time/hrtimer.c), audit records
 * lost to a full queue to auditd or the audit rate limit (kernel/audit.c).
 * Each family of facts is a module of ./kernel-log/, listed in JUDGES.
 */

/**
 * The families of kernel-log facts, in the order their facts are set (and listed): each module
 * names the kernel sources of the events it reads.
 */
export const JUDGES: readonly LogJudge[] = [
  oom,
  hungTask,
  nfs,
  mce,
  disk,
  fsSpace,
  clock,
  bug,
  network,
  limits,
  schedLog,
  locks,
  auditLog,
];

/** Depth and cap of the cgroup walk (src/collectors/cgroup-walk.ts defaults). */
const WALK_DEPTH = 4;
const WALK_CAP = 500;

const provides: ModuleFactSpec[] = [
  { path: "log.lines", type: "number", unit: "lines", from: LOG, doc: "Kernel log lines read." },
  {
    path: "log.history_events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Recognised events older than the look-back (history, not a current cause).",
  },
  {
    path: "oom.memcg_gone",
    type: "boolean",
    from: ["dmesg", "cgroup-memory"],
    doc: "True when the cgroup of the last OOM kill is no longer among the host's cgroups (cgroup-memory).",
  },
  {
    path: "log.age_known",
    type: "boolean",
    from: LOG,
    doc: "True when events could be dated (stamps present).",
  },
  ...JUDGES.flatMap((j) => j.provides),
];

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * Milliseconds of a printed wall-clock time (the parser's ISO text; `--MM-DDTHH:MM:SS` has no
 * year and is read in a fixed year, which is fine for ages between lines of one log).
 */
export function wallMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const noYear = /^--(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?/.exec(text);
  if (noYear) {
    const [, mo, d, h, mi, sec, frac] = noYear;
    return (
      Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) +
      (frac ? Number(`0.${frac}`) * 1000 : 0)
    );
  }
  const iso = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?/.exec(text);
  if (iso) {
    // Zones are ignored: every stamp of one log is in the same zone.
    const [, y, mo, d, h, mi, sec, frac] = iso;
    return (
      Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) +
      (frac ? Number(`0.${frac}`) * 1000 : 0)
    );
  }
  const sys = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)/.exec(text);
  if (sys && sys[1] in MONTHS) {
    return Date.UTC(
      2000,
      MONTHS[sys[1]],
      Number(sys[2]),
      Number(sys[3]),
      Number(sys[4]),
      Number(sys[5]),
    );
  }
  return undefined;
}

/** A kernel log's events split at the look-back, with the age of each. */
export interface DatedEvents {
  /** Events within the look-back, or of unknown age, in line order. */
  current: DmesgEvent[];
  /** Events older than the look-back (history), in line order. */
  past: DmesgEvent[];
  /** Age of the oldest past event in seconds (0 when there is none). */
  oldest: number;
  /** Seconds since the event was logged; undefined when it cannot be dated. */
  ageOf(e: DmesgEvent): number | undefined;
}

/**
 * Dates the events of a parsed kernel log and splits them at `lookbackSeconds`. "Now" is
 * `uptimeS` (/proc/uptime, read in the same exec) when the log belongs to this boot (no
 * monotonic stamp beyond it by more than 5 s), else the newest monotonic stamp; events with
 * only wall-clock stamps are aged from the newest wall-clock stamp; an earlier boot's monotonic
 * stamp is at least as old as the current boot; an event with no stamp has no age (current).
 */
export function dateEvents(
  dm: DmesgFacts,
  uptimeS: number | undefined,
  lookbackSeconds: number,
): DatedEvents {
  const newestMono = n(dm.newest_t_s);
  const newestWall = wallMs(dm.newest_wallclock);
  const now =
    uptimeS !== undefined && (newestMono === undefined || newestMono <= uptimeS + 5)
      ? uptimeS
      : newestMono;
  const ageOf = (e: DmesgEvent): number | undefined => {
    if (e.t_s !== undefined && !e.previous_boot && now !== undefined) return now - e.t_s;
    const w = wallMs(e.wallclock);
    if (w !== undefined && newestWall !== undefined) return (newestWall - w) / 1000;
    if (e.previous_boot && now !== undefined) return now;
    return undefined;
  };
  const dated: DatedEvents = { current: [], past: [], oldest: 0, ageOf };
  for (const e of dm.events) {
    const age = ageOf(e);
    if (age === undefined || age <= lookbackSeconds) dated.current.push(e);
    else {
      dated.past.push(e);
      dated.oldest = Math.max(dated.oldest, age);
    }
  }
  return dated;
}

/**
 * The events the families judge: `judged` (the current or the past events of `dm`), with every
 * OOM kill of `dm` that names its victim (for trends) and MemTotal in kB when known.
 */
export function currentEvents(
  judged: readonly DmesgEvent[],
  dm: DmesgFacts,
  memTotalKb: number | undefined,
): CurrentEvents {
  return {
    events: judged,
    of: (...kinds) => judged.filter((e) => kinds.includes(e.kind)),
    memTotalKb,
    allKills: dm.events.filter(
      (e): e is OomKillEvent => e.kind === "oom-kill" && e.process !== undefined,
    ),
  };
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const cs = factsOf(parsed, "clocksource");
  const dm = factsOf(parsed, "dmesg");
  if (dm && Array.isArray(dm.events)) {
    bag.set("log.lines", n(dm.lines), "dmesg");
    const lookback = ctx.lookbackSeconds ?? 3600;
    const uptime = n(factsOf(parsed, "uptime")?.uptime_s);
    if (
      uptime === undefined &&
      (n(dm.newest_t_s) !== undefined || wallMs(dm.newest_wallclock) !== undefined)
    ) {
      bag.note(
        "No /proc/uptime with the kernel log: event ages are measured from its newest line.",
      );
    }
    bag.set("log.age_known", dm.time_basis !== "none", "dmesg");
    const dated = dateEvents(dm, uptime, lookback);
    const history = dated.past.length;
    const judged = ctx.epoch === "past" ? dated.past : dated.current;
    const ev = currentEvents(judged, dm, n(factsOf(parsed, "meminfo")?.mem_total_kb));
    for (const j of JUDGES) j.judge(ev, bag);
    datedExcerpts(bag, judged, dated.ageOf);
    memcgGone(bag, factsOf(parsed, "cgroup-memory"));
    bag.set("log.history_events", history, "dmesg");
    if (history > 0) {
      bag.note(
        `${history} kernel log event${history === 1 ? "" : "s"} older than ${Math.round(lookback / 60)} min (oldest ${formatAge(dated.oldest)} ago) ${history === 1 ? "is" : "are"} history, not the current cause.`,
      );
    }
  }
  clockNow(bag, cs);
  return bag;
}

/** `42 s`, `9 min`, `3 h`, `2 d`: how long ago, as the report prints it. */
export function formatAge(seconds: number): string {
  if (seconds >= 86400) return `${Math.round(seconds / 86400)} d`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.max(0, Math.round(seconds))} s`;
}

/**
 * Adds its age to every kernel log line cited as evidence (`… (23 min ago)`): an OOM kill of a
 * minute ago and one of forty minutes ago read the same, and only the age tells the reader
 * whether it is the incident at hand.
 */
function datedExcerpts(
  bag: FactBag,
  events: readonly DmesgEvent[],
  ageOf: (e: DmesgEvent) => number | undefined,
): void {
  const ages = new Map<string, number>();
  for (const e of events) {
    const age = ageOf(e);
    if (age !== undefined) ages.set(e.text.trim(), age);
  }
  for (const [path, excerpt] of bag.excerpts) {
    const age = ages.get(excerpt);
    if (age === undefined) continue;
    bag.excerpts.set(path, `${excerpt}  (${formatAge(age)} ago)`);
    bag.ages.set(path, age);
  }
}

/**
 * `oom.memcg_gone`: true when the cgroup an OOM kill names is not among the cgroups the
 * `cgroup-memory` walk listed (it was removed: a finished job, a restarted container). Only
 * said when the walk could have listed it: a hierarchy was walked, the path is within the
 * walk's depth, and the walk did not stop at its cap (src/collectors/cgroup-walk.ts).
 */
function memcgGone(bag: FactBag, cg: CgroupMemoryFacts | undefined): void {
  const memcg = bag.values.get("oom.memcg");
  if (typeof memcg !== "string" || !cg || cg.hierarchies.length === 0) return;
  if (memcg === "/" || memcg.split("/").length - 1 > WALK_DEPTH) return;
  if (cg.rows.length >= WALK_CAP) return;
  const gone = !cg.rows.some((r) => r.cgroup === memcg);
  bag.set("oom.memcg_gone", gone, "cgroup-memory", bag.excerpts.get("oom.memcg"));
}

/** The `kernel-log` derive module (see the header comment of this file). */
export const kernelLogModule: DeriveModule = {
  id: "kernel-log",
  needs: ["dmesg", "cgroup-memory", "meminfo", "clocksource", "uptime"],
  provides,
  derive,
};
