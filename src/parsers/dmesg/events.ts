/** The kernel events the kernel-log reader classifies: their kinds and fields (see ../dmesg.ts). */

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
 * `file-max` fs/file_table.c · `rt-throttling` kernel/sched/rt.c · `hrtimer-slow`
 * kernel/time/hrtimer.c · `audit-lost` kernel/audit.c.
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
  | "file-max"
  | "rt-throttling"
  | "hrtimer-slow"
  | "audit-lost";

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
  /** rss and swapents added over every row of the task table (pages), not only the 20 kept. */
  tasks_rss_pages?: number;
  tasks_swapents_pages?: number;
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
  /** That line as logged (without its timestamp). */
  blocker_line?: string;
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
  /**
   * The filesystem ran out of space (errno 28, ENOSPC): ext4's delayed allocation found no free
   * block at writeback (fs/ext4/inode.c), or btrfs reported `errno=-28 No space left`.
   */
  enospc?: true;
}

export interface MceEvent extends DmesgEventBase {
  kind: "mce";
  /** True for corrected errors (CE), false for uncorrected (UE, fatal, PCC); absent when not shown. */
  corrected?: boolean;
  /** The machine check panicked the kernel (`Kernel panic - not syncing: Fatal machine check`, mce/core.c mce_panic). */
  panic?: true;
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
    | "file-max"
    | "rt-throttling"
    | "hrtimer-slow";
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
  /** rt-throttling: the CPU, when the message names it (vendor kernels). */
  cpu?: number;
  /** hrtimer-slow: nanoseconds the timer interrupt took (`hrtimer: interrupt took N ns`). */
  took_ns?: number;
  /** nic-link tx-timeout: the call trace of the watchdog warning. */
  trace?: string[];
}

/**
 * Why kernel/audit.c audit_log_lost dropped an audit record (its reason line):
 * `backlog` the queue to auditd was above audit_backlog_limit (`backlog limit exceeded`);
 * `retry-queue` auditd's socket would not take more (`kauditd retry queue overflow`, 6.x);
 * `rate-limit` more records a second than audit_rate_limit (`rate limit exceeded`);
 * `printk-limit`, `hold-queue`, `auditd-gone` no auditd took the records (`printk limit
 * exceeded` ≤ 4.9, `kauditd hold queue overflow` 4.12+, `auditd disappeared`, `audit_pid=N
 * reset`); `out-of-memory` a buffer could not be allocated.
 */
export type AuditLostReason =
  | "backlog"
  | "retry-queue"
  | "rate-limit"
  | "printk-limit"
  | "hold-queue"
  | "auditd-gone"
  | "out-of-memory";

/** One lost audit record as reported: up to three lines (see ./audit.ts). */
export interface AuditLostEvent extends DmesgEventBase {
  kind: "audit-lost";
  /** The reason line, or `backlog` from the backlog line; absent when only the count was printed. */
  reason?: AuditLostReason;
  /** `audit_backlog=`: records queued for auditd when this one was dropped. */
  backlog?: number;
  /** `audit_backlog_limit=` (`auditctl -b`; 0 = no limit; the kernel's default is 64). */
  backlog_limit?: number;
  /** `audit_lost=`: records lost since boot, this one included (the kernel's running count). */
  lost?: number;
  /** `audit_rate_limit=` (`auditctl -r`, records a second; 0 = no limit). */
  rate_limit?: number;
  /** The kernel panicked instead (`auditctl -f 2`: `Kernel panic - not syncing: audit: …`). */
  panic?: true;
  /** The printed numbers contradict the claim (a backlog not above its limit, …): why. */
  contradiction?: string;
}

export type DmesgEvent =
  | OomKillEvent
  | HungTaskEvent
  | TraceEvent
  | DiskEvent
  | FsErrorEvent
  | MceEvent
  | ClocksourceEvent
  | SimpleEvent
  | AuditLostEvent;
