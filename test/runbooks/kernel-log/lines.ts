/**
 * Kernel log lines of the families no scenario bundle holds, composed from the format strings
 * quoted in ../shared/kernel-messages.md (section and source file named on each set): the
 * family tests and the test of every judge's `provides` read them.
 */

/**
 * A kill line in the 5.4+ wording of mm/oom_kill.c (__oom_kill_process):
 * `%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB,
 * UID:%u pgtables:%lukB oom_score_adj:%hd` (../shared/kernel-messages.md §1), sizes in kB.
 */
export const killLine = (t: number, pid: number, comm: string, anonKb: number, fileKb = 0) =>
  `[${t.toFixed(6)}] Out of memory: Killed process ${pid} (${comm}) total-vm:${anonKb * 2}kB, anon-rss:${anonKb}kB, file-rss:${fileKb}kB, shmem-rss:0kB, UID:1000 pgtables:2048kB oom_score_adj:0`;

/** The 5.0+ summary line of the same report (mm/oom_kill.c dump_oom_summary, mm/memcontrol.c). */
export const summary = (
  t: number,
  pid: number,
  comm: string,
  memcg: string,
  constraint = "CONSTRAINT_NONE",
) =>
  `[${t.toFixed(6)}] oom-kill:constraint=${constraint},nodemask=(null),cpuset=/,mems_allowed=0,${constraint === "CONSTRAINT_MEMCG" ? `oom_memcg=${memcg}` : "global_oom"},task_memcg=${memcg},task=${comm},pid=${pid},uid=1000`;

/** mm/page_alloc.c warn_alloc, 4.15+ wording (§1). */
export const ALLOC_FAILURE =
  "[  812.004211] kworker/u16:3: page allocation failure: order:4, mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null),cpuset=/,mems_allowed=0";

/**
 * One line of each bug signature, in the wordings of ../shared/kernel-messages.md §3, §12, §13:
 * arch/x86/mm/fault.c (5.2+), arch/x86/kernel/traps.c (5.8+), kernel/panic.c (4.9+ WARNING),
 * kernel/watchdog.c (4.14+ soft lockup, 6.5–6.12 hard lockup), kernel/rcu/tree_stall.h (5.2+),
 * net/core/dev.c, net/sched/sch_generic.c (≤ 6.3 NETDEV WATCHDOG), kernel/panic.c panic().
 */
export const SIGNATURES: [string, string][] = [
  ["[ 1234.567890] BUG: kernel NULL pointer dereference, address: 0000000000000008", "oops"],
  [
    "[ 1300.000001] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI",
    "gpf",
  ],
  ["[ 1400.000001] kernel BUG at mm/slub.c:305!", "bug"],
  [
    "[ 1500.000001] WARNING: CPU: 2 PID: 0 at kernel/sched/core.c:1234 try_to_wake_up+0x21f/0x230",
    "warning",
  ],
  [
    "[ 1600.000001] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:1234]",
    "soft-lockup",
  ],
  ["[ 1700.000001] watchdog: Watchdog detected hard LOCKUP on cpu 5", "hard-lockup"],
  ["[ 1800.000001] rcu: INFO: rcu_sched self-detected stall on CPU", "rcu-stall"],
  [
    "[ 1900.000001] unregister_netdevice: waiting for eth0 to become free. Usage count = 2",
    "netdev-refcount",
  ],
  ["[ 2000.000001] NETDEV WATCHDOG: eth0 (e1000e): transmit queue 0 timed out", "tx-timeout"],
  ["[ 2100.000001] Kernel panic - not syncing: Fatal exception", "panic"],
];

/**
 * SYN floods in the wordings of net/ipv4/tcp_input.c tcp_syn_flood_action
 * (`%s: Possible SYN flooding on port %d. %s.  Check SNMP counters.`, 3.4–6.1; 6.3+ with the
 * address), ../shared/kernel-messages.md §4.
 */
export const SYN = [
  "[ 2100.000001] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies.  Check SNMP counters.",
  "[ 2100.500000] TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.",
  "[ 2101.000000] TCP: Possible SYN flooding on port 8080. Dropping request.  Check SNMP counters.",
];
/** net/ipv4/tcp.c (§5) and net/netfilter/nf_conntrack_core.c (§6), 3.4+ with their prefixes. */
export const TCP_OOM = "[ 3000.000001] TCP: out of memory -- consider tuning tcp_mem";
export const ORPHANS = "[ 3000.500001] TCP: too many orphaned sockets";
export const CONNTRACK = "[ 3001.000001] nf_conntrack: nf_conntrack: table full, dropping packet";

