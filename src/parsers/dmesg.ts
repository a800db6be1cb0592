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

/**
 * The kinds of kernel event the parser classifies (stable ids, used by the runbooks), with the
 * kernel source whose format strings define them:
 * `oom-kill` mm/oom_kill.c, mm/memcontrol.c · `page-allocation-failure` mm/page_alloc.c warn_alloc ·
 * `hung-task` kernel/hung_task.c · `soft-lockup`, `hard-lockup` kernel/watchdog*.c · `rcu-stall`
 * kernel/rcu/tree_stall.h · `io-error`, `medium-error`, `disk-timeout-reset` block/blk-core.c,
 * fs/buffer.c, drivers/scsi (scsi_logging.c, scsi_error.c, sd.c), drivers/ata/libata-eh.c,
 * drivers/nvme/host · `fs-error` fs/ext4, fs/jbd2, fs/xfs, fs/btrfs · `mce`
 * arch/x86/kernel/cpu/mce, drivers/edac, drivers/acpi/apei, mm/memory-failure.c ·
 * `conntrack-full` net/netfilter/nf_conntrack_core.c · `syn-flood` net/ipv4/tcp_input.c ·
 * `tcp-oom` net/ipv4/tcp.c · `clocksource-unstable` kernel/time/clocksource.c,
 * arch/x86/kernel/tsc.c · `nfs-not-responding` net/sunrpc/clnt.c · `nic-link` drivers/net/*,
 * drivers/net/phy/phy.c, net/sched/sch_generic.c · `pids-limit` kernel/cgroup/pids.c ·
 * `kernel-bug` kernel/panic.c, arch/x86/mm/fault.c, lib/bug.c, net/core/dev.c · `gpu-xid` the
 * NVIDIA driver's NVRM messages · `rdma-error` drivers/net/ethernet/mellanox/mlx5,
 * drivers/infiniband/hw/mlx5 · `segfault` arch/x86/mm/fault.c, arch/x86/kernel/traps.c ·
 * `file-max` fs/file_table.c.
 */
export type DmesgEventKind =
  | "oom-kill"
  | "page-allocation-failure"
  | "hung-task"
  | "soft-lockup"
  | "hard-lockup"
  | "rcu-stall"
  | "io-error"
  | "medium-error"
  | "disk-timeout-reset"
  | "fs-error"
  | "mce"
  | "conntrack-full"
  | "syn-flood"
  | "tcp-oom"
  | "clocksource-unstable"
  | "nfs-not-responding"
  | "nic-link"
  | "pids-limit"
  | "kernel-bug"
  | "gpu-xid"
  | "rdma-error"
  | "segfault"
  | "file-max";

/** Fields every event has. */
export interface DmesgEventBase {
  kind: DmesgEventKind;
  /** Monotonic seconds since boot, when the line printed them. */
  t_s?: number;
  /** Printed wall-clock time (see {@link DmesgFacts}), when the line printed it. */
  wallclock?: string;
  /** 1-based line of the event's first line. */
  line: number;
  /** Last line of a multi-line report (OOM report, call trace, SCSI sense block). */
  end_line?: number;
  /** The event's headline line, colour escapes removed, trimmed, at most 300 characters. */
  text: string;
  /** Log level when the format shows it (`dmesg -x`, `dmesg -r`, kmsg records). */
  level?: string;
  /** The event comes from an earlier boot than the log's last one (its `t_s` is of that boot). */
  previous_boot?: true;
}

/** One row of an OOM report's task table (`Tasks state (memory values in pages)`, mm/oom_kill.c dump_task). */
export interface OomTask {
  pid: number;
  uid?: number;
  tgid?: number;
  total_vm_pages?: number;
  rss_pages: number;
  swapents_pages?: number;
  oom_score_adj?: number;
  name: string;
}

export interface OomKillEvent extends DmesgEventBase {
  kind: "oom-kill";
  /** The victim's command name (absent when the report was cut before its kill line). */
  process?: string;
  pid?: number;
  uid?: number;
  total_vm_kb?: number;
  anon_rss_kb?: number;
  file_rss_kb?: number;
  shmem_rss_kb?: number;
  pgtables_kb?: number;
  /** none: the whole machine; memcg: a cgroup's memory limit; cpuset / memory_policy: a node subset. */
  constraint?: "none" | "memcg" | "cpuset" | "memory_policy";
  /** The cgroup whose limit was hit (`oom_memcg=`), else the victim's cgroup (`task_memcg=`). */
  memcg?: string;
  task_memcg?: string;
  /** The task whose allocation invoked the OOM killer, and its oom_score_adj. */
  invoked_by?: string;
  invoked_by_oom_score_adj?: number;
  /** Allocation order and gfp_mask of the failed allocation (`0x100cca(GFP_HIGHUSER_MOVABLE)`). */
  order?: number;
  gfp_mask?: string;
  /** The victim's oom_score_adj (kill line, else its task-table row). */
  oom_score_adj?: number;
  /** The kernel panicked instead of killing (`panic_on_oom`, no killable process). */
  panic?: true;
  /** The 20 largest tasks of the report's task table by rss, largest first. */
  tasks?: OomTask[];
  /** Rows in the report's task table. */
  tasks_total?: number;
  /** `oom_reaper: reaped process …` followed. */
  reaped?: true;
}

export interface HungTaskEvent extends DmesgEventBase {
  kind: "hung-task";
  task: string;
  pid: number;
  blocked_s: number;
  /** Scheduler state from the task line (`D`), when printed. */
  state?: string;
  /** Reliable call-trace function names, innermost first (`io_schedule`, `jbd2_journal_commit_transaction`, …). */
  trace: string[];
  /** Frames the unwinder marked unreliable (`? foo+0x1/0x2`). */
  trace_unreliable?: string[];
  /** `INFO: task … is blocked on a mutex likely owned by task bar:456` (kernel/hung_task.c). */
  blocked_on?: string;
  blocker_task?: string;
  blocker_pid?: number;
  /** `Kernel panic - not syncing: hung_task: blocked tasks` followed (kernel.hung_task_panic). */
  panic?: true;
}

export interface TraceEvent extends DmesgEventBase {
  kind: "soft-lockup" | "hard-lockup" | "rcu-stall" | "kernel-bug" | "page-allocation-failure";
  /** The bug signature: `kernel NULL pointer dereference`, `kernel BUG at mm/slub.c:123!`, `WARNING`, `soft lockup`, … */
  bug?: string;
  cpu?: number;
  task?: string;
  pid?: number;
  /** soft-lockup: seconds the CPU was stuck. */
  stuck_s?: number;
  /** kernel-bug: source location (`fs/ext4/inode.c:3800`). */
  location?: string;
  /** The function in RIP/pc, or the WARNING's function. */
  function?: string;
  /** `Kernel panic - not syncing` seen in the report. */
  panic?: true;
  /** Oops/GPF/WARNING tainted flags (`Tainted: G   D W`). */
  tainted?: string;
  /** rcu-stall: the RCU flavour (`rcu_sched`, `rcu_preempt`). */
  flavour?: string;
  /** rcu-stall: `kthread starved for N jiffies`. */
  starved_jiffies?: number;
  /** page-allocation-failure: allocation order and gfp mode. */
  order?: number;
  mode?: string;
  trace: string[];
  trace_unreliable?: string[];
}

export interface DiskEvent extends DmesgEventBase {
  kind: "io-error" | "medium-error" | "disk-timeout-reset";
  /** Block device or port: `sda`, `sdb1`, `nvme0n1`, `nvme0`, `ata1.00`, `0:0:0:1`. */
  device?: string;
  sector?: number;
  /** `READ`, `WRITE`, `FLUSH`, … when printed. */
  operation?: string;
  /** The block layer's error name (`I/O`, `critical medium`, `timeout`), sense key or ATA error. */
  error?: string;
  /** SCSI `Add. Sense:` text. */
  sense?: string;
  /** SCSI host byte (`DID_TIME_OUT`). */
  hostbyte?: string;
  /** Buffer I/O: the filesystem block. */
  logical_block?: number;
}

export interface FsErrorEvent extends DmesgEventBase {
  kind: "fs-error";
  /** `ext4`, `ext3`, `xfs`, `btrfs`, `jbd2`, … */
  fs: string;
  device?: string;
  /** The filesystem was remounted read-only / shut down. */
  read_only?: true;
  shutdown?: true;
  corruption?: true;
}

export interface MceEvent extends DmesgEventBase {
  kind: "mce";
  /** True for corrected errors (CE), false for uncorrected (UE, fatal, PCC); absent when not shown. */
  corrected?: boolean;
  /** Errors the line reports (`EDAC MC0: 3 CE …`). */
  count?: number;
  /** DIMM label / location (`CPU_SrcID#1_Ha#0_Chan#0_DIMM#0`, `DIMM_A1`). */
  dimm?: string;
  /** Memory controller number (`EDAC MC1`). */
  mc?: number;
  cpu?: number;
  bank?: number;
  /** MCi_STATUS as printed (hex). */
  status?: string;
  address?: string;
  /** Error type words (`memory scrubbing error`, `memory read error`). */
  error?: string;
}

export interface ClocksourceEvent extends DmesgEventBase {
  kind: "clocksource-unstable";
  /** The clocksource marked unstable (`tsc`). */
  clocksource?: string;
  /** The watchdog clocksource that judged it (`hpet`). */
  watchdog?: string;
  /** What the kernel switched to (`hpet`). */
  switched_to?: string;
  /**
   * Why the TSC was marked (`Marking TSC unstable due to %s`): `clocksource watchdog`,
   * `check_tsc_sync_source failed`, `TSCs unsynchronized`, or `boot parameter` (`tsc=unstable`
   * on the kernel command line: a choice of whoever booted the host, not a fault).
   */
  reason?: string;
}

export interface SimpleEvent extends DmesgEventBase {
  kind:
    | "conntrack-full"
    | "syn-flood"
    | "tcp-oom"
    | "nfs-not-responding"
    | "nic-link"
    | "pids-limit"
    | "gpu-xid"
    | "rdma-error"
    | "segfault"
    | "file-max";
  /** syn-flood: listening port; the address when printed (`[::]`). */
  port?: number;
  address?: string;
  /** syn-flood: `cookies` (Sending cookies) or `dropping` (Dropping request). */
  action?: "cookies" | "dropping";
  /** tcp-oom: `tcp_mem` (out of memory -- consider tuning tcp_mem) or `orphans` (too many orphaned sockets). */
  reason?: "tcp_mem" | "orphans";
  /** nfs-not-responding: the server; status `not responding` (still trying), `timed out`, or `OK` (recovered). */
  server?: string;
  status?: string;
  /** nic-link: interface and `down` / `up` / `tx-timeout`; driver; tx queue. */
  interface?: string;
  state?: "down" | "up" | "tx-timeout";
  driver?: string;
  queue?: number;
  /** pids-limit: the cgroup that rejected a fork. */
  cgroup?: string;
  /** gpu-xid: Xid number and PCI address; rdma-error: device. */
  xid?: number;
  pci?: string;
  device?: string;
  detail?: string;
  /** segfault: the process, pid, fault address, instruction pointer, error code, object. */
  process?: string;
  pid?: number;
  fault_address?: string;
  ip?: string;
  error?: string;
  object?: string;
  /** file-max: the limit reached. */
  limit?: number;
  /** nic-link tx-timeout: the call trace of the watchdog warning. */
  trace?: string[];
}

export type DmesgEvent =
  | OomKillEvent
  | HungTaskEvent
  | TraceEvent
  | DiskEvent
  | FsErrorEvent
  | MceEvent
  | ClocksourceEvent
  | SimpleEvent;

// ---------------------------------------------------------------------------------------------
// Line prefixes
// ---------------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are control characters
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const MONTHS: Record<string, string> = {
  Jan: "01",
  Feb: "02",
  Mar: "03",
  Apr: "04",
  May: "05",
  Jun: "06",
  Jul: "07",
  Aug: "08",
  Sep: "09",
  Oct: "10",
  Nov: "11",
  Dec: "12",
};
const LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];

/** util-linux dmesg -x: `kern  :err   : ` (facility padded to 6, level to 6). */
const DECODE_PREFIX =
  /^(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|res\d|local[0-7])\s*:\s*(emerg|alert|crit|err|warn|notice|info|debug)\s*:\s?/;
/** dmesg -r / syslog priority: `<3>`. */
const RAW_PRIO = /^<(\d{1,3})>/;
/** /dev/kmsg record: `prio,seq,usec,flags[,…];message` (Documentation/ABI/testing/dev-kmsg). */
const KMSG = /^(\d{1,3}),(\d+),(\d+),[^;]*;(.*)$/;
/** A bracketed dmesg stamp: `[  12.345678]`, `[12.3 < 0.1>]`, `[<  0.1>]`, `[  +0.1]`, `[Nov30 10:00]`, `[Mon Nov 30 10:00:00 2026]`. */
const BRACKET = /^\[([^\]]{1,60})\](?: |$)?/;
const MONO = /^\s*(\d+\.\d+)\s*(?:<\s*\d+\.\d+>)?\s*$/;
const DELTA_ONLY = /^\s*(?:<\s*\d+\.\d+>|\+\s*\d+\.\d+)\s*$/;
const RELTIME = /^([A-Z][a-z]{2})\s?(\d{1,2}) (\d\d):(\d\d)$/;
const CTIME =
  /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})\s*(?:<\s*\d+\.\d+>)?\s*$/;
