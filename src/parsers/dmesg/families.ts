/**
 * The kernel-message families, in the order their classifiers are tried: the first that takes a
 * line wins, so a family whose patterns are more specific comes before one that would also match
 * (a `Kernel panic - not syncing: Fatal machine check` is a machine check before it is a panic,
 * a `Kernel panic - not syncing: audit: backlog limit exceeded` a lost audit record).
 * Each family's module names the kernel sources its patterns are written from.
 */
import { audit } from "./audit.js";
import { block } from "./block.js";
import { bug } from "./bug.js";
import { cgroup } from "./cgroup.js";
import { clock } from "./clock.js";
import { filesystem } from "./fs.js";
import { gpu } from "./gpu.js";
import { hungTask } from "./hung-task.js";
import { lockup } from "./lockup.js";
import { mce } from "./mce.js";
import { network } from "./network.js";
import { oom } from "./oom.js";
import type { Prefixed } from "./prefix.js";
import { processFaults } from "./process.js";
import { rdma } from "./rdma.js";
import type { Family, KernelLogReader } from "./reader.js";
import { sched } from "./sched.js";

export const FAMILIES: readonly Family[] = [
  oom,
  hungTask,
  lockup,
  mce,
  audit,
  bug,
  block,
  filesystem,
  clock,
  network,
  cgroup,
  gpu,
  rdma,
  processFaults,
  sched,
];

/**
 * A cheap first test: a line that contains none of these words cannot match any event pattern
 * of the families, so the long list of patterns is tried only on the few lines that may be events.
 */
const INTERESTING =
  /oom|Killed process|Kill process|\bpid\s*\]|Tasks state|^\s*\[\s*\d+\]\s+\d|Out of memory|deadlocked on memory|allocation failure|vmalloc|blocked for more than|lockup|LOCKUP|stall|kthread|[Mm]achine [Cc]heck|EDAC|Hardware [Ee]rror|Memory failure|MCE|BUG|Unable to handle|Oops|protection fault|Internal error|WARNING|[Pp]anic|^\s*(?:sd|sr|st|scsi) \d|error, dev |Buffer I\/O|nvme|^\s*ata\d|SCSI error|EXT\d|JBD2|Aborting journal|XFS|BTRFS|read-only|[Cc]locksource|TSC|table full|SYN flooding|tcp_mem|orphaned|NETDEV|Link is|Link up|Link down|link status|server|fork rejected|NVRM|mlx|infiniband|rdma|segfault|trap |unhandled|file-max|unregister_netdevice|timeout|WC error|socket memory|blocked on|open request|expectation table|Task in |oom_reaper|Uncorrected hardware|recovery|[Dd]elayed block|should not happen|Filesystem "|xfs_force_shutdown|lost page write|Device not ready|Failed status|read-back delay|NETDEV|RT throttling|hrtimer: interrupt took|^\s*audit: (?:audit_backlog=|audit_lost=|\w+ limit exceeded|kauditd \w+ queue overflow|auditd dis|audit_pid=\d+ reset|out of memory in audit_)/;

/** Classifies a line no open report took: the first family whose classifier takes it. */
export function classify(r: KernelLogReader, p: Prefixed, msg: string, raw: string): void {
  if (!INTERESTING.test(msg)) return;
  const t = msg.trimStart();
  for (const f of FAMILIES) if (f.classify(r, p, t, raw)) return;
}