/**
 * `cgroup: fork rejected by pids controller in <cgroup path>` (kernel/cgroup/pids.c, 4.9+) and
 * `VFS: file-max limit %lu reached` (fs/file_table.c), ../shared/kernel-messages.md §7.
 */
export const PIDS_A =
  "[  812.100000] cgroup: fork rejected by pids controller in /system.slice/docker.service";
export const PIDS_B =
  "[  902.200000] cgroup: fork rejected by pids controller in /kubepods/burstable/pod1234";
export const FILE_MAX = "[  978.300000] VFS: file-max limit 65536 reached";
/** kernel/sched/rt.c sched_rt_runtime_exceeded (printed once per boot). */
export const RT_THROTTLING = "[  990.100000] sched: RT throttling activated";
/** kernel/time/hrtimer.c hrtimer_interrupt (printed once per boot). */
export const HRTIMER_SLOW = "[  991.200000] hrtimer: interrupt took 23434934 ns";

/**
 * A hung task and the holder of the mutex it waits on, in the wordings of kernel/hung_task.c
 * (3.13+ report, 6.15+ `debug_show_blocker` with CONFIG_DETECT_HUNG_TASK_BLOCKER), and the
 * semaphore and rw-semaphore forms of the holder line.
 */
export const LOCK_WAIT = [
  "[ 4800.000001] INFO: task kworker/u16:2:3120 blocked for more than 122 seconds.",
  "[ 4800.000020]       Not tainted 6.18.2-amd64 #1",
  '[ 4800.000030] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
  "[ 4800.000040] task:kworker/u16:2   state:D stack:0     pid:3120  tgid:3120  ppid:2      task_flags:0x4208060 flags:0x00004000",
  "[ 4800.000050] Call Trace:",
  "[ 4800.000060]  <TASK>",
  "[ 4800.000070]  __schedule+0x3d1/0x1130",
  "[ 4800.000080]  schedule+0x27/0xd0",
  "[ 4800.000090]  schedule_preempt_disabled+0x15/0x30",
  "[ 4800.000100]  __mutex_lock.constprop.0+0x3c6/0x8c0",
  "[ 4800.000110]  </TASK>",
  "[ 4800.000120] INFO: task kworker/u16:2:3120 is blocked on a mutex likely owned by task modprobe:2977.",
];
export const SEM_WAIT =
  "[ 4801.000001] INFO: task udevd:412 blocked on a semaphore likely last held by task fwupd:2210";
export const RWSEM_WAIT =
  "[ 4802.000001] INFO: task nvidia-smi:4930 <writer> blocked on an rw-semaphore likely owned by task python3:4625 <writer>";

/**
 * A filesystem out of space: fs/ext4/inode.c mpage_map_and_submit_extent, 3.13+ wording
 * (`Delayed block allocation failed for inode %lu at logical offset %llu with max blocks %u with
 * error %d`, ../shared/kernel-messages.md §9), errno 28 = ENOSPC.
 */
export const EXT4_ENOSPC =
  "[ 1012.400000] EXT4-fs (sda1): Delayed block allocation failed for inode 1311 at logical offset 2048 with max blocks 2048 with error 28";

/**
 * An audit record dropped with the queue to auditd full: kernel/audit.c audit_log_start
 * (`audit_backlog=%d > audit_backlog_limit=%d`), audit_log_lost (`audit_lost=%u
 * audit_rate_limit=%u audit_backlog_limit=%u`) and audit_panic (`backlog limit exceeded`), with
 * the `audit: ` pr_fmt prefix (4.9+; a literal in the printk calls before).
 */
export const AUDIT_BACKLOG = [
  "[ 1020.500001] audit: audit_backlog=8193 > audit_backlog_limit=8192",
  "[ 1020.500003] audit: audit_lost=211 audit_rate_limit=0 audit_backlog_limit=8192",
  "[ 1020.500004] audit: backlog limit exceeded",
];
/** A record dropped over the rate limit (audit_log_end: `rate limit exceeded`). */
export const AUDIT_RATE = [
  "[ 1021.600001] audit: audit_lost=212 audit_rate_limit=500 audit_backlog_limit=8192",
  "[ 1021.600002] audit: rate limit exceeded",
];
/** A backlog line whose numbers contradict it: the backlog is not above the limit. */
export const AUDIT_ODD = "[ 1022.700001] audit: audit_backlog=60 > audit_backlog_limit=64";