/** A wall-clock stamp some log shippers put in brackets: `[2023-06-22 21:55:31.352444]`. */
const BRACKET_ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$/;
/** `dmesg -T` with localised day and month names. */
const LOCALISED_CTIME = /^\S{2,12}\.? \S{2,12}\.?\s+\d{1,2} \d\d:\d\d:\d\d \d{4}$/;
/** printk caller id (CONFIG_PRINTK_CALLER): `[T123]`, `[    C1]`. */
const CALLER = /^\[\s*[TC]\d+\]\s?/;
/** ISO stamp: `dmesg --time-format iso` (decimal comma) or syslog/journalctl short-iso(-precise). */
const ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:([.,])(\d+))?(Z|[+-]\d\d:?\d\d)?\s+(.*)$/;
/** RFC 3164 syslog / journalctl short(-precise): `Nov 30 10:00:00[.123456] `. */
const RFC3164 = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d:\d\d:\d\d)(\.\d+)?\s+(.*)$/;
/** After the syslog stamp: `[host ]tag[pid]: message` (the host is optional: some paste without it). */
const SYSLOG_TAG = /^(?:([^\s:]+)\s+)?([^\s:[\]]+)(?:\[(\d+)\])?:\s?(.*)$/;
/** metalog and some syslog-ng templates: `[host ][kernel] message`. */
const SYSLOG_BRACKET_TAG = /^(?:[^\s:[\]]+\s+)?\[([^\s\]]+)\]\s(.*)$/;
const KERNEL_TAGS = new Set(["kernel", "vmunix", "klogd"]);
/** journalctl's own lines: `-- Logs begin at …`, `-- Boot 0123abcd… --`, `-- Reboot --`, `-- No entries --`. */
const JOURNAL_META = /^-- .*--\s*$|^-- (No entries|Logs begin|Journal begins)/;
const JOURNAL_BOOT = /^-- (Boot [0-9a-f]+|Reboot) --/;

