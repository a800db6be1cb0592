import type { ClocksourceFacts } from "../parsers/clocksource.js";
import type {
  ClocksourceEvent,
  DiskEvent,
  DmesgEvent,
  DmesgFacts,
  FsErrorEvent,
  HungTaskEvent,
  MceEvent,
  OomKillEvent,
  SimpleEvent,
} from "../parsers/dmesg.js";
import type { MeminfoFacts } from "../parsers/meminfo.js";
import type { UptimeFacts } from "../parsers/uptime.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type FactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n, pct, s } from "./util.js";

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
 * block I/O errors (block/blk-core.c, drivers/scsi/sd.c, libata, nvme), clocksource watchdog
 * (kernel/time/clocksource.c), oopses, BUG/WARNING, lockups and RCU stalls (the known bug
 * signatures), SYN flood and TCP memory messages (net/ipv4), conntrack table full
 * (nf_conntrack_core.c), NFS server not responding (fs/nfs, net/sunrpc), page allocation
 * failures (mm/page_alloc.c), and pids / file-max limits (kernel/cgroup/pids.c, fs/file_table.c).
 */

const LOG = ["dmesg"];

const provides: FactSpec[] = [
  { path: "log.lines", type: "number", unit: "lines", from: LOG, doc: "Kernel log lines read." },
  {
    path: "log.history_events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Recognised events older than the look-back (history, not a current cause).",
  },
  {
    path: "log.age_known",
    type: "boolean",
    from: LOG,
    doc: "True when events could be dated (stamps present).",
  },
  {
    path: "oom.events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Current OOM-killer runs: kills, `invoked oom-killer`, or task dumps.",
  },
  {
    path: "oom.kills",
    type: "number",
    unit: "kills",
    from: LOG,
    doc: "Processes killed by the OOM killer (current).",
  },
  { path: "oom.victim", type: "string", from: LOG, doc: "Command of the last process killed." },
  { path: "oom.victim_pid", type: "number", from: LOG, doc: "Its PID." },
  {
    path: "oom.victim_rss_kb",
    type: "number",
    unit: "kB",
    from: LOG,
    doc: "Its anon + file + shmem RSS when killed.",
  },
  {
    path: "oom.victim_pct_of_ram",
    type: "number",
    unit: "%",
    from: ["dmesg", "meminfo"],
    doc: "Its RSS as % of MemTotal (meminfo); absent without meminfo (the task dump's share is oom.top_task_share_pct).",
  },
  {
    path: "oom.constraint",
    type: "string",
    from: LOG,
    doc: "`global` (the whole machine), `memcg` (a cgroup limit), `cpuset` or `mempolicy`.",
  },
  {
    path: "oom.memcg",
    type: "string",
    from: LOG,
    doc: "The cgroup of the victim (task_memcg), when printed.",
  },
  {
    path: "oom.at_cgroup_limit",
    type: "boolean",
    from: LOG,
    doc: "True when the last OOM kill was at a cgroup's memory limit (constraint memcg), not the whole machine running out.",
  },
  {
    path: "oom.repeat_kills",
    type: "number",
    unit: "kills",
    from: LOG,
    doc: "Kills in the whole log of the program killed most often within the look-back (earlier kills show the trend); a program is a command in one cgroup, when the log names it.",
  },
  {
    path: "oom.repeat_command",
    type: "string",
    from: LOG,
    doc: "That command, when it was killed twice or more.",
  },
  {
    path: "oom.repeat_rss_rising",
    type: "boolean",
    from: LOG,
    doc: "True when that command was killed twice or more with growing resident size: +5 % or more from the first kill to the last, no kill more than 5 % below the one before.",
  },
  {
    path: "oom.repeat_rss_growth_pct",
    type: "number",
    unit: "%",
    from: LOG,
    doc: "RSS growth from its first to its last kill.",
  },
  {
    path: "oom.top_task",
    type: "string",
    from: LOG,
    doc: "Command holding the most RSS in the OOM task dump (processes of one name added).",
  },
  {
    path: "oom.top_task_rss_kb",
    type: "number",
    unit: "kB",
    from: LOG,
    doc: "Its RSS (4 kB pages × rss).",
  },
  {
    path: "oom.top_task_share_pct",
    type: "number",
    unit: "%",
    from: LOG,
    doc: "Its share of all RSS in the dump (victim included).",
  },
  {
    path: "oom.top_task_processes",
    type: "number",
    unit: "processes",
    from: LOG,
    doc: "Processes of that name in the dump.",
  },
  {
    path: "mem.alloc_failures",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`page allocation failure` messages (current).",
  },
  {
    path: "hung.tasks",
    type: "number",
    unit: "tasks",
    from: LOG,
    doc: "`task ... blocked for more than N seconds` reports (current).",
  },
  { path: "hung.task", type: "string", from: LOG, doc: "Command of the first blocked task." },
  {
    path: "hung.blocked_s",
    type: "number",
    unit: "s",
    from: LOG,
    doc: "The hung-task timeout it exceeded.",
  },
  {
    path: "hung.in_writeback",
    type: "number",
    unit: "tasks",
    from: LOG,
    doc: "Blocked tasks that are the journal (jbd2) or whose stack waits in local writeback (balance_dirty_pages, wb_wait_for_completion, jbd2_*, wait_on_page_writeback, ...).",
  },
  {
    path: "hung.on_network_fs",
    type: "number",
    unit: "tasks",
    from: LOG,
    doc: "Blocked tasks whose stack is in NFS, SunRPC, CIFS, Ceph or FUSE code.",
  },
  {
    path: "hung.stack",
    type: "string",
    from: LOG,
    doc: "Functions of the first blocked task's stack, innermost first.",
  },
  {
    path: "nfs.not_responding",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`nfs: server ... not responding` messages (current).",
  },
  { path: "nfs.server", type: "string", from: LOG, doc: "The server named." },
  {
    path: "nfs.recovered",
    type: "boolean",
    from: LOG,
    doc: "True when `server ... OK` follows the last not-responding message.",
  },
  {
    path: "mce.events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Machine-check and EDAC error messages (current).",
  },
  {
    path: "mce.corrected",
    type: "number",
    unit: "errors",
    from: LOG,
    doc: "Corrected errors (EDAC CE, `Corrected error`).",
  },
  {
    path: "mce.uncorrected",
    type: "number",
    unit: "errors",
    from: LOG,
    doc: "Uncorrected or fatal errors (EDAC UE, `Uncorrected`, `Processor context corrupt`).",
  },
  {
    path: "mce.memory",
    type: "boolean",
    from: LOG,
    doc: "True when the errors are memory (DRAM/DIMM) errors.",
  },
  {
    path: "mce.location",
    type: "string",
    from: LOG,
    doc: "DIMM, channel or bank named, when printed.",
  },
  {
    path: "ioerr.events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Block device error messages: I/O, medium, sense, ATA, NVMe timeouts and resets, filesystem I/O errors (current).",
  },
  { path: "ioerr.device", type: "string", from: LOG, doc: "Device named most often." },
  {
    path: "ioerr.medium",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Medium errors (unrecovered read errors, bad sectors).",
  },
  {
    path: "ioerr.hardware",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Hardware-error sense keys, ATA bus errors.",
  },
  {
    path: "ioerr.timeouts",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Command timeouts, aborts and link or controller resets.",
  },
  {
    path: "ioerr.fs_errors",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Filesystem errors reported by ext4, XFS, btrfs.",
  },
  {
    path: "clock.unstable",
    type: "string",
    from: LOG,
    doc: "Clocksource the watchdog marked unstable (`tsc`).",
  },
  {
    path: "clock.switched_to",
    type: "string",
    from: LOG,
    doc: "Clocksource switched to after boot settled (the last `Switched to clocksource X`).",
  },
  {
    path: "clock.current",
    type: "string",
    from: ["clocksource", "dmesg"],
    doc: "Current clocksource (sysfs), else the last one dmesg switched to.",
  },
  {
    path: "clock.slow",
    type: "boolean",
    from: ["clocksource", "dmesg"],
    doc: "True when the current clocksource is hpet, acpi_pm, pit or jiffies: clock_gettime() becomes a system call instead of a vDSO read.",
  },
  {
    path: "clock.tsc_available",
    type: "boolean",
    from: ["clocksource"],
    doc: "`tsc` is among the available clocksources.",
  },
  {
    path: "kernel.bug_events",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "Known bug signatures: oops, BUG, WARNING, general protection fault, soft/hard lockup, RCU stall, unregister_netdevice leak, NETDEV WATCHDOG (current).",
  },
  {
    path: "kernel.bug_signatures",
    type: "string[]",
    from: LOG,
    doc: "Which signatures: oops, bug, warning, gpf, soft-lockup, hard-lockup, rcu-stall, netdev-refcount, tx-timeout, panic.",
  },
  { path: "kernel.bug_line", type: "string", from: LOG, doc: "The first bug-signature line." },
  {
    path: "net.log.syn_flood",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`Possible SYN flooding on port N` messages (current).",
  },
  { path: "net.log.syn_flood_port", type: "number", from: LOG, doc: "The port named." },
  {
    path: "net.log.tcp_oom",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`TCP: out of memory -- consider tuning tcp_mem` messages.",
  },
  {
    path: "net.log.orphans",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`TCP: too many orphaned sockets` messages.",
  },
  {
    path: "net.log.conntrack_full",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`nf_conntrack: table full, dropping packet` messages.",
  },
  {
    path: "pids.log.fork_rejected",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`cgroup: fork rejected by pids controller` messages.",
  },
  {
    path: "pids.log.cgroup",
    type: "string",
    from: LOG,
    doc: "The cgroup the pids controller refused forks in (the last such message).",
  },
  {
    path: "fd.log.file_max",
    type: "number",
    unit: "events",
    from: LOG,
    doc: "`VFS: file-max limit N reached` messages.",
  },
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

const WRITEBACK =
  /^(balance_dirty_pages\w*|wb_wait_for_completion|writeback_sb_inodes|__writeback\w*|wb_writeback|jbd2\w*|__jbd2\w*|start_this_handle|wait_on_page_writeback|folio_wait_writeback|wait_transaction_locked|log_wait_commit|xlog_\w*|xfs_log_force\w*|btrfs_commit_transaction|sync_inodes_sb)$/;
const NETWORK_FS = /^(nfs|nfs4|rpc|__rpc|xprt|cifs|smb2?|ceph|fuse|afs|9p|p9)_/i;

/** Bug signature of a trace-type event. */
function signatureOf(ev: DmesgEvent): string | undefined {
  switch (ev.kind) {
    case "soft-lockup":
    case "hard-lockup":
    case "rcu-stall":
      return ev.kind;
    case "kernel-bug": {
      if (ev.panic) return "panic";
      const bug = `${ev.bug ?? ""} ${ev.text}`;
      if (/general protection/i.test(bug)) return "gpf";
      if (/NULL pointer|unable to handle|Oops/i.test(bug)) return "oops";
      if (/unregister_netdevice/i.test(bug)) return "netdev-refcount";
      if (/WARNING/.test(bug)) return "warning";
      if (/panic/i.test(bug)) return "panic";
      return "bug";
    }
    case "nic-link":
      return ev.state === "tx-timeout" ? "tx-timeout" : undefined;
    default:
      return undefined;
  }
}

function rssOf(ev: OomKillEvent): number | undefined {
  if (ev.anon_rss_kb === undefined) return undefined;
  return ev.anon_rss_kb + (ev.file_rss_kb ?? 0) + (ev.shmem_rss_kb ?? 0);
}

/** Facts from the current (not history) events. */
/**
 * True when sizes grow: the last is at least 5 % above the first and none falls more than
 * 5 % below the one before (kills land at slightly different sizes).
 */
export function rising(sizes: readonly number[]): boolean {
  if (sizes.length < 2 || sizes[0] <= 0) return false;
  const growth = sizes[sizes.length - 1] / sizes[0];
  return growth >= 1.05 && sizes.every((v, i) => i === 0 || v >= sizes[i - 1] * 0.95);
}

function classify(
  events: DmesgEvent[],
  bag: FactBag,
  memTotalKb: number | undefined,
  allKills: OomKillEvent[],
): void {
  const src = "dmesg";
  const of = (...kinds: DmesgEvent["kind"][]): DmesgEvent[] =>
    events.filter((e) => kinds.includes(e.kind));

  // OOM reports (one event per report; a report cut before its kill line has no process).
  const ooms = of("oom-kill") as OomKillEvent[];
  const kills = ooms.filter((e) => e.process !== undefined);
  // Cite the newest report: the victim named in the title is the last one killed.
  bag.set("oom.events", ooms.length, src, ooms.at(-1)?.text);
  bag.set("oom.kills", kills.length, src, kills.at(-1)?.text);
  const victim = kills[kills.length - 1];
  if (victim) {
    bag.set("oom.victim", victim.process, src, victim.text);
    bag.set("oom.victim_pid", victim.pid, src, victim.text);
    bag.set("oom.victim_rss_kb", rssOf(victim), src, victim.text);
  }
  const withConstraint = [...ooms].reverse().find((e) => e.constraint !== undefined);
  if (withConstraint?.constraint) {
    const c = withConstraint.constraint;
    bag.set("oom.at_cgroup_limit", c === "memcg", src, withConstraint.text);
    bag.set(
      "oom.constraint",
      c === "none" ? "global" : c === "memory_policy" ? "mempolicy" : c,
      src,
      withConstraint.text,
    );
  }
  const withMemcg = [...ooms].reverse().find((e) => e.memcg ?? e.task_memcg);
  if (withMemcg) bag.set("oom.memcg", withMemcg.memcg ?? withMemcg.task_memcg, src, withMemcg.text);
  if (kills.length > 0) {
    // A trend needs the earlier kills too: every kill in the log of a command killed now
    // (earlier ones are history as causes, but they show whether it grows).
    // One program is one command in one cgroup: a restarted service keeps its cgroup, while
    // the same command name in another cgroup is another program.
    const programOf = (k: OomKillEvent) => `${k.process}\u0000${k.task_memcg ?? k.memcg ?? ""}`;
    const current = new Set(kills.map(programOf));
    const byProgram = new Map<string, OomKillEvent[]>();
    for (const k of allKills) {
      if (k.process === undefined || !current.has(programOf(k))) continue;
      byProgram.set(programOf(k), [...(byProgram.get(programOf(k)) ?? []), k]);
    }
    const [, list] = [...byProgram].sort((a, b) => b[1].length - a[1].length)[0];
    const comm = list[0].process as string;
    const cgroup = list[0].task_memcg ?? list[0].memcg;
    const rss = list.map(rssOf);
    const line = `${list.length} OOM kills of ${comm}${cgroup ? ` in ${cgroup}` : ""}: resident ${rss.map((r) => (r !== undefined ? `${r} kB` : "?")).join(" → ")}`;
    bag.set("oom.repeat_kills", list.length, src, line);
    if (list.length >= 2) bag.set("oom.repeat_command", comm, src, line);
    if (list.length >= 2) {
      const known = rss.every((r) => r !== undefined);
      const r = rss as number[];
      bag.set("oom.repeat_rss_rising", known && rising(r), src, line);
      if (known && r[0] > 0)
        bag.set("oom.repeat_rss_growth_pct", pct(r[r.length - 1] - r[0], r[0]), src, line);
    }
  }
  // The task table of the last report: who held the memory (pages of 4 kB).
  const table = [...ooms].reverse().find((e) => (e.tasks?.length ?? 0) > 0);
  if (table?.tasks) {
    const by = new Map<string, { rss: number; procs: number; text: string }>();
    let total = 0;
    for (const task of table.tasks) {
      const kb = task.rss_pages * 4;
      total += kb;
      const e = by.get(task.name) ?? {
        rss: 0,
        procs: 0,
        text: `[${task.pid}] rss ${task.rss_pages} pages ${task.name}`,
      };
      e.rss += kb;
      e.procs++;
      by.set(task.name, e);
    }
    const v = table.process !== undefined ? rssOf(table) : undefined;
    if (table.process !== undefined && v !== undefined && !by.has(table.process)) {
      by.set(table.process, { rss: v, procs: 1, text: table.text });
      total += v;
    }
    const [name, top] = [...by].sort((a, b) => b[1].rss - a[1].rss)[0];
    const line = `OOM task dump: ${name} ×${top.procs} hold ${top.rss} kB of ${total} kB listed (${top.text})`;
    bag.set("oom.top_task", name, src, line);
    bag.set("oom.top_task_rss_kb", top.rss, src, line);
    bag.set("oom.top_task_share_pct", pct(top.rss, total), src, line);
    bag.set("oom.top_task_processes", top.procs, src, line);
    if (victim && victim === table && memTotalKb) {
      bag.set("oom.victim_pct_of_ram", pct(rssOf(victim), memTotalKb), "meminfo", victim.text);
    }
  } else if (victim && memTotalKb) {
    bag.set("oom.victim_pct_of_ram", pct(rssOf(victim), memTotalKb), "meminfo", victim.text);
  } else if (victim && rssOf(victim) !== undefined) {
    // No task table: the victim is the task the kernel judged the biggest.
    bag.set("oom.top_task", victim.process, src, victim.text);
    bag.set("oom.top_task_rss_kb", rssOf(victim), src, victim.text);
    bag.set("oom.top_task_processes", 1, src, victim.text);
  }
  const alloc = of("page-allocation-failure");
  bag.set("mem.alloc_failures", alloc.length, src, alloc[0]?.text);

  // Hung tasks.
  const hung = of("hung-task") as HungTaskEvent[];
  bag.set("hung.tasks", hung.length, src, hung[0]?.text);
  if (hung.length > 0) {
    const h = hung[0];
    bag.set("hung.task", h.task, src, h.text);
    bag.set("hung.blocked_s", h.blocked_s, src, h.text);
    const stack = [...(h.trace ?? [])].filter(
      (f) =>
        !/^(__schedule|schedule|schedule_timeout|io_schedule\w*|__switch_to\w*|ret_from_fork\w*|kthread)$/.test(
          f,
        ),
    );
    if (stack.length > 0) bag.set("hung.stack", stack.slice(0, 8).join(" < "), src, h.text);
  }
  const frames = (h: HungTaskEvent) => [...(h.trace ?? []), ...(h.trace_unreliable ?? [])];
  const net = hung.filter((h) => frames(h).some((f) => NETWORK_FS.test(f)));
  const wb = hung.filter(
    (h) => !net.includes(h) && (/^jbd2\//.test(h.task) || frames(h).some((f) => WRITEBACK.test(f))),
  );
  bag.set("hung.in_writeback", wb.length, src, wb[0]?.text);
  bag.set("hung.on_network_fs", net.length, src, net[0]?.text);
  const nfs = of("nfs-not-responding") as SimpleEvent[];
  const down = nfs.filter((e) => e.status !== "OK");
  bag.set("nfs.not_responding", down.length, src, down[0]?.text);
  if (down.length > 0) {
    const lastDown = down[down.length - 1];
    bag.set("nfs.server", lastDown.server, src, lastDown.text);
    const recovered = nfs.some((e) => e.status === "OK" && e.line > lastDown.line);
    bag.set("nfs.recovered", recovered, src, lastDown.text);
  }

  // Machine checks.
  const mces = of("mce") as MceEvent[];
  let ce = 0;
  let ue = 0;
  for (const m of mces) {
    if (m.corrected === true) ce += m.count ?? 1;
    if (m.corrected === false) ue += m.count ?? 1;
  }
  bag.set("mce.events", mces.length, src, mces[0]?.text);
  bag.set("mce.corrected", ce, src, mces.find((m) => m.corrected === true)?.text ?? mces[0]?.text);
  bag.set(
    "mce.uncorrected",
    ue,
    src,
    mces.find((m) => m.corrected === false)?.text ?? mces[0]?.text,
  );
  if (mces.length > 0) {
    const mem = mces.filter(
      (m) =>
        m.dimm !== undefined ||
        m.mc !== undefined ||
        /memory|DRAM|DIMM/i.test(`${m.error ?? ""} ${m.text}`),
    );
    bag.set("mce.memory", mem.length > 0, src, mem[0]?.text ?? mces[0].text);
    const loc =
      mces.find((m) => m.dimm)?.dimm ??
      (mces.find((m) => m.mc !== undefined)
        ? `MC${mces.find((m) => m.mc !== undefined)?.mc}`
        : undefined);
    if (loc)
      bag.set("mce.location", loc, src, mces.find((m) => m.dimm === loc)?.text ?? mces[0].text);
  }

  // Disks and filesystems.
  const disk = of("io-error", "medium-error", "disk-timeout-reset") as DiskEvent[];
  const fsErr = of("fs-error") as FsErrorEvent[];
  const first = disk[0] ?? fsErr[0];
  bag.set("ioerr.events", disk.length + fsErr.length, src, first?.text);
  const devs = new Map<string, number>();
  for (const d of [...disk, ...fsErr]) {
    if (!d.device) continue;
    // Prefer block device names over SCSI addresses (0:0:0:1) and ATA ports.
    const w = /^(sd|vd|hd|xvd|nvme|mmcblk|dm-|md)/.test(d.device) ? 2 : 1;
    devs.set(d.device, (devs.get(d.device) ?? 0) + w);
  }
  const dev = [...devs].sort((a, b) => b[1] - a[1])[0];
  if (dev)
    bag.set(
      "ioerr.device",
      dev[0],
      src,
      [...disk, ...fsErr].find((d) => d.device === dev[0])?.text,
    );
  const medium = disk.filter((d) => d.kind === "medium-error");
  bag.set("ioerr.medium", medium.length, src, medium[0]?.text ?? first?.text);
  const hw = disk.filter(
    (d) =>
      /hardware|DRIVER_SENSE|HBA|ata/i.test(`${d.error ?? ""} ${d.sense ?? ""}`) &&
      d.kind !== "medium-error",
  );
  bag.set("ioerr.hardware", hw.length, src, hw[0]?.text ?? first?.text);
  const resets = disk.filter((d) => d.kind === "disk-timeout-reset");
  bag.set("ioerr.timeouts", resets.length, src, resets[0]?.text ?? first?.text);
  bag.set("ioerr.fs_errors", fsErr.length, src, fsErr[0]?.text ?? first?.text);

  // Clocksource. `tsc=unstable` on the kernel command line is the booter's choice, not a fault.
  const marked = of("clocksource-unstable") as ClocksourceEvent[];
  const clocks = marked.filter((c) => c.reason !== "boot parameter");
  if (clocks.length < marked.length) {
    bag.note("The TSC is off by the tsc=unstable boot parameter: a choice at boot, not a fault.");
  }
  if (clocks.length > 0) {
    const c = clocks.find((x) => x.clocksource) ?? clocks[0];
    const sw = [...clocks].reverse().find((x) => x.switched_to);
    const line = sw && sw !== c ? `${c.text} / ${sw.text}` : c.text;
    bag.set("clock.unstable", c.clocksource ?? "tsc", src, line);
    if (sw?.switched_to) bag.set("clock.switched_to", sw.switched_to, src, line);
  }

  // Bug signatures.
  const sigs = events.map((e) => ({ e, sig: signatureOf(e) })).filter((x) => x.sig !== undefined);
  bag.set("kernel.bug_events", sigs.length, src, sigs[0]?.e.text);
  bag.set(
    "kernel.bug_signatures",
    [...new Set(sigs.map((x) => x.sig as string))],
    src,
    sigs[0]?.e.text,
  );
  if (sigs[0]) bag.set("kernel.bug_line", sigs[0].e.text, src, sigs[0].e.text);

  // Network and limits.
  const syn = of("syn-flood") as SimpleEvent[];
  bag.set("net.log.syn_flood", syn.length, src, syn[0]?.text);
  bag.set("net.log.syn_flood_port", syn[0]?.port, src, syn[0]?.text);
  const tcp = of("tcp-oom") as SimpleEvent[];
  const tcpMem = tcp.filter((e) => e.reason !== "orphans");
  const orphans = tcp.filter((e) => e.reason === "orphans");
  bag.set("net.log.tcp_oom", tcpMem.length, src, tcpMem[0]?.text);
  bag.set("net.log.orphans", orphans.length, src, orphans[0]?.text);
  const ct = of("conntrack-full");
  bag.set("net.log.conntrack_full", ct.length, src, ct[0]?.text);
  const pids = of("pids-limit");
  // The newest refusal is cited, the one whose cgroup the finding names.
  const lastPids = pids[pids.length - 1] as SimpleEvent | undefined;
  bag.set("pids.log.fork_rejected", pids.length, src, lastPids?.text);
  if (lastPids?.cgroup) bag.set("pids.log.cgroup", lastPids.cgroup, src, lastPids.text);
  const fm = of("file-max");
  bag.set("fd.log.file_max", fm.length, src, fm[0]?.text);
}

const SLOW_CLOCKS = new Set(["hpet", "acpi_pm", "pit", "jiffies", "refined-jiffies"]);

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const cs = factsOf<ClocksourceFacts>(parsed, "clocksource");
  const dm = factsOf<DmesgFacts>(parsed, "dmesg");
  if (dm && Array.isArray(dm.events)) {
    bag.set("log.lines", n(dm.lines), "dmesg");
    const lookback = ctx.lookbackSeconds ?? 3600;
    const uptime = n(factsOf<UptimeFacts>(parsed, "uptime")?.uptime_s);
    const newestMono = n(dm.newest_t_s);
    const newestWall = wallMs(dm.newest_wallclock);
    // /proc/uptime dates the log only when the log belongs to this boot (no stamp beyond it).
    const now =
      uptime !== undefined && (newestMono === undefined || newestMono <= uptime + 5)
        ? uptime
        : newestMono;
    if (uptime === undefined && (newestMono !== undefined || newestWall !== undefined)) {
      bag.note(
        "No /proc/uptime with the kernel log: event ages are measured from its newest line.",
      );
    }
    const ageOf = (e: DmesgEvent): number | undefined => {
      if (e.t_s !== undefined && !e.previous_boot && now !== undefined) return now - e.t_s;
      const w = wallMs(e.wallclock);
      if (w !== undefined && newestWall !== undefined) return (newestWall - w) / 1000;
      // An earlier boot's monotonic stamp: at least as old as the current boot.
      if (e.previous_boot && now !== undefined) return now;
      return undefined;
    };
    bag.set("log.age_known", dm.time_basis !== "none", "dmesg");
    const current: DmesgEvent[] = [];
    let history = 0;
    let oldest = 0;
    for (const e of dm.events) {
      const age = ageOf(e);
      if (age === undefined || age <= lookback) current.push(e);
      else {
        history++;
        oldest = Math.max(oldest, age);
      }
    }
    classify(
      current,
      bag,
      n(factsOf<MeminfoFacts>(parsed, "meminfo")?.mem_total_kb),
      dm.events.filter((e): e is OomKillEvent => e.kind === "oom-kill" && e.process !== undefined),
    );
    datedExcerpts(bag, current, ageOf);
    bag.set("log.history_events", history, "dmesg");
    if (history > 0) {
      bag.note(
        `${history} kernel log event${history === 1 ? "" : "s"} older than ${Math.round(lookback / 60)} min (oldest ${formatAge(oldest)} ago) ${history === 1 ? "is" : "are"} history, not the current cause.`,
      );
    }
  }
  // Clocksource now.
  const switched = bag.values.get("clock.switched_to");
  const current = s(cs?.current) ?? (typeof switched === "string" ? switched : undefined);
  if (current) {
    const src = cs?.current ? "clocksource" : "dmesg";
    const line = cs?.current
      ? `current_clocksource: ${cs.current}${cs.available ? `; available: ${cs.available.join(" ")}` : ""}`
      : bag.excerpts.get("clock.switched_to");
    bag.set("clock.current", current, src, line);
    bag.set("clock.slow", SLOW_CLOCKS.has(current), src, line);
  }
  if (cs && typeof cs.tsc_available === "boolean") {
    bag.set("clock.tsc_available", cs.tsc_available, "clocksource");
  }
  return bag;
}

function formatAge(seconds: number): string {
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
    const age = bag.sources.get(path) === "dmesg" ? ages.get(excerpt) : undefined;
    if (age !== undefined) bag.excerpts.set(path, `${excerpt}  (${formatAge(age)} ago)`);
  }
}

/** The `kernel-log` derive module (see the header comment of this file). */
export const kernelLogModule: DeriveModule = { id: "kernel-log", provides, derive };