/** Shell prompts pasted with the output: `$ dmesg`, `# dmesg -T`, `root@host:~# dmesg`, `[user@host dir]$ `. */
const PROMPT =
  /^\s*(?:[$#>](?:\s+\S.*)?\s*$|[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s*[$#](?:\s.*)?$|\[[^\]\s]+@[^\]]+\][$#](?:\s.*)?$)/;
const ELISION = /^\s*(?:\.{3,}|…|\[\.\.\.\]|\[snip\]|<snip>|\.\.\. ?\(\d+ lines?.*\))\s*$/i;

interface Prefixed {
  msg: string;
  t_s?: number;
  wallclock?: string;
  level?: string;
  /** A prefix of a known format was read. */
  stamped: boolean;
  /** A syslog line from another program than the kernel. */
  foreign?: boolean;
  /** The whole line, colour escapes removed. */
  raw: string;
}

/** Holds the last regular-expression match, so that `else if` chains can test and read it. */
class Match {
  private cur: RegExpExecArray | null = null;
  /** Runs `re` on `s`; true when it matched (the match is then `m`). */
  test(re: RegExp, s: string): boolean {
    this.cur = re.exec(s);
    return this.cur !== null;
  }
  /** The last successful match (only read after `test` returned true). */
  get m(): RegExpExecArray {
    return this.cur as RegExpExecArray;
  }
}

function pad2(s: string): string {
  return s.length === 1 ? `0${s}` : s;
}

function zone(z: string | undefined): string {
  if (!z) return "";
  if (z === "Z") return "Z";
  return z.includes(":") ? z : `${z.slice(0, 3)}:${z.slice(3)}`;
}

/** Reads the bracketed stamps at the start of `s` (up to two, e.g. reltime + ctime) and the caller id. */
function readBrackets(s: string, out: Prefixed): string {
  let rest = s;
  for (let i = 0; i < 2; i++) {
    const m = BRACKET.exec(rest);
    if (!m) break;
    const inner = m[1];
    const mt = new Match();
    if (mt.test(MONO, inner)) {
      out.t_s = Number(mt.m[1]);
    } else if (DELTA_ONLY.test(inner)) {
      // delta since the previous message: no absolute time
    } else if (mt.test(CTIME, inner) && MONTHS[mt.m[1]]) {
      out.wallclock = `${mt.m[4]}-${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}`;
    } else if (mt.test(BRACKET_ISO, inner)) {
      out.wallclock = `${mt.m[1]}T${mt.m[2]}${mt.m[3] ? `.${mt.m[3]}` : ""}${zone(mt.m[4])}`;
    } else if (LOCALISED_CTIME.test(inner)) {
      // `dmesg -T` under a non-English locale (`[Ср мар 10 20:19:39 2021]`): a stamp, month unknown
    } else if (mt.test(RELTIME, inner) && MONTHS[mt.m[1]]) {
      out.wallclock ??= `--${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}:${mt.m[4]}:00`;
    } else break;
    out.stamped = true;
    rest = rest.slice(m[0].length);
  }
  if (out.stamped) {
    const c = CALLER.exec(rest);
    if (c) rest = rest.slice(c[0].length);
  }
  return rest;
}

/** Removes a syslog `[host ]tag[pid]: ` (or metalog's `[kernel] `), marking other programs' lines foreign. */
function readTag(s: string, out: Prefixed): string {
  const t = SYSLOG_TAG.exec(s);
  if (t) {
    if (KERNEL_TAGS.has(t[2])) return t[4];
    // `stamp subsystem: msg` with neither host nor pid is a kernel message behind a shipper's stamp
    if (t[1] === undefined && t[3] === undefined) return s;
    out.foreign = true;
    return t[4];
  }
  const b = SYSLOG_BRACKET_TAG.exec(s);
  if (b) {
    if (!KERNEL_TAGS.has(b[1])) out.foreign = true;
    return b[2];
  }
  return s;
}

/** Splits one line (colour escapes already removed) into its stamps and the kernel message. */
function readPrefix(line: string): Prefixed {
  const out: Prefixed = { msg: line, stamped: false, raw: line };
  let s = line;
  const mt = new Match();

  if (mt.test(DECODE_PREFIX, s)) {
    out.level = mt.m[2];
    out.stamped = true;
    s = s.slice(mt.m[0].length);
  }
  if (mt.test(KMSG, s)) {
    out.level = LEVELS[Number(mt.m[1]) & 7];
    out.t_s = Number(mt.m[3]) / 1e6;
    out.stamped = true;
    out.msg = mt.m[4];
    return out;
  }
  if (mt.test(RAW_PRIO, s)) {
    out.level = LEVELS[Number(mt.m[1]) & 7];
    out.stamped = true;
    s = s.slice(mt.m[0].length);
  }
  if (mt.test(ISO, s)) {
    const frac = mt.m[4] ? `.${mt.m[4]}` : "";
    out.wallclock = `${mt.m[1]}T${mt.m[2]}${frac}${zone(mt.m[5])}`;
    out.stamped = true;
    s = mt.m[6];
    if (mt.m[3] !== "," && !s.startsWith("[<")) {
      // syslog / journalctl: `host tag: msg`; dmesg --time-format iso prints a decimal comma
      s = readTag(s, out);
    }
  } else if (mt.test(RFC3164, s) && MONTHS[mt.m[1]]) {
    out.wallclock = `--${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}${mt.m[4] ?? ""}`;
    out.stamped = true;
    s = readTag(mt.m[5], out);
  }
  // a syslog line pasted without its date (`kernel: [  299.949355] msg`) or with the time only
  // (`14:05:22 host kernel: msg`, a custom rsyslog template)
  if (!out.stamped && mt.test(/^(?:\d\d:\d\d:\d\d(?:\.\d+)? (?:[^\s:]+ )?)?kernel: /, s)) {
    s = s.slice(mt.m[0].length);
  }
  s = readBrackets(s, out);
  // journalctl -o short-monotonic: `[  12.345678] host kernel: msg`
  if (out.stamped && mt.test(/^([^\s:]+) (kernel): ?/, s)) s = s.slice(mt.m[0].length);
  out.msg = s;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Call traces (shared by hung tasks, lockups, oopses, allocation failures, OOM reports)
// ---------------------------------------------------------------------------------------------

/** ARM: `[<80a87848>] (__schedule) from [<80a88018>] (schedule+0x3c/0xa0)` (arch/arm/kernel/traps.c dump_backtrace_entry). */
const FRAME_ARM =
  /^\s*\[<[0-9a-f]+>\] \(([^\s+)]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?\) from \[<[0-9a-f]+>\] \(([^\s+)]+)/;
/** x86 old: `[<ffffffff81234567>] ? foo+0x1/0x2` (arch/x86/kernel/dumpstack.c printk_stack_address). */
const FRAME_ADDR = /^\s*\[<[0-9a-f]+>\]\s+(\? )?([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
/** powerpc: `[c000000000f3fa80] [c00000000001b4a4] __switch_to+0x1e4/0x2c0` (arch/powerpc/kernel/process.c show_stack). */
const FRAME_PPC = /^\s*\[[0-9a-f]{8,16}\] \[[0-9a-f]{8,16}\] ([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
/** x86/arm64 new: ` ? foo+0x1/0x2 [mod]`, ` foo.cold+0x12/0x40` (lib/vsprintf.c %pS / %pB); arm64 6.x marks ` (P)` / ` (L)` (arch/arm64/kernel/stacktrace.c). */
const FRAME_SYM =
  /^\s*(\? )?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?:\s+\[[\w-]+(?:\s+[0-9a-f]+)?\])?(?:\s+\([A-Z]\))?\s*$/;
/** Lines of a report that are not frames but belong to it. */
const REPORT_NOISE: RegExp[] = [
  /^\s*Call Trace:/, // arch/x86/kernel/dumpstack.c
  /^\s*Call trace:/, // arch/arm64/kernel/stacktrace.c
  /^\s*<\/?(TASK|IRQ|NMI|EOI|SOFTIRQ)>\s*$/,
  /^\s*(?:Tainted|Not tainted):?\s/i,
  /^\s*Not tainted\b/,
  /^\s*Tainted: /,
  /^"echo 0 > \/proc\/sys\/kernel\/hung_task_timeout_secs" disables this message/, // kernel/hung_task.c
  /^\s*task:.{1,16}?\s+state:\w/, // kernel/sched/core.c sched_show_task (comm may hold blanks)
  /^\s*\S.{0,15}\s+[RSDTtXZPIWK]\+?\s+(?:[0-9a-f]{8,16}\s+)?\d+\s+\d+\s+\d+\s+0x[0-9a-f]+\s*$/, // old sched_show_task
  /^\s*(?:[0-9a-f]{8,16}\s+){1,8}[0-9a-f]{8,16}\s*$/, // stack dump words
  /^\s*(?:<[0-9a-f]+>\s*)+$/,
  /^\s*Modules linked in:/, // kernel/module/main.c print_modules
  /^\s*CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: /, // lib/dump_stack.c
  /^\s*Pid: \d+, comm: /, // lib/dump_stack.c (≤ 2.6)
  /^\s*Hardware name: /,
  /^\s*Workqueue: /,
  /^\s*(?:RIP|EIP|IP|RSP|ESP|pc|lr|sp|PC is at|LR is at|NIP|LR|CTR|REGS|MSR|CFAR|DAR|DSISR|GPR\d\d|IRQMASK|x\d+|R\d\d|RAX|RBX|RCX|RDX|RSI|RDI|RBP|FS|GS|CS|DS|ES|CR0|CR2|CR3|CR4|DR0|DR3|DR6|PKRU|EAX|EBX|ECX|EDX|ESI|EDI|EBP|orig_ax|ORIG_RAX|pstate|pc :|lr :|sp :)\s*[:=]/,
  /^\s*(?:[A-Z]{2}\d?|R\d{1,2}|x\d{1,2}): ?[0-9a-f]{4,}/,
  /^\s*Code: /,
  /^\s*---\[ end /,
  /^\s*-+\[ cut here \]-+\s*$/,
  /^\s*Stack:/,
  /^\s*Backtrace:/,
  /^\s*Exception stack\(/,
  /^\s*Process \S+ \(pid: \d+/,
  /^\s*(?:irq event stamp|hardirqs last|softirqs last)/,
  /^\s*#PF: /, // arch/x86/mm/fault.c
  /^\s*(?:PGD|P4D|PUD|PMD|PTE|\*pdpt|\*pde|\*pte) /,
  /^\s*Kernel Offset: /,
  /^\s*Rebooting in \d+ seconds/,
  /^\s*Mem abort info:|^\s*ESR = |^\s*EC = |^\s*SET = |^\s*FSC = |^\s*Data abort info:|^\s*ISV = |^\s*CM = |^\s*user pgtable:|^\s*\[[0-9a-f]+\] pgd=/,
  /^\s*Internal error: /,
  /^\s*Sending NMI from CPU/,
  /^\s*NMI backtrace for cpu/,
  /^\s*INFO: lockdep is turned off/,
  /^\s*\d+ locks? held by /,
  /^\s*#\d+: [0-9a-f]+ \(/,
  /^\s*Showing all locks held/,
];

interface Trace {
  trace: string[];
  trace_unreliable?: string[];
}

/** Reads a frame: returns the function names (ARM lines name two), marking unreliable ones. */
function readFrame(msg: string): { names: string[]; unreliable: boolean } | null {
  let f = FRAME_ARM.exec(msg);
  if (f) return { names: [f[1], f[2]], unreliable: false };
  f = FRAME_ADDR.exec(msg);
  if (f) return { names: [f[2]], unreliable: f[1] !== undefined };
  f = FRAME_PPC.exec(msg);
  if (f) return { names: [f[1]], unreliable: false };
  f = FRAME_SYM.exec(msg);
  if (f) return { names: [f[2]], unreliable: f[1] !== undefined };
  return null;
}

const MAX_FRAMES = 64;

function addFrame(t: Trace, f: { names: string[]; unreliable: boolean }): void {
  if (f.unreliable) {
    t.trace_unreliable ??= [];
    if (t.trace_unreliable.length < MAX_FRAMES) t.trace_unreliable.push(f.names[0]);
    return;
  }
  for (const name of f.names) {
    if (t.trace.length >= MAX_FRAMES) return;
    if (t.trace[t.trace.length - 1] !== name) t.trace.push(name);
  }
}

/** True when the line is a frame or report noise; frames are added to `t`. */
function absorbTraceLine(msg: string, t: Trace | undefined): boolean {
  const f = readFrame(msg);
  if (f) {
    if (t) addFrame(t, f);
    return true;
  }
  return REPORT_NOISE.some((r) => r.test(msg));
}

// ---------------------------------------------------------------------------------------------
// Event patterns (each from the kernel's format string; the source file is named beside it)
// ---------------------------------------------------------------------------------------------

/** mm/oom_kill.c dump_header: `%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%hd` (older: `oom_adj=%d, oom_score_adj=%d`). */
const OOM_INVOKED = /^(.+?) invoked oom-killer: (.*)$/;
/** mm/oom_kill.c dump_oom_summary: `oom-kill:constraint=%s,nodemask=%*pbl,cpuset=…,mems_allowed=…,oom_memcg=…,task_memcg=…,task=%s,pid=%d,uid=%d`. */
const OOM_SUMMARY = /^oom-kill:(constraint=.*)$/;
/** mm/oom_kill.c __oom_kill_process: `%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd` (message "Out of memory" / "Memory cgroup out of memory"; 2.6–4.x: bare `Killed process %d (%s) total-vm:…` or `vsz:…`; RHEL 6 `Killed process %d, UID %d, (%s) total-vm:…`). */
const OOM_KILLED = /^(?:(.*?):\s+)?Killed process (\d+),? (?:UID (\d+), )?\((.*)\)(?:,?\s+(.*))?$/;
/** mm/oom_kill.c oom_kill_process (≤ 5.0): `%s: Kill process %d (%s) score %u or sacrifice child`. */
const OOM_KILL_OLD =
  /^(?:Out of memory|Memory cgroup out of memory): Kill process (\d+) \((.*)\) score/i;
/** mm/oom_kill.c out_of_memory / check_panic_on_oom: panics instead of a kill. */
const OOM_PANIC =
  /^(?:Kernel panic - not syncing: )?(?:Out of memory and no killable processes|System is deadlocked on memory|Out of memory: (?:compulsory|system-wide) panic_on_oom)/;
/** mm/oom_kill.c oom_reap_task_mm: `oom_reaper: reaped process %d (%s), now anon-rss:%lukB, …`. */
const OOM_REAPED = /^oom_reaper: reaped process (\d+) \((.*)\)/;
/** mm/oom_kill.c dump_tasks header, all kernel versions (`[ pid ]   uid  tgid total_vm      rss …`). */
const OOM_TASK_HEADER = /^\[\s*pid\s*\]\s+uid\s+tgid\s+total_vm\s+rss\b(.*)$/;
/** mm/oom_kill.c dump_task row: `[%7d] %5d %5d %8lu %8lu … %5hd %s`. */
const OOM_TASK_ROW = /^\[\s*(\d+)\]\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)((?:\s+-?\d+)*)\s+(\S.*)$/;
/** Lines of an OOM / allocation-failure report (mm/oom_kill.c, mm/show_mem.c, mm/memcontrol.c). */
const OOM_BODY: RegExp[] = [
  /^Mem-Info:/,
  /^Tasks state \(memory values in pages\):/,
  /^\s*[\w-]+:\d+(?:\s+[\w-]+:\d+)+\s*$/, // active_anon:123 inactive_anon:… (show_free_areas)
  /^\s*[\w-]+:\d+(?:\s+[\w-]+:\d+)*\s*$/,
  /^Node \d+ /,
  /^lowmem_reserve\[\]:/,
  /^\d+ total pagecache pages/,
  /^\d+ pages (?:in swap cache|RAM|HighMem|reserved|cma reserved|hwpoisoned|shared|non-shared)/,
  /^Swap cache stats: /,
  /^(?:Free|Total) swap\s+=/,
  /^(?:memory|memory\+swap|swap|kmem|tcp kmem): usage \d+kB, limit \d+kB/, // mm/memcontrol.c mem_cgroup_print_oom_meminfo
  /^Memory cgroup stats for /,
  /^[a-z][a-z0-9_]* \d+\s*$/, // memory.stat dump in a memcg OOM (cgroup v2)
  /^Task in \S+ killed as a result of limit of /, // mm/memcontrol.c (≤ 4.18)
  /\bcpuset=\S* mems_allowed=/, // mm/oom_kill.c (≤ 4.18)
  /^Unreclaimable slab info:/,
  /^Name\s+Used\s+Total$/,
  /^\S+\s+\d+KB\s+\d+KB$/,
  /^(?:DMA|DMA32|Normal|HighMem|Movable) per-cpu:/,
  /^CPU\s+\d+: hi:\s+\d+, btch:/,
  /^oom_kill_process\.|^Out of memory and no killable processes/,
  /^warn_alloc_show_mem|^\s*show_mem/,
];

/** kernel/hung_task.c check_hung_task: `INFO: task %s:%d blocked for more than %ld seconds.` */
const HUNG_TASK = /^(?:INFO: )?task (.+):(\d+) blocked for more than (\d+) seconds\./;
/** kernel/hung_task.c debug_show_blocker (6.15+): `INFO: task %s:%d is blocked on a mutex likely owned by task %s:%d.` (also rw-semaphore / semaphore). */
const HUNG_BLOCKER =
  /^INFO: task .+:\d+ (?:<\w+> )?(?:is )?blocked on an? ([\w-]+(?: [\w-]+)?) likely owned by task (.+):(\d+)/;
/** kernel/watchdog.c watchdog_timer_fn: `BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]` (prefix `watchdog: ` since 4.15). */
const SOFT_LOCKUP = /BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\]/;
/** kernel/watchdog_perf.c / watchdog_hld.c: `Watchdog detected hard LOCKUP on cpu %d`; kernel/panic.c `Kernel panic - not syncing: Hard LOCKUP`. */
const HARD_LOCKUP =
  /Watchdog detected hard LOCKUP on cpu (\d+)|Kernel panic - not syncing: Hard LOCKUP/;
/** kernel/rcu/tree_stall.h: `INFO: %s self-detected stall on CPU`, `INFO: %s detected stalls on CPUs/tasks:`, `… detected expedited stalls …`, `%s kthread starved for %ld jiffies!`. */
const RCU_STALL =
  /^(?:rcu: )?INFO: (rcu_\w+|rcu) (?:self-detected stall|detected (?:expedited )?stalls?)/;
const RCU_STARVED =
  /^(?:rcu: )?(rcu_\w+) kthread (?:timer wakeup didn't happen|starved) for (\d+) jiffies/;
/**
 * Kernel bug signatures: arch/x86/mm/fault.c (`BUG: kernel NULL pointer dereference, address: %px`,
 * `BUG: unable to handle page fault for address: %px`, ≤ 4.x `BUG: unable to handle kernel NULL
 * pointer dereference at %p`), lib/bug.c / include/asm-generic/bug.h (`kernel BUG at %s:%u!`),
 * arch/x86/kernel/dumpstack.c (`Oops: %04lx [#%d]`, 6.x `Oops: general protection fault, …`),
 * arch/x86/kernel/traps.c (`general protection fault: 0000 [#1]`, `… probably for non-canonical address …`),
 * kernel/panic.c __warn (`WARNING: CPU: %d PID: %d at %pS`, ≤ 4.x `WARNING: at %s:%d %pS()`),
 * kernel/panic.c panic (`Kernel panic - not syncing: %s`), arch/arm64/mm/fault.c and arch/arm/mm/fault.c
 * (`Unable to handle kernel NULL pointer dereference at virtual address %016lx`,
 * `Unable to handle kernel paging request at virtual address`), arch/arm64/kernel/traps.c
 * (`Internal error: %s: %x [#%d]`), lockdep (kernel/locking/lockdep.c `WARNING: possible circular
 * locking dependency detected`, …), and any other `BUG: %s` (mm/slub.c `BUG: Bad page state`,
 * kernel/sched/core.c `BUG: scheduling while atomic`, …).
 */
const KERNEL_BUG: { re: RegExp; bug: (m: RegExpExecArray) => string }[] = [
  { re: /^BUG: kernel NULL pointer dereference/, bug: () => "kernel NULL pointer dereference" },
  {
    re: /^BUG: unable to handle kernel NULL pointer dereference/,
    bug: () => "kernel NULL pointer dereference",
  },
  {
    re: /^Unable to handle kernel NULL pointer dereference/,
    bug: () => "kernel NULL pointer dereference",
  },
  {
    re: /^BUG: unable to handle (?:kernel )?(page fault|paging request)/,
    bug: () => "unable to handle page fault",
  },
  { re: /^Unable to handle kernel paging request/, bug: () => "unable to handle page fault" },
  {
    re: /^(?:------------\[ cut here \]------------ )?kernel BUG at ([^!]+)!/,
    bug: (x) => `kernel BUG at ${x[1]}`,
  },
  {
    re: /^Oops: (general protection fault|[^ ,]+)/,
    bug: (x) => (x[1].startsWith("general") ? "general protection fault" : "Oops"),
  },
  { re: /^general protection fault(?:[:,]| probably)/, bug: () => "general protection fault" },
  { re: /^Internal error: (Oops[^:]*)/, bug: () => "Oops" },
  { re: /^WARNING: CPU: \d+ PID: \d+ at /, bug: () => "WARNING" },
  { re: /^WARNING: at \S+:\d+/, bug: () => "WARNING" },
  { re: /^WARNING: \S+:\d+ at /, bug: () => "WARNING" },
  {
    re: /^WARNING: (possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|bad unlock balance|possible irq lock inversion)/,
    bug: (x) => x[1],
  },
  // net/core/dev.c netdev_wait_allrefs: a leaked device reference (a known bug signature)
  {
    re: /^unregister_netdevice: waiting for (\S+) to become free/,
    bug: (x) => `unregister_netdevice: waiting for ${x[1]}`,
  },
  { re: /^Kernel panic - not syncing: (.*)$/, bug: (x) => `Kernel panic: ${x[1].trim()}` },
  { re: /^BUG: (?!soft lockup)(.+?)(?: in \S+| at \S+|:|$)/, bug: (x) => x[1].trim() },
];
/** kernel/panic.c __warn: `WARNING: CPU: %d PID: %d at %s:%d %pS` or `… at %pS` (no file). */
const WARN_CPU = /^WARNING: CPU: (\d+) PID: (\d+) at (?:(\S+:\d+) )?(?:([A-Za-z_.$][\w.$]*)\+0x)?/;
/** kernel/panic.c __warn (6.16+): `WARNING: %s:%d at %pS, CPU#%d: %s/%d`. */
const WARN_6X =
  /^WARNING: (\S+:\d+) at ([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+, CPU#(\d+): (.+)\/(\d+)\s*$/;
/** mm/page_alloc.c warn_alloc: `%s: page allocation failure: order:%u, mode:%#x(%pGg), nodemask=…` (≤ 3.x `%s: page allocation failure. order:%d, mode:0x%x`); mm/vmalloc.c `vmalloc error: size %lu, …`. */
const PAGE_ALLOC =
  /^(.+?): page allocation failure[.:] order:(\d+), mode:(0x[0-9a-f]+(?:\([^)]*\))?)/;
const VMALLOC_FAIL = /^(?:(.+?): )?vmalloc(?: error|: allocation failure)[:,]/;

/** block/blk-core.c print_req_error / blk_print_req_error: `[%s: ]%s error, dev %s, sector %llu[ op 0x%x:(%s) flags …]` (≤ 4.12: `end_request: %s error, …`); names from blk_errors[]. */
const BLK_ERROR =
  /^(?:(\w+): )?(.+?) error, dev ([^\s,]+), sector (\d+)(?: op 0x[0-9a-f]+:\((\w+)\))?/;
/** fs/buffer.c: `Buffer I/O error on dev %pg, logical block %llu%s` (≤ 3.x: `on device %s`). */
const BUFFER_IO =
  /^Buffer I\/O error on (?:dev|device) ([^\s,]+), logical block (\d+)(?:, (lost (?:async page )?write|async page read))?/;
/** drivers/nvme/host/core.c nvme_log_error: `%s: %s(0x%x) @ LBA %llu, %u blocks, %s (sct 0x%x / sc 0x%x) %s%s`. */
const NVME_ERROR =
  /^(nvme\d+n\d+): (\w[\w ]*)\(0x[0-9a-f]+\) @ LBA (\d+), \d+ blocks, (.+?) \(sct /;
/** drivers/nvme/host/pci.c nvme_timeout: `I/O %d QID %d timeout, aborting` / `, reset controller`; 6.x `I/O tag %d (%04x) opcode %#x (%s) QID %d timeout, …`; `controller is down; will reset`. */
const NVME_TIMEOUT =
  /^nvme (nvme\d+): (?:I\/O (?:tag )?\d+ .*QID \d+ timeout|controller is down; will reset|Device not ready; aborting|resetting controller|Removing after probe failure|Disabling device after reset failure|Identify Controller failed)/;
/** drivers/scsi/sd.c / scsi_logging.c prefix: `sd 0:0:0:1: [sdb] `. */
const SCSI_PREFIX = /^(?:sd|sr|st|scsi) (\d+:\d+:\d+:\d+): (?:\[(\w+)\] )?(?:tag#\d+ )?(.*)$/;
/** drivers/scsi/scsi_logging.c scsi_print_sense_hdr: `Sense Key : %s [%s]`, `Add. Sense: %s`; scsi_print_result: `[FAILED ]Result: hostbyte=%s driverbyte=%s`. */
const SCSI_SENSE_KEY = /^Sense Key\s*:\s*(.+?)\s*(?:\[(?:current|deferred)\].*)?$/;
const SCSI_ADD_SENSE = /^Add\. Sense:\s*(.+?)\s*$/;
const SCSI_RESULT = /\bResult: hostbyte=(\w+)(?: driverbyte=(\w+))?/;
/** drivers/scsi/scsi_error.c / sd.c: `timing out command, waited %lus`, `Device offlined - not ready after error recovery`, `abort`, host resets; ≤ 2.6 `SCSI error: return code = 0x%08x`. */
const SCSI_TIMEOUT =
  /^(?:timing out command, waited (\d+)s|Device offlined - not ready after error recovery|rejecting I\/O to offline device|abort(?:ing command)?\b|.*\b(?:task abort|host reset|bus reset|device reset)\b)/i;
const SCSI_OLD_ERROR = /^SCSI error: return code = (0x[0-9a-f]+)/;
/** drivers/ata/libata-eh.c: `ata%u.%02u: exception Emask 0x%x SAct 0x%x SErr 0x%x action 0x%x[ frozen]`, `hard resetting link`, `failed command: %s`, `error: { %s }`, `… Emask 0x%x (%s)`. */
const ATA_LINE = /^(ata\d+(?:\.\d+)?): (.*)$/;
/** drivers/md, dm: not classified. fs/ext4/super.c __ext4_error: `EXT4-fs error (device %s): %s:%d: …`; `EXT4-fs (%s): Remounting filesystem read-only`. */
const EXT_ERROR = /^(EXT[234])-fs (?:error|critical) \(device ([^)]+)\)/;
const EXT_RO =
  /^(EXT[234])-fs \(([^)]+)\): (?:Remounting filesystem read-only|error count since last fsck|previous I\/O error to superblock detected|initial error at|last error at)/;
const EXT_IO = /^(EXT[234])-fs warning \(device ([^)]+)\): ext4_end_bio:\d+: I\/O error/;
/** fs/jbd2/journal.c: `Aborting journal on device %s.`, `JBD2: Detected IO errors while flushing file data on %s`. */
const JBD2 =
  /^(?:Aborting journal on device (\S+?)\.?$|JBD2: (?:Detected IO errors while flushing file data on|Error -?\d+ detected when updating journal superblock for) (\S+))/;
/** fs/xfs/xfs_message.c prefix `XFS (%s): `; xfs_fsops.c / xfs_error.c messages on corruption, I/O errors and shutdown. */
const XFS = /^XFS \(([^)]+)\): (.*)$/;
const XFS_BAD =
  /corrupt|Corruption|Internal error|metadata I\/O error|Log I\/O Error|xfs_do_force_shutdown|Filesystem has been shut down|I\/O Error Detected|Shutting down filesystem|Unmount and run xfs_repair|log recovery failed/;
/** fs/btrfs/messages.c: `BTRFS error (device %s): …`, `BTRFS critical (device %s): …`, `BTRFS: error (device %s) in …`. */
const BTRFS = /^BTRFS(?: (error|critical)|: error) \(device ([^)]+)\)/;
/** fs/super.c / ext4/xfs: other read-only remounts. */
const REMOUNT_RO =
  /^(\w+)(?:-fs)? \(([^)]+)\): .*(?:Remounting filesystem read-only|remounting read-only|mounted filesystem read-only)/i;

/** arch/x86/kernel/cpu/mce/core.c mce_notify_irq: `Machine check events logged`; print_mce: `CPU %d: Machine Check[ Exception]: %Lx Bank %d: %016Lx` (drivers/edac/sb_edac.c: `Machine Check Event`); `TSC %llx ADDR %llx MISC %llx`. */
const MCE_LOGGED = /Machine check events logged/;
const MCE_PRINT =
  /CPU (\d+): Machine Check(?: Exception| Event)?: (?:[0-9a-f]+ )?Bank (\d+): ([0-9a-f]+)/i;
const MCE_EXCEPTION =
  /Machine Check Exception|Kernel panic - not syncing: (?:Fatal )?[Mm]achine check|Machine check: /;
/** drivers/edac/edac_mc.c edac_raw_mc_handle_error: `EDAC MC%d: %d %s %s%son %s (%s%s%s)` (CE/UE); ≤ 3.x `EDAC MC%d: CE page 0x%lx, … label "%s": %s` / `UE …`. */
const EDAC_COUNT = /EDAC (?:\w+ )?MC(\d+): (\d+) (CE|UE) (.*?)\s*on (\S+)/;
const EDAC_OLD = /EDAC (?:\w+ )?MC(\d+): (CE|UE)\b.*?(?:label "([^"]*)")?/;
/** drivers/edac/*: `EDAC sbridge MC1: HANDLING MCE MEMORY ERROR`, `… CPU 1: Machine Check Event: 0 Bank 11: 8c00004f000800c2`, `ADDR …`. */
const EDAC_ANY = /^(?:\[Hardware Error\]: )?EDAC\b/;
/** drivers/firmware/efi/cper.c / drivers/acpi/apei/ghes.c: `{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: %d`, `event severity: %s`. */
const GHES = /\[Hardware Error\]:/;
const GHES_SEVERITY = /event severity: (corrected|recoverable|fatal|info)/;
/** arch/x86/kernel/cpu/mce/amd.c / drivers/edac/mce_amd.c decode: `Corrected error, no action required.`, `Uncorrected, software …`. */
const AMD_SEVERITY = /\[Hardware Error\]: (Corrected error|Uncorrected|Deferred error)/;
/** mm/memory-failure.c: `Memory failure: %#lx: recovery action for %s: %s`; arch/x86/kernel/cpu/mce/core.c `MCE: Killing %s:%d due to hardware memory corruption`. */
const MEMORY_FAILURE =
  /^(?:Memory failure: 0x[0-9a-f]+:|MCE: Killing \S+ due to hardware memory corruption|mce: Uncorrected hardware memory error)/;

/** net/netfilter/nf_conntrack_core.c: `nf_conntrack: table full, dropping packet` (≤ 2.6: `ip_conntrack: table full, dropping packet.`). */
const CONNTRACK_FULL =
  /(?:nf_conntrack|ip_conntrack): (?:nf_conntrack: )?table full, dropping packet/;
/** net/ipv4/tcp_input.c tcp_syn_flood_action: `%s: Possible SYN flooding on port %pISpc. %s.  Check SNMP counters.` (≤ 5.x: `port %d`), action "Sending cookies" / "Dropping request". */
const SYN_FLOOD =
  /[Pp]ossible SYN flooding on port (?:(.+):)?(\d+)\. (Sending cookies|Dropping request)/;
/** net/ipv4/tcp.c tcp_out_of_memory / tcp_check_oom: `out of memory -- consider tuning tcp_mem`, `too many orphaned sockets` (≤ 3.x `too many of orphaned sockets`; ≤ 2.6 tcp_timer.c `Out of socket memory`). */
const TCP_OOM =
  /^(?:TCP: )?(out of memory -- consider tuning tcp_mem|too many (?:of )?orphaned sockets|Out of socket memory)/;
/** kernel/time/clocksource.c: `timekeeping watchdog on CPU%d: Marking clocksource '%s' as unstable because the skew is too large:`, `'%s' wd_now: …`, `Switched to clocksource %s`; ≤ 4.x: `Clocksource %s unstable (delta = %Ld ns)`. */
const CS_UNSTABLE = /Marking clocksource '([^']+)' as unstable|Clocksource (\S+) unstable \(delta/;
const CS_WATCHDOG_LINE = /^(?:clocksource:)?\s+'([^']+)' wd_(?:nsec|now):/;
const CS_SWITCHED = /^(?:clocksource: |Time: )?Switched to clocksource (\S+)/;
/** arch/x86/kernel/tsc.c: `Marking TSC unstable due to %s`, `TSC found unstable after boot, most likely due to broken BIOS. Use 'tsc=unstable'.` */
const TSC_UNSTABLE =
  /^(?:tsc: )?(?:Marking TSC unstable due to (.+)|TSC found unstable after boot)/;
const CS_CONT =
  /^(?:clocksource:\s+'|tsc: |sched_clock: Marking unstable|clocksource: +Clocksource '|clocksource: +'|clocksource: Switched|TSC found unstable|Switched to clocksource)/;
/** net/sunrpc/clnt.c call_timeout / call_decode: `%s: server %s not responding, still trying` / `, timed out`; `%s: server %s OK`. */
const NFS =
  /^(nfs|lockd|nfs4|rpc): server (\S+) (not responding, still trying|not responding, timed out|OK)\b/;
/** Link state: drivers/net/phy/phy.c phy_print_status `Link is Up - %s/%s` / `Link is Down`; e1000e/igb/ixgbe/bnxt `NIC Link is Down|Up`; tg3 `Link is down.`; net/core/link_watch / addrconf `link becomes ready`; bonding `link status definitely down for interface %s`. */
const NIC_LINK =
  /(?:^|\s)([\w.@-]+):? (?:NIC )?(?:Copper |Fiber |Fibre )?Link is (Down|Up|down|up)\b/;
/** drivers/net/ethernet/mellanox/mlx5/core/en_main.c, virtio and others: `netdev_info(dev, "Link up")` / `"Link down"`. */
const NIC_LINK_SHORT = /(?:^|\s)([\w.@-]+): Link (up|down)\s*$/;
const NIC_BOND = /^(\S+): link status definitely (down|up) for interface (\S+?),/;
/** net/sched/sch_generic.c dev_watchdog: `NETDEV WATCHDOG: %s (%s): transmit queue %u timed out[ %u ms]`. */
const NETDEV_WATCHDOG = /NETDEV WATCHDOG: (\S+) \(([^)]*)\): transmit queue (\d+) timed out/;
/** kernel/cgroup/pids.c pids_fork_event: `cgroup: fork rejected by pids controller in %s`. */
const PIDS = /^(?:cgroup: )?fork rejected by pids controller in (\S+)/;
/** NVIDIA driver (nv-report-err / os-interface): `NVRM: Xid (PCI:%s): %d, %s`; `NVRM: GPU at PCI:%s: …`, `GPU has fallen off the bus`. */
const XID = /NVRM: Xid \((?:PCI:)?([^)]+)\): (\d+),\s*(.*)$/;
const GPU_OFF_BUS = /NVRM: .*GPU has fallen off the bus/;
/** The device prefix of an RDMA / Mellanox message: `mlx5_core 0000:3b:00.0[ ens1f0]: `, `infiniband mlx5_0: `, `mlx4_core 0000:04:00.0: `. */
const RDMA_DEV =
  /^(?:infiniband (\S+?):|mlx[45]_(?:core|ib|en) ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d)(?: [\w.-]+)?:|(mlx[45]_\d+):)/;
/**
 * RDMA / Mellanox errors: drivers/net/ethernet/mellanox/mlx5/core/cmd.c (`%s(0x%x) timeout. Will
 * cause a leak of a command resource`, `cmd[%d]: %s(0x%x) Async, timeout.`, `… No done completion`,
 * `failed to allocate command entry`), en/reporter_*.c (`Error cqe on cqn 0x%x`), health.c
 * (`device's health compromised`, `Fatal error %d detected`), drivers/infiniband/hw/mlx5/cq.c
 * (`WC error: %d, Message: %s`, `dump error cqe`), mlx4 (`command 0x%x timed out`).
 */
const RDMA_ERR =
  /\w+\(0x[0-9a-f]+\)(?: Async,)? (?:timeout|No done completion)|failed to allocate command entry|[Ee]rror cqe on cqn|WC error: \d+, [Mm]essage: (.+?)\s*$|dump error cqe|health compromised|Fatal error \d+ detected|command 0x[0-9a-f]+ timed out|FW command timed out/;
/** The hex lines after `dump error cqe` (print_hex_dump, or `%08x %08x %08x %08x`). */
const HEX_DUMP =
  /^(?:cqe_dump: )?(?:[0-9a-f]{8}: (?:[0-9a-f]{2} ){15}[0-9a-f]{2}|[0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8})\s*$/;
/** arch/x86/mm/fault.c show_signal_msg: `%s%s[%d]: segfault at %lx ip %px sp %px error %lx[ in %s[%lx+%lx]]`; arch/x86/kernel/traps.c: `traps: %s[%d] general protection fault ip:%lx sp:%lx error:%lx`, `%s[%d] trap %s ip:%lx sp:%lx error:%lx`; arch/arm64 `%s[%d]: unhandled …`. */
const SEGFAULT =
  /^(?:traps: )?(\S.*?)\[(\d+)\]:? (?:segfault at ([0-9a-f]+) ip ([0-9a-f]+) sp [0-9a-f]+ error (\w+)|general protection fault ip:([0-9a-f]+) sp:[0-9a-f]+ error:(\w+)|trap (.+?) ip:([0-9a-f]+) sp:[0-9a-f]+ error:(\w+)|unhandled (.+?) \(\d+\) at (0x[0-9a-f]+))(?:.*? in (\S+?)\[)?/;
/** fs/file_table.c alloc_empty_file: `VFS: file-max limit %lu reached`. */
const FILE_MAX = /^VFS: file-max limit (\d+) reached/;
/**
 * A cheap first test: a line that contains none of these words cannot match any event pattern
 * above, so the long list of patterns is tried only on the few lines that may be events.
 */
const INTERESTING =
  /oom|Killed process|Kill process|\bpid\s*\]|Tasks state|^\s*\[\s*\d+\]\s+\d|Out of memory|deadlocked on memory|allocation failure|vmalloc|blocked for more than|lockup|LOCKUP|stall|kthread|[Mm]achine [Cc]heck|EDAC|Hardware [Ee]rror|Memory failure|MCE|BUG|Unable to handle|Oops|protection fault|Internal error|WARNING|[Pp]anic|^\s*(?:sd|sr|st|scsi) \d|error, dev |Buffer I\/O|nvme|^\s*ata\d|SCSI error|EXT\d|JBD2|Aborting journal|XFS|BTRFS|read-only|[Cc]locksource|TSC|table full|SYN flooding|tcp_mem|orphaned|NETDEV|Link is|Link up|Link down|link status|server|fork rejected|NVRM|mlx|infiniband|rdma|segfault|trap |unhandled|file-max|unregister_netdevice|timeout|WC error|socket memory/;
/** The kernel's `subsystem: message` style, for logs without any stamp. */
const KERNEL_STYLE = /^\s*[\w.\-/ ]{1,40}(?:\s\S+)?: \S/;
/** init/version.c linux_banner: `Linux version %s (%s@%s) …` — the first line of a boot. */
const BOOT_BANNER = /^Linux version \d/;

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

const KEEP_FIRST = 50;
const KEEP_LAST = 450;
const MAX_TASKS = 20;
const MAX_RSS_VALUES = 500;
const MAX_PROCESS_NAMES = 1000;
const MAX_LOCATIONS = 256;
/** A report's lines arrive within a few seconds; a longer gap ends it. */
const GROUP_GAP_S = 30;

class KindStore {
  first: DmesgEvent[] = [];
  last: DmesgEvent[] = [];
  next = 0;
  count = 0;
  add(e: DmesgEvent): void {
    this.count++;
    if (this.first.length < KEEP_FIRST) this.first.push(e);
    else if (this.last.length < KEEP_LAST) this.last.push(e);
    else {
      this.last[this.next] = e;
      this.next = (this.next + 1) % KEEP_LAST;
    }
  }
  list(): DmesgEvent[] {
    return [...this.first, ...this.last.slice(this.next), ...this.last.slice(0, this.next)];
  }
}

type GroupType =
  | "oom"
  | "trace"
  | "hung"
  | "rcu"
  | "scsi"
  | "ata"
  | "mce"
  | "clock"
  | "xfs"
  | "rdma";

interface Group {
  type: GroupType;
  event: DmesgEvent;
  /** t_s of the last line taken, to end the group after a gap. */
  last_t?: number;
  /** scsi/ata: the device the lines must name. */
  key?: string;
  /** oom: the kill line was read; mce: a count line was read. */
  done?: boolean;
  /** Already counted (a reopened OOM report); the victim already recorded. */
  emitted?: boolean;
  recorded?: boolean;
  /** oom: task table column names after rss. */
  taskCols?: string[];
  tasks?: OomTask[];
}

function clip(s: string): string {
  const t = s.trim();
  return t.length > 300 ? t.slice(0, 300) : t;
}

function kv(s: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|[,\\s])${key}[=:]\\s*([^,\\s]+)`).exec(s);
  return m ? m[1] : undefined;
}

function kb(s: string, key: string): number | undefined {
  const m = new RegExp(`(?:^|[,\\s])${key}:(\\d+)kB`).exec(s);
  return m ? Number(m[1]) : undefined;
}

function intOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : undefined;
}

const CONSTRAINTS: Record<string, OomKillEvent["constraint"]> = {
  CONSTRAINT_NONE: "none",
  CONSTRAINT_CPUSET: "cpuset",
  CONSTRAINT_MEMORY_POLICY: "memory_policy",
  CONSTRAINT_MEMCG: "memcg",
};

const SEVERITY_RANK: Record<string, number> = {
  "io-error": 0,
  "disk-timeout-reset": 1,
  "medium-error": 2,
};

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
  const stores = new Map<DmesgEventKind, KindStore>();
  const byProcess = new Map<string, { count: number; anon_rss_kb: number[] }>();
  const mceByLocation = new Map<string, { corrected: number; uncorrected: number }>();
  let n = 0;
  let found = false;
  let monoLines = 0;
  let stampedLines = 0;
  let kernelLines = 0;
  let wallLines = 0;
  let boots = 0;
  let newestT: number | undefined;
  let newestWall: string | undefined;
  let group: Group | undefined;
  /** The last OOM report without a victim, which later lines of the same report may complete. */
  let pendingOom: Group | undefined;
  let eventsSeen = 0;
  /** A journalctl boot marker was just read: the banner that follows is the same boot. */
  let freshBootMarker = false;

  const store = (kind: DmesgEventKind): KindStore => {
    let s = stores.get(kind);
    if (!s) {
      s = new KindStore();
      stores.set(kind, s);
    }
    return s;
  };

  const emit = (e: DmesgEvent): void => {
    (e as DmesgEventBase & { boot?: number }).boot = boots;
    store(e.kind).add(e);
    eventsSeen++;
  };

  const recordVictim = (e: OomKillEvent): void => {
    if (e.process === undefined) return;
    let p = byProcess.get(e.process);
    if (!p) {
      if (byProcess.size >= MAX_PROCESS_NAMES) return;
      p = { count: 0, anon_rss_kb: [] };
      byProcess.set(e.process, p);
    }
    p.count++;
    if (e.anon_rss_kb !== undefined) {
      p.anon_rss_kb.push(e.anon_rss_kb);
      if (p.anon_rss_kb.length > MAX_RSS_VALUES) p.anon_rss_kb.shift();
    }
  };

  const recordMce = (e: MceEvent): void => {
    if (e.corrected === undefined) return;
    const loc =
      e.dimm ??
      (e.mc !== undefined ? `MC${e.mc}` : e.bank !== undefined ? `bank ${e.bank}` : "unknown");
    let s = mceByLocation.get(loc);
    if (!s) {
      if (mceByLocation.size >= MAX_LOCATIONS) return;
      s = { corrected: 0, uncorrected: 0 };
      mceByLocation.set(loc, s);
    }
    if (e.corrected) s.corrected += e.count ?? 1;
    else s.uncorrected += e.count ?? 1;
  };

  const closeGroup = (): void => {
    const g = group;
    if (!g) return;
    group = undefined;
    const e = g.event;
    if (g.type === "oom") {
      const o = e as OomKillEvent;
      if (g.tasks && g.tasks.length > 0) {
        const victim = g.tasks.find((t) => t.pid === o.pid);
        if (victim?.oom_score_adj !== undefined) o.oom_score_adj ??= victim.oom_score_adj;
        o.tasks = g.tasks.sort((a, b) => b.rss_pages - a.rss_pages).slice(0, MAX_TASKS);
      }
      if (o.process !== undefined && !g.recorded) {
        recordVictim(o);
        g.recorded = true;
      }
      pendingOom = o.process === undefined ? g : undefined;
    }
    if (g.type === "mce") recordMce(e as MceEvent);
    const t = e as Partial<TraceEvent>;
    if (t.trace_unreliable && t.trace_unreliable.length === 0) delete t.trace_unreliable;
    if (!g.emitted) emit(e);
    g.emitted = true;
  };

  /**
   * Continues the last victimless OOM report when a line of it arrives after other lines
   * (interleaved messages, a body line this parser does not know): true when reopened.
   */
  const reopenPending = (p: Prefixed): boolean => {
    const g = pendingOom;
    if (!g) return false;
    const last = g.event.end_line ?? g.event.line;
    const lastT = g.last_t ?? g.event.t_s;
    if (n - last > 1000) return false;
    if (p.t_s !== undefined && lastT !== undefined && p.t_s - lastT > GROUP_GAP_S) return false;
    closeGroup();
    pendingOom = undefined;
    group = g;
    return true;
  };

  const base = (kind: DmesgEventKind, p: Prefixed, text: string): DmesgEventBase => {
    const e: DmesgEventBase = { kind, line: n, text: clip(text) };
    if (p.t_s !== undefined) e.t_s = p.t_s;
    if (p.wallclock !== undefined) e.wallclock = p.wallclock;
    if (p.level !== undefined) e.level = p.level;
    return e;
  };

  const open = (type: GroupType, event: DmesgEvent, p: Prefixed, extra?: Partial<Group>): void => {
    closeGroup();
    if (type === "oom") pendingOom = undefined;
    group = { type, event, last_t: p.t_s, ...extra };
  };

  // --- OOM ------------------------------------------------------------------------------------

  const readInvoked = (e: OomKillEvent, r: RegExpExecArray): void => {
    e.invoked_by = r[1].trim();
    const rest = r[2];
    const gfp = /gfp_mask=(0x[0-9a-f]+(?:\([^)]*\))?)/.exec(rest);
    if (gfp) e.gfp_mask = gfp[1];
    e.order = intOf(kv(rest, "order"));
    e.invoked_by_oom_score_adj = intOf(kv(rest, "oom_score_adj"));
  };

  const readSummary = (e: OomKillEvent, s: string): void => {
    const c = kv(s, "constraint");
    if (c) e.constraint = CONSTRAINTS[c] ?? e.constraint;
    const memcg = kv(s, "oom_memcg");
    const taskMemcg = kv(s, "task_memcg");
    if (taskMemcg) e.task_memcg = taskMemcg;
    if (memcg ?? taskMemcg) e.memcg = memcg ?? taskMemcg;
    const task = /(?:^|,)task=([^,]*),pid=(\d+)(?:,uid=(\d+))?/.exec(s);
    if (task) {
      e.process ??= task[1];
      e.pid ??= Number(task[2]);
      if (task[3] !== undefined) e.uid ??= Number(task[3]);
    }
  };

  const readKilled = (e: OomKillEvent, r: RegExpExecArray): void => {
    const who = r[1] ?? "";
    e.pid = Number(r[2]);
    if (r[3] !== undefined) e.uid = Number(r[3]);
    e.process = r[4];
    const rest = r[5] ?? "";
    e.total_vm_kb = kb(rest, "total-vm") ?? kb(rest, "vsz") ?? e.total_vm_kb;
    e.anon_rss_kb = kb(rest, "anon-rss") ?? e.anon_rss_kb;
    e.file_rss_kb = kb(rest, "file-rss") ?? e.file_rss_kb;
    e.shmem_rss_kb = kb(rest, "shmem-rss") ?? e.shmem_rss_kb;
    e.pgtables_kb = kb(rest, "pgtables") ?? e.pgtables_kb;
    const uid = /UID:(\d+)/.exec(rest);
    if (uid) e.uid = Number(uid[1]);
    const adj = /oom_score_adj:(-?\d+)/.exec(rest);
    if (adj) e.oom_score_adj = Number(adj[1]);
    if (/Memory cgroup/i.test(who)) e.constraint ??= "memcg";
  };

  const newOom = (p: Prefixed, text: string): OomKillEvent => ({
    ...base("oom-kill", p, text),
    kind: "oom-kill",
  });

  const readTaskRow = (g: Group, r: RegExpExecArray): void => {
    const extra = r[6].trim() === "" ? [] : r[6].trim().split(/\s+/).map(Number);
    const task: OomTask = {
      pid: Number(r[1]),
      uid: Number(r[2]),
      tgid: Number(r[3]),
      total_vm_pages: Number(r[4]),
      rss_pages: Number(r[5]),
      name: r[7].trim(),
    };
    const cols = g.taskCols;
    if (cols && cols.length === extra.length) {
      const sw = cols.indexOf("swapents");
      if (sw >= 0) task.swapents_pages = extra[sw];
      const adj = cols.indexOf("oom_score_adj");
      if (adj >= 0) task.oom_score_adj = extra[adj];
    } else if (extra.length >= 2) {
      // no header seen: the last two columns are swapents and oom_score_adj in every version since 3.x
      task.swapents_pages = extra[extra.length - 2];
      task.oom_score_adj = extra[extra.length - 1];
    }
    const o = g.event as OomKillEvent;
    o.tasks_total = (o.tasks_total ?? 0) + 1;
    g.tasks ??= [];
    g.tasks.push(task);
    if (g.tasks.length > 4 * MAX_TASKS) {
      g.tasks.sort((a, b) => b.rss_pages - a.rss_pages);
      g.tasks.length = MAX_TASKS;
    }
  };

  /** Tries the line as part of an open OOM report. */
  const oomTake = (g: Group, p: Prefixed, msg: string): boolean => {
    const e = g.event as OomKillEvent;
    const mt = new Match();
    if (g.done) {
      if (mt.test(OOM_REAPED, msg) && Number(mt.m[1]) === e.pid) {
        e.reaped = true;
        return true;
      }
      if (/^\s*(?:total-vm|anon-rss|file-rss|shmem-rss|UID|pgtables|oom_score_adj):/.test(msg)) {
        // a kill line wrapped by a terminal or a paste
        const rest = msg.trim();
        e.total_vm_kb ??= kb(` ${rest}`, "total-vm");
        e.anon_rss_kb ??= kb(` ${rest}`, "anon-rss");
        e.file_rss_kb ??= kb(` ${rest}`, "file-rss");
        e.shmem_rss_kb ??= kb(` ${rest}`, "shmem-rss");
        e.pgtables_kb ??= kb(` ${rest}`, "pgtables");
        const adj = /oom_score_adj:(-?\d+)/.exec(rest);
        if (adj) e.oom_score_adj ??= Number(adj[1]);
        for (const k of [
          "total_vm_kb",
          "anon_rss_kb",
          "file_rss_kb",
          "shmem_rss_kb",
          "pgtables_kb",
        ] as const) {
          if (e[k] === undefined) delete e[k];
        }
        return true;
      }
      return false;
    }
    if (mt.test(OOM_TASK_HEADER, msg)) {
      g.taskCols = mt.m[1].trim().split(/\s+/).slice(0, -1);
      return true;
    }
    if (mt.test(OOM_TASK_ROW, msg)) {
      readTaskRow(g, mt.m);
      return true;
    }
    if (mt.test(OOM_SUMMARY, msg)) {
      readSummary(e, mt.m[1]);
      return true;
    }
    if (mt.test(OOM_KILLED, msg) && (mt.m[1] === undefined || /out of memory/i.test(mt.m[1]))) {
      readKilled(e, mt.m);
      e.text = clip(p.raw);
      g.done = true;
      return true;
    }
    if (OOM_PANIC.test(msg)) {
      e.panic = true;
      return true;
    }
    if (mt.test(OOM_KILL_OLD, msg)) {
      // ≤ 5.0: the choice; the `Killed process` line that follows names the task really killed
      e.pid = Number(mt.m[1]);
      e.process = mt.m[2];
      return true;
    }
    if (OOM_BODY.some((r) => r.test(msg))) return true;
    return absorbTraceLine(msg, undefined);
  };

  // --- per-line classification -----------------------------------------------------------------

  /** Tries the line as part of the open group; true when taken. */
  const take = (p: Prefixed, msg: string): boolean => {
    const g = group;
    if (!g) return false;
    if (g.last_t !== undefined && p.t_s !== undefined && p.t_s - g.last_t > GROUP_GAP_S)
      return false;
    let taken = false;
    const mt = new Match();
    switch (g.type) {
      case "oom":
        taken = oomTake(g, p, msg);
        break;
      case "hung": {
        const e = g.event as HungTaskEvent;
        if (mt.test(HUNG_BLOCKER, msg)) {
          e.blocked_on = mt.m[1];
          e.blocker_task = mt.m[2];
          e.blocker_pid = Number(mt.m[3]);
          taken = true;
        } else if (mt.test(/^\s*task:.{1,16}?\s+state:(\w)/, msg)) {
          e.state = mt.m[1];
          taken = true;
        } else if (/^Kernel panic - not syncing: hung_task/.test(msg)) {
          // kernel.hung_task_panic = 1
          e.panic = true;
          taken = true;
        } else if (
          mt.test(
            /^\s*\S.{0,15}\s+([RSDTtXZPIWK])\+?\s+(?:[0-9a-f]{8,16}\s+)?\d+\s+\d+\s+\d+\s+0x[0-9a-f]+\s*$/,
            msg,
          )
        ) {
          e.state = mt.m[1];
          taken = true;
        } else taken = absorbTraceLine(msg, e);
        break;
      }
      case "trace":
      case "rcu": {
        const e = g.event as TraceEvent;
        if (
          mt.test(
            /^\s*CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.+?)(?: (?:Not tainted|Tainted: )(.*))?$/,
            msg,
          )
        ) {
          e.cpu ??= Number(mt.m[1]);
          e.pid ??= Number(mt.m[2]);
          e.task ??= mt.m[3].trim();
          if (mt.m[4] && /Tainted/.test(msg)) e.tainted ??= mt.m[4].trim();
          taken = true;
        } else if (
          mt.test(
            /^\s*(?:RIP: [0-9a-f]{4}:|EIP: |pc : |PC is at |NIP \[[0-9a-f]+\] |IP: \[<[0-9a-f]+>\] )\[?<?[0-9a-f]*>?\]?\s*([A-Za-z_.$][\w.$]*)\+0x/,
            msg,
          )
        ) {
          e.function ??= mt.m[1];
          taken = true;
        } else if (mt.test(/^Kernel panic - not syncing: (.*)$/, msg)) {
          e.panic = true;
          if (e.kind === "kernel-bug" && /Hard LOCKUP/.test(mt.m[1])) e.kind = "hard-lockup";
          taken = true;
        } else if (
          (e as DmesgEvent).kind === "nic-link" &&
          /^WARNING: (?:CPU: \d+ PID: \d+ at )?net\/sched\/sch_generic\.c/.test(msg)
        ) {
          // the WARN_ONCE that carries the NETDEV WATCHDOG message
          taken = true;
        } else if (
          e.kind === "kernel-bug" &&
          /^(?:Oops: |general protection fault|Internal error: |BUG: |#PF: |invalid opcode: |stack segment: |double fault: )/.test(
            msg,
          )
        ) {
          // an oops that follows its own `BUG: …` headline
          taken = true;
        } else if (g.type === "rcu" && mt.test(RCU_STARVED, msg)) {
          e.starved_jiffies = Number(mt.m[2]);
          taken = true;
        } else if (
          g.type === "rcu" &&
          /^(?:rcu: )?(?:\s|\(detected by|\(t=|Unless rcu_|RCU grace-period kthread|Possible timer handling issue|rcu_\w+ kthread|Task dump for CPU|All QSes seen)/.test(
            msg,
          )
        ) {
          taken = true;
        } else if (e.kind === "page-allocation-failure" && OOM_BODY.some((r) => r.test(msg))) {
          taken = true;
        } else taken = absorbTraceLine(msg, e);
        break;
      }
      case "scsi": {
        const e = g.event as DiskEvent;
        if (g.done) break;
        if (mt.test(SCSI_PREFIX, msg) && (mt.m[2] ?? mt.m[1]) === g.key) {
          // a second failed command of the same device is another event
          if (SCSI_RESULT.test(mt.m[3]) && e.hostbyte !== undefined) break;
          if (SCSI_SENSE_KEY.test(mt.m[3]) && e.error !== undefined && e.sense !== undefined) break;
          scsiDetail(e, mt.m[3]);
          taken = true;
        } else if (mt.test(BLK_ERROR, msg) && mt.m[3].startsWith(g.key ?? "\u0000")) {
          blkDetail(e, mt.m);
          g.done = true;
          taken = true;
        } else if (mt.test(BUFFER_IO, msg) && mt.m[1].startsWith(g.key ?? "\u0000")) {
          taken = true;
        }
        break;
      }
      case "ata": {
        const e = g.event as DiskEvent;
        if (mt.test(ATA_LINE, msg) && mt.m[1].split(".")[0] === g.key) {
          ataDetail(e, mt.m[2]);
          taken = true;
          if (/^EH complete/.test(mt.m[2])) {
            e.end_line = n;
            closeGroup();
            return true;
          }
        } else if (mt.test(BLK_ERROR, msg)) {
          blkDetail(e, mt.m);
          taken = true;
        } else if (/^\s+res [0-9a-f]{2}\//.test(msg)) {
          // the unstamped second line of `ata%u.%02u: cmd …` (drivers/ata/libata-eh.c)
          ataDetail(e, msg.trim());
          taken = true;
        }
        break;
      }
      case "mce": {
        const e = g.event as MceEvent;
        if (
          g.done &&
          (MCE_LOGGED.test(msg) ||
            EDAC_COUNT.test(msg) ||
            EDAC_OLD.test(msg) ||
            /HANDLING MCE MEMORY ERROR|Hardware error from APEI/.test(msg))
        ) {
          return false;
        }
        if (
          MCE_LOGGED.test(msg) ||
          EDAC_ANY.test(msg) ||
          GHES.test(msg) ||
          /^mce: /.test(msg) ||
          MEMORY_FAILURE.test(msg)
        ) {
          if (mceDetail(e, msg)) g.done = true;
          taken = true;
        }
        break;
      }
      case "clock": {
        const e = g.event as ClocksourceEvent;
        if (mt.test(CS_WATCHDOG_LINE, msg) && mt.m[1] !== e.clocksource) {
          e.watchdog ??= mt.m[1];
          taken = true;
        } else if (mt.test(CS_SWITCHED, msg)) {
          e.switched_to = mt.m[1];
          taken = true;
        } else if (
          CS_CONT.test(msg) ||
          CS_WATCHDOG_LINE.test(msg) ||
          TSC_UNSTABLE.test(msg) ||
          /^clocksource: /.test(msg)
        ) {
          taken = true;
        }
        break;
      }
      case "rdma": {
        // the CQE dump that follows a WC error, and its hex lines
        if (HEX_DUMP.test(msg.trim())) taken = true;
        else if (/dump error cqe|cqe_dump/.test(msg) && mt.test(RDMA_DEV, msg)) {
          taken = (mt.m[1] ?? mt.m[2] ?? mt.m[3]) === g.key;
        }
        break;
      }
      case "xfs": {
        if (mt.test(XFS, msg) && mt.m[1] === g.key) {
          const e = g.event as FsErrorEvent;
          if (/shut(?:ting)? ?down/i.test(mt.m[2])) e.shutdown = true;
          if (/corrupt/i.test(mt.m[2])) e.corruption = true;
          taken = true;
        } else taken = absorbTraceLine(msg, undefined);
        break;
      }
    }
    if (taken) {
      g.event.end_line = n;
      if (p.t_s !== undefined) g.last_t = p.t_s;
    }
    return taken;
  };

  const blkDetail = (e: DiskEvent, r: RegExpExecArray): void => {
    const name = r[2];
    e.device ??= r[3];
    e.sector ??= Number(r[4]);
    if (r[5]) e.operation ??= r[5];
    e.error ??= name;
    if (/critical medium/.test(name)) upgrade(e, "medium-error");
    else if (/^timeout$/.test(name)) upgrade(e, "disk-timeout-reset");
  };

  const upgrade = (e: DiskEvent, kind: DiskEvent["kind"]): void => {
    if (SEVERITY_RANK[kind] > SEVERITY_RANK[e.kind]) e.kind = kind;
  };

  const scsiDetail = (e: DiskEvent, rest: string): void => {
    const mt = new Match();
    if (mt.test(SCSI_SENSE_KEY, rest)) {
      e.error = mt.m[1];
      if (/Medium Error/i.test(mt.m[1])) upgrade(e, "medium-error");
    } else if (mt.test(SCSI_ADD_SENSE, rest)) {
      e.sense = mt.m[1];
      if (
        /unrecovered read error|unrecovered|auto reallocate failed|read retries exhausted|medium error/i.test(
          mt.m[1],
        )
      ) {
        upgrade(e, "medium-error");
      }
    } else if (mt.test(SCSI_RESULT, rest)) {
      e.hostbyte = mt.m[1];
      if (/DID_TIME_OUT|DID_ABORT|DID_RESET|DID_BUS_BUSY/.test(mt.m[1]))
        upgrade(e, "disk-timeout-reset");
    } else if (mt.test(/^CDB: (\w+)\((\d+)\)/, rest)) {
      e.operation ??= mt.m[1].toUpperCase();
    } else if (mt.test(SCSI_TIMEOUT, rest)) {
      upgrade(e, "disk-timeout-reset");
    } else if (mt.test(/Unrecovered read error|Medium Error/i, rest)) {
      upgrade(e, "medium-error");
    }
  };

  const ataDetail = (e: DiskEvent, rest: string): void => {
    const mt = new Match();
    if (
      /\bfrozen\b|hard resetting link|SError:.*\b|qc timeout|COMRESET failed|link is slow to respond|failed to IDENTIFY|soft resetting link/.test(
        rest,
      ) &&
      /frozen|resetting|timeout|COMRESET|slow to respond|IDENTIFY/.test(rest)
    ) {
      upgrade(e, "disk-timeout-reset");
    }
    if (mt.test(/^error: \{ ([^}]*) \}/, rest)) {
      e.error = mt.m[1].trim();
      if (/\bUNC\b/.test(mt.m[1])) upgrade(e, "medium-error");
      if (/\bIDNF\b|\bABRT\b|\bICRC\b/.test(mt.m[1]) && !e.error) e.error = mt.m[1].trim();
    } else if (
      mt.test(
        /Emask 0x[0-9a-f]+ \((media error|timeout|ATA bus error|device error|HSM violation)\)/,
        rest,
      )
    ) {
      if (mt.m[1] === "media error") upgrade(e, "medium-error");
      else if (mt.m[1] === "timeout") upgrade(e, "disk-timeout-reset");
      e.error ??= mt.m[1];
    } else if (mt.test(/^failed command: (.+)$/, rest)) {
      e.operation ??= mt.m[1].trim();
    }
  };

  const mceDetail = (e: MceEvent, msg: string): boolean => {
    const mt = new Match();
    let counted = false;
    if (mt.test(EDAC_COUNT, msg)) {
      e.mc = Number(mt.m[1]);
      e.count = Number(mt.m[2]);
      e.corrected = mt.m[3] === "CE";
      e.error = mt.m[4].trim() || undefined;
      if (e.error === undefined) delete e.error;
      if (!/^unknown$/i.test(mt.m[5])) e.dimm = mt.m[5];
      counted = true;
    } else if (mt.test(EDAC_OLD, msg)) {
      e.mc = Number(mt.m[1]);
      e.corrected = mt.m[2] === "CE";
      e.count = 1;
      if (mt.m[3]) e.dimm = mt.m[3];
      counted = true;
    } else if (mt.test(MCE_PRINT, msg)) {
      e.cpu = Number(mt.m[1]);
      e.bank = Number(mt.m[2]);
      e.status = mt.m[3];
      // arch/x86/include/asm/mce.h: MCI_STATUS_UC = bit 61, MCI_STATUS_PCC = bit 57
      if (mt.m[3].length === 16 && e.corrected === undefined) {
        const hi = Number.parseInt(mt.m[3].slice(0, 8), 16);
        const uc = (hi >>> 29) & 1;
        const pcc = (hi >>> 25) & 1;
        e.corrected = uc === 0 && pcc === 0;
      }
      if (/Exception/.test(msg)) e.corrected = false;
    } else if (mt.test(GHES_SEVERITY, msg)) {
      e.corrected = mt.m[1] === "corrected";
      counted = true;
    } else if (mt.test(AMD_SEVERITY, msg)) {
      e.corrected = mt.m[1] === "Corrected error";
      counted = true;
    } else if (MEMORY_FAILURE.test(msg) || MCE_EXCEPTION.test(msg)) {
      e.corrected = false;
    }
    if (mt.test(/\bADDR (?:0x)?([0-9a-f]+)/, msg) && !/MISC/.test(msg.slice(0, mt.m.index)))
      e.address ??= mt.m[1];
    if (
      mt.test(/DIMM location: ([^.,(]+?)\s*(?:[.,(]|$)/, msg) ||
      mt.test(/\blabel "([^"]+)"/, msg)
    ) {
      if (!/^(?:not present|unknown)/i.test(mt.m[1])) e.dimm ??= mt.m[1];
    }
    if (mt.test(/EDAC (?:\w+ )?MC(\d+):/, msg)) e.mc ??= Number(mt.m[1]);
    return counted;
  };

  const classify = (p: Prefixed, msg: string, raw: string): void => {
    const mt = new Match();
    const t = msg.trimStart();

    // OOM reports (mm/oom_kill.c)
    if (mt.test(OOM_INVOKED, t)) {
      const e = newOom(p, raw);
      readInvoked(e, mt.m);
      open("oom", e, p);
      return;
    }
    if (
      OOM_TASK_HEADER.test(t) ||
      /^Tasks state \(memory values in pages\):/.test(t) ||
      OOM_SUMMARY.test(t) ||
      (mt.test(OOM_KILLED, t) && (mt.m[1] === undefined || /out of memory/i.test(mt.m[1]))) ||
      (OOM_TASK_ROW.test(t) && !/^\[\s*\d+\.\d+\]/.test(t))
    ) {
      if (!reopenPending(p)) open("oom", newOom(p, raw), p);
      take(p, t);
      return;
    }
    if (OOM_PANIC.test(t)) {
      const e = newOom(p, raw);
      e.panic = true;
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(OOM_KILL_OLD, t)) {
      const e = newOom(p, raw);
      e.pid = Number(mt.m[1]);
      e.process = mt.m[2];
      open("oom", e, p);
      return;
    }
    if (mt.test(PAGE_ALLOC, t)) {
      const e: TraceEvent = {
        ...base("page-allocation-failure", p, raw),
        kind: "page-allocation-failure",
        trace: [],
      };
      e.task = mt.m[1].trim();
      e.order = Number(mt.m[2]);
      e.mode = mt.m[3];
      open("trace", e, p);
      return;
    }
    if (mt.test(VMALLOC_FAIL, t)) {
      const e: TraceEvent = {
        ...base("page-allocation-failure", p, raw),
        kind: "page-allocation-failure",
        trace: [],
      };
      if (mt.m[1]) e.task = mt.m[1].trim();
      e.bug = "vmalloc";
      open("trace", e, p);
      return;
    }

    // hung tasks, lockups, stalls (kernel/hung_task.c, kernel/watchdog.c, kernel/rcu/tree_stall.h)
    if (mt.test(HUNG_TASK, t)) {
      const e: HungTaskEvent = {
        ...base("hung-task", p, raw),
        kind: "hung-task",
        task: mt.m[1],
        pid: Number(mt.m[2]),
        blocked_s: Number(mt.m[3]),
        trace: [],
      };
      open("hung", e, p);
      return;
    }
    if (mt.test(SOFT_LOCKUP, t)) {
      const e: TraceEvent = {
        ...base("soft-lockup", p, raw),
        kind: "soft-lockup",
        bug: "soft lockup",
        cpu: Number(mt.m[1]),
        stuck_s: Number(mt.m[2]),
        task: mt.m[3],
        pid: Number(mt.m[4]),
        trace: [],
      };
      open("trace", e, p);
      return;
    }
    if (mt.test(HARD_LOCKUP, t)) {
      const e: TraceEvent = {
        ...base("hard-lockup", p, raw),
        kind: "hard-lockup",
        bug: "hard LOCKUP",
        trace: [],
      };
      if (mt.m[1] !== undefined) e.cpu = Number(mt.m[1]);
      if (/Kernel panic/.test(t)) e.panic = true;
      open("trace", e, p);
      return;
    }
    if (mt.test(RCU_STALL, t)) {
      const e: TraceEvent = {
        ...base("rcu-stall", p, raw),
        kind: "rcu-stall",
        bug: "rcu stall",
        flavour: mt.m[1],
        trace: [],
      };
      open("rcu", e, p);
      return;
    }
    if (mt.test(RCU_STARVED, t)) {
      const e: TraceEvent = {
        ...base("rcu-stall", p, raw),
        kind: "rcu-stall",
        bug: "rcu kthread starved",
        flavour: mt.m[1],
        starved_jiffies: Number(mt.m[2]),
        trace: [],
      };
      open("rcu", e, p);
      return;
    }

    // machine checks (arch/x86/kernel/cpu/mce, drivers/edac, drivers/acpi/apei)
    if (
      MCE_LOGGED.test(t) ||
      EDAC_COUNT.test(t) ||
      EDAC_OLD.test(t) ||
      MCE_PRINT.test(t) ||
      /HANDLING MCE MEMORY ERROR|Hardware error from APEI|\[Hardware Error\]: (?:Corrected error|Uncorrected|Deferred error)/.test(
        t,
      ) ||
      MEMORY_FAILURE.test(t) ||
      (MCE_EXCEPTION.test(t) && !/^mce: CPU supports/.test(t))
    ) {
      const e: MceEvent = { ...base("mce", p, raw), kind: "mce" };
      const counted = mceDetail(e, t);
      open("mce", e, p, { done: counted });
      return;
    }

    // kernel bugs (see KERNEL_BUG)
    for (const k of KERNEL_BUG) {
      if (mt.test(k.re, t)) {
        const e: TraceEvent = {
          ...base("kernel-bug", p, raw),
          kind: "kernel-bug",
          bug: k.bug(mt.m),
          trace: [],
        };
        if (mt.test(WARN_CPU, t)) {
          e.cpu = Number(mt.m[1]);
          e.pid = Number(mt.m[2]);
          if (mt.m[3]) e.location = mt.m[3];
          if (mt.m[4]) e.function = mt.m[4];
        } else if (mt.test(WARN_6X, t)) {
          e.location = mt.m[1];
          e.function = mt.m[2];
          e.cpu = Number(mt.m[3]);
          e.task = mt.m[4];
          e.pid = Number(mt.m[5]);
        } else if (mt.test(/^WARNING: at (\S+:\d+)(?: ([A-Za-z_.$][\w.$]*)\(?)?/, t)) {
          e.location = mt.m[1];
          if (mt.m[2]) e.function = mt.m[2];
        } else if (mt.test(/^kernel BUG at ([^!]+)!/, t)) {
          e.location = mt.m[1];
        }
        if (/^Kernel panic/.test(t)) e.panic = true;
        open("trace", e, p);
        return;
      }
    }

    // block devices (block/blk-core.c, fs/buffer.c, drivers/scsi, drivers/ata, drivers/nvme)
    if (mt.test(SCSI_PREFIX, t)) {
      const key = mt.m[2] ?? mt.m[1];
      const rest = mt.m[3];
      if (
        SCSI_SENSE_KEY.test(rest) ||
        SCSI_ADD_SENSE.test(rest) ||
        (SCSI_RESULT.test(rest) && /FAILED|failed|DID_(?!OK)/.test(rest)) ||
        /Unhandled (?:sense|error) code|Medium Error|Unrecovered read error/i.test(rest) ||
        SCSI_TIMEOUT.test(rest)
      ) {
        const e: DiskEvent = {
          ...base("io-error", p, raw),
          kind: "io-error",
          device: mt.m[2] ?? mt.m[1],
        };
        scsiDetail(e, rest);
        open("scsi", e, p, { key });
        return;
      }
    }
    if (mt.test(BLK_ERROR, t)) {
      const e: DiskEvent = { ...base("io-error", p, raw), kind: "io-error" };
      blkDetail(e, mt.m);
      if (/^(?:timeout)$/.test(mt.m[2])) e.kind = "disk-timeout-reset";
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(BUFFER_IO, t)) {
      const e: DiskEvent = {
        ...base("io-error", p, raw),
        kind: "io-error",
        device: mt.m[1],
        logical_block: Number(mt.m[2]),
      };
      if (mt.m[3]) e.operation = /write/.test(mt.m[3]) ? "WRITE" : "READ";
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(NVME_ERROR, t)) {
      const e: DiskEvent = {
        ...base("io-error", p, raw),
        kind: /Unrecovered Read Error|Write Fault|Compare Failure/i.test(mt.m[4])
          ? "medium-error"
          : "io-error",
        device: mt.m[1],
        sector: Number(mt.m[3]),
        operation: mt.m[2].trim().toUpperCase(),
        error: mt.m[4],
      };
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(NVME_TIMEOUT, t)) {
      const e: DiskEvent = {
        ...base("disk-timeout-reset", p, raw),
        kind: "disk-timeout-reset",
        device: mt.m[1],
      };
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(ATA_LINE, t)) {
      const port = mt.m[1].split(".")[0];
      const rest = mt.m[2];
      if (
        /^exception Emask|hard resetting link|^failed command|^error: \{|COMRESET failed|qc timeout|link is slow to respond|SError: \{/.test(
          rest,
        )
      ) {
        const e: DiskEvent = { ...base("io-error", p, raw), kind: "io-error", device: mt.m[1] };
        ataDetail(e, rest);
        open("ata", e, p, { key: port });
        return;
      }
    }
    if (mt.test(SCSI_OLD_ERROR, t)) {
      const e: DiskEvent = {
        ...base("disk-timeout-reset", p, raw),
        kind: "disk-timeout-reset",
        error: `return code ${mt.m[1]}`,
      };
      closeGroup();
      emit(e);
      return;
    }

    // filesystems (fs/ext4/super.c, fs/jbd2/journal.c, fs/xfs, fs/btrfs)
    if (mt.test(EXT_ERROR, t) || mt.test(EXT_RO, t)) {
      const e: FsErrorEvent = {
        ...base("fs-error", p, raw),
        kind: "fs-error",
        fs: mt.m[1].toLowerCase(),
        device: mt.m[2],
      };
      if (/read-only/.test(t)) e.read_only = true;
      if (/corrupt|checksum|bad (?:block|header|extent|entry)/i.test(t)) e.corruption = true;
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(EXT_IO, t)) {
      const e: DiskEvent = {
        ...base("io-error", p, raw),
        kind: "io-error",
        device: mt.m[2],
        error: "I/O",
      };
      if (/writing/.test(t)) e.operation = "WRITE";
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(JBD2, t)) {
      const e: FsErrorEvent = {
        ...base("fs-error", p, raw),
        kind: "fs-error",
        fs: "jbd2",
        device: mt.m[1] ?? mt.m[2],
      };
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(XFS, t) && XFS_BAD.test(mt.m[2])) {
      if (group?.type === "xfs" && group.key === mt.m[1] && take(p, t)) return;
      const e: FsErrorEvent = {
        ...base("fs-error", p, raw),
        kind: "fs-error",
        fs: "xfs",
        device: mt.m[1],
      };
      if (/shut(?:ting)? ?down/i.test(mt.m[2])) e.shutdown = true;
      if (/corrupt/i.test(mt.m[2])) e.corruption = true;
      open("xfs", e, p, { key: mt.m[1] });
      return;
    }
    if (mt.test(BTRFS, t)) {
      const e: FsErrorEvent = {
        ...base("fs-error", p, raw),
        kind: "fs-error",
        fs: "btrfs",
        device: mt.m[2],
      };
      if (/corrupt/i.test(t)) e.corruption = true;
      if (/read-only|forced readonly/i.test(t)) e.read_only = true;
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(REMOUNT_RO, t)) {
      const e: FsErrorEvent = {
        ...base("fs-error", p, raw),
        kind: "fs-error",
        fs: mt.m[1].toLowerCase(),
        device: mt.m[2],
        read_only: true,
      };
      closeGroup();
      emit(e);
      return;
    }

    // clocks (kernel/time/clocksource.c, arch/x86/kernel/tsc.c)
    if (mt.test(CS_UNSTABLE, t)) {
      const e: ClocksourceEvent = {
        ...base("clocksource-unstable", p, raw),
        kind: "clocksource-unstable",
        clocksource: mt.m[1] ?? mt.m[2],
      };
      open("clock", e, p);
      return;
    }
    if (mt.test(TSC_UNSTABLE, t)) {
      const e: ClocksourceEvent = {
        ...base("clocksource-unstable", p, raw),
        kind: "clocksource-unstable",
        clocksource: "tsc",
      };
      if (mt.m[1] !== undefined) e.reason = mt.m[1];
      open("clock", e, p);
      return;
    }

    // network (net/netfilter, net/ipv4, net/sched, drivers/net)
    if (CONNTRACK_FULL.test(t)) {
      closeGroup();
      emit({ ...base("conntrack-full", p, raw), kind: "conntrack-full" });
      return;
    }
    if (mt.test(SYN_FLOOD, t)) {
      const e: SimpleEvent = {
        ...base("syn-flood", p, raw),
        kind: "syn-flood",
        port: Number(mt.m[2]),
        action: mt.m[3] === "Sending cookies" ? "cookies" : "dropping",
      };
      if (mt.m[1]) e.address = mt.m[1];
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(TCP_OOM, t)) {
      closeGroup();
      emit({
        ...base("tcp-oom", p, raw),
        kind: "tcp-oom",
        reason: /orphan/.test(mt.m[1]) ? "orphans" : "tcp_mem",
      });
      return;
    }
    if (mt.test(NETDEV_WATCHDOG, t)) {
      const e: SimpleEvent = {
        ...base("nic-link", p, raw),
        kind: "nic-link",
        interface: mt.m[1],
        driver: mt.m[2],
        state: "tx-timeout",
        queue: Number(mt.m[3]),
      };
      open("trace", { ...e, trace: [] } as unknown as TraceEvent, p);
      return;
    }
    if (mt.test(NIC_BOND, t)) {
      closeGroup();
      emit({
        ...base("nic-link", p, raw),
        kind: "nic-link",
        interface: mt.m[3],
        state: mt.m[2] === "down" ? "down" : "up",
        driver: mt.m[1],
      });
      return;
    }
    if (mt.test(NIC_LINK, t) || mt.test(NIC_LINK_SHORT, t)) {
      closeGroup();
      emit({
        ...base("nic-link", p, raw),
        kind: "nic-link",
        interface: mt.m[1],
        state: mt.m[2].toLowerCase() === "down" ? "down" : "up",
      });
      return;
    }
    if (mt.test(NFS, t)) {
      closeGroup();
      emit({
        ...base("nfs-not-responding", p, raw),
        kind: "nfs-not-responding",
        server: mt.m[2],
        status: mt.m[3].replace(/, still trying$/, ""),
      });
      return;
    }
    if (mt.test(PIDS, t)) {
      closeGroup();
      emit({ ...base("pids-limit", p, raw), kind: "pids-limit", cgroup: mt.m[1] });
      return;
    }
    if (mt.test(XID, t)) {
      const e: SimpleEvent = {
        ...base("gpu-xid", p, raw),
        kind: "gpu-xid",
        xid: Number(mt.m[2]),
        pci: mt.m[1],
        detail: mt.m[3].trim(),
      };
      const pid = /pid=(\d+)/.exec(mt.m[3]);
      if (pid) e.pid = Number(pid[1]);
      closeGroup();
      emit(e);
      return;
    }
    if (GPU_OFF_BUS.test(t)) {
      closeGroup();
      emit({ ...base("gpu-xid", p, raw), kind: "gpu-xid", detail: "GPU has fallen off the bus" });
      return;
    }
    if (mt.test(RDMA_DEV, t) && RDMA_ERR.test(t)) {
      const device = mt.m[1] ?? mt.m[2] ?? mt.m[3];
      const e: SimpleEvent = { ...base("rdma-error", p, raw), kind: "rdma-error", device };
      const wc = /WC error: \d+, [Mm]essage: (.+?)\s*$/.exec(t);
      e.detail = wc
        ? `WC error: ${wc[1]}`
        : /timeout|timed out|No done completion/.test(t)
          ? "command timeout"
          : /cqe/i.test(t)
            ? "error CQE"
            : /health|Fatal error/.test(t)
              ? "health compromised"
              : "command failure";
      open("rdma", e, p, { key: device });
      return;
    }
    if (mt.test(SEGFAULT, t)) {
      const e: SimpleEvent = {
        ...base("segfault", p, raw),
        kind: "segfault",
        process: mt.m[1],
        pid: Number(mt.m[2]),
      };
      if (mt.m[3] !== undefined) {
        e.fault_address = mt.m[3];
        e.ip = mt.m[4];
        e.error = mt.m[5];
        e.detail = "segfault";
      } else if (mt.m[6] !== undefined) {
        e.ip = mt.m[6];
        e.error = mt.m[7];
        e.detail = "general protection fault";
      } else if (mt.m[8] !== undefined) {
        e.ip = mt.m[9];
        e.error = mt.m[10];
        e.detail = `trap ${mt.m[8]}`;
      } else if (mt.m[11] !== undefined) {
        e.fault_address = mt.m[12];
        e.detail = `unhandled ${mt.m[11]}`;
      }
      if (mt.m[13]) e.object = mt.m[13];
      closeGroup();
      emit(e);
      return;
    }
    if (mt.test(FILE_MAX, t)) {
      closeGroup();
      emit({ ...base("file-max", p, raw), kind: "file-max", limit: Number(mt.m[1]) });
      return;
    }
  };

  for (const rawLine of lines) {
    n++;
    const line = rawLine.includes("\u001b") ? rawLine.replace(ANSI, "") : rawLine;
    if (line.trim() === "") continue;
    const p = readPrefix(line);
    if (!p.stamped) {
      if (PROMPT.test(line)) {
        problems.add(n, line, "shell prompt, not kernel log output");
        continue;
      }
      if (ELISION.test(line)) {
        problems.add(n, line, "elision, not kernel log output");
        continue;
      }
      if (JOURNAL_META.test(line.trim())) {
        if (JOURNAL_BOOT.test(line.trim())) {
          closeGroup();
          boots++;
          freshBootMarker = true;
        }
        found = true;
        continue;
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: binary garbage is what is looked for
      if (/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(line)) {
        problems.add(n, line, "not a kernel log line (control characters)");
        continue;
      }
    }
    kernelLines++;
    if (p.stamped) {
      found = true;
      stampedLines++;
    }
    if (p.t_s !== undefined) {
      monoLines++;
      if (newestT === undefined || p.t_s > newestT) newestT = p.t_s;
    }
    if (p.wallclock !== undefined) {
      wallLines++;
      if (newestWall === undefined || p.wallclock > newestWall) newestWall = p.wallclock;
    }
    if (p.foreign) continue;
    const msg = p.msg;
    if (BOOT_BANNER.test(msg.trimStart())) {
      closeGroup();
      pendingOom = undefined;
      if (!freshBootMarker) boots++;
      newestT = p.t_s;
      found = true; // the kernel's own banner, stamped or not (`dmesg -t`)
    }
    freshBootMarker = false;
    if (take(p, msg)) {
      found = true;
      continue;
    }
    if (group && !p.stamped && stampedLines > 0 && /^\s/.test(line)) {
      // an unstamped, indented line in a stamped log continues the previous record
      group.event.end_line = n;
      continue;
    }
    closeGroup();
    const before = eventsSeen;
    if (INTERESTING.test(msg)) classify(p, msg, line);
    if (group || eventsSeen !== before) found = true;
    else if (!found && KERNEL_STYLE.test(msg)) found = true;
  }
  closeGroup();

  if (!found) throw new UnrecognisedOutputError("dmesg");

  const events: DmesgEvent[] = [];
  const counts: Partial<Record<DmesgEventKind, number>> = {};
  let dropped = 0;
  for (const [kind, s] of stores) {
    counts[kind] = s.count;
    const kept = s.list();
    dropped += s.count - kept.length;
    events.push(...kept);
  }
  events.sort((a, b) => a.line - b.line);
  for (const e of events) {
    const b = e as DmesgEventBase & { boot?: number };
    if ((b.boot ?? 0) < boots) b.previous_boot = true;
    delete b.boot;
  }
  const facts: DmesgFacts = {
    lines: n,
    // the stamps of most lines; a pasted log with a stray stamped line has no time basis
    time_basis:
      stampedLines * 2 < kernelLines
        ? "none"
        : monoLines * 2 >= stampedLines
          ? "monotonic"
          : wallLines > 0
            ? "wallclock"
            : monoLines > 0
              ? "monotonic"
              : "none",
    events,
    counts,
    dropped_events: dropped,
    boots,
    oom_kills_by_process: Object.fromEntries(byProcess),
    mce_by_location: Object.fromEntries(mceByLocation),
  };
  if (newestT !== undefined) facts.newest_t_s = newestT;
  if (newestWall !== undefined) facts.newest_wallclock = newestWall;
  return { facts, problems: problems.list() };
}
