import type { DmesgEvent, HungTaskEvent, SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Hung tasks (kernel/hung_task.c `INFO: task %s:%d blocked for more than %ld seconds.`): the
 * first task, its stack without the scheduler's own frames, and whether the blocked tasks wait
 * in local writeback (the journal, dirty-page throttling) or in a network filesystem.
 */

/** Frames of writeback and journal waits (mm/page-writeback.c, fs/fs-writeback.c, fs/jbd2, fs/xfs/xfs_log.c, fs/btrfs/transaction.c). */
const WRITEBACK =
  /^(balance_dirty_pages\w*|wb_wait_for_completion|writeback_sb_inodes|__writeback\w*|wb_writeback|jbd2\w*|__jbd2\w*|start_this_handle|wait_on_page_writeback|folio_wait_writeback|wait_transaction_locked|log_wait_commit|xlog_\w*|xfs_log_force\w*|btrfs_commit_transaction|sync_inodes_sb)$/;
/**
 * Frames of a wait for a free request on the device's queue: every driver tag in flight
 * (block/blk-mq-tag.c blk_mq_get_tag sleeps in io_schedule() until a request completes; its
 * number is the queue's nr_requests), the legacy queue's request pool (block/blk-core.c
 * get_request / get_request_wait, ≤ 4.x), and writeback throttling while the device's latency
 * is above its target (block/blk-wbt.c wbt_wait, __wbt_wait; block/blk-rq-qos.c rq_qos_wait).
 */
const BLOCK_QUEUE =
  /^(blk_mq_get_tag|get_request|get_request_wait|wbt_wait|__wbt_wait|rq_qos_wait)$/;
/** Function prefixes of network filesystems (fs/nfs, net/sunrpc, fs/smb, fs/ceph, fs/fuse, fs/afs, fs/9p). */
const NETWORK_FS = /^(nfs|nfs4|rpc|__rpc|xprt|cifs|smb2?|ceph|fuse|afs|9p|p9)_/i;
/** The scheduler's own frames, left out of `hung.stack` (kernel/sched/core.c, kernel/kthread.c). */
const SCHED_FRAMES =
  /^(__schedule|schedule|schedule_timeout|io_schedule\w*|__switch_to\w*|ret_from_fork\w*|kthread)$/;

export const hungTask: LogJudge = {
  name: "hung-task",
  provides: [
    {
      path: "hung.tasks",
      says: "{} hung task reports",
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
      says: "{} tasks blocked in writeback",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Blocked tasks that are the journal (jbd2) or whose stack waits in local writeback (balance_dirty_pages, wb_wait_for_completion, jbd2_*, wait_on_page_writeback, ...).",
    },
    {
      path: "hung.in_block_queue",
      says: "{} tasks blocked waiting for a free request on a device queue",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Blocked tasks whose stack waits for a free request on a block device's queue: a driver tag (blk_mq_get_tag), the legacy request pool (get_request), or writeback throttling (wbt_wait, rq_qos_wait).",
    },
    {
      path: "hung.on_network_fs",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Blocked tasks whose stack is in NFS, SunRPC, CIFS, Ceph or FUSE code.",
    },
    {
      path: "hung.nfs_after_server_ok",
      says: "{} hung tasks on a network filesystem that began waiting after `nfs: server ... OK`",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Blocked tasks in network-filesystem code whose wait began (report stamp minus the seconds blocked) after the last `nfs: server ... OK` before the report, with no `not responding` in between: the server answered (net/sunrpc/clnt.c prints OK when a call completes after a major timeout), so it does not explain the wait.",
    },
    {
      path: "hung.stack",
      type: "string",
      from: LOG,
      doc: "Functions of the first blocked task's stack, innermost first.",
    },
  ],
  judge(ev, bag) {
    const hung = ev.of("hung-task") as HungTaskEvent[];
    bag.set("hung.tasks", hung.length, SRC, hung[0]?.text);
    if (hung.length > 0) {
      const h = hung[0];
      bag.set("hung.task", h.task, SRC, h.text);
      bag.set("hung.blocked_s", h.blocked_s, SRC, h.text);
      const stack = [...(h.trace ?? [])].filter((f) => !SCHED_FRAMES.test(f));
      if (stack.length > 0) bag.set("hung.stack", stack.slice(0, 8).join(" < "), SRC, h.text);
    }
    const frames = (h: HungTaskEvent) => [...(h.trace ?? []), ...(h.trace_unreliable ?? [])];
    const net = hung.filter((h) => frames(h).some((f) => NETWORK_FS.test(f)));
    const wb = hung.filter(
      (h) =>
        !net.includes(h) && (/^jbd2\//.test(h.task) || frames(h).some((f) => WRITEBACK.test(f))),
    );
    bag.set("hung.in_writeback", wb.length, SRC, wb[0]?.text);
    const queued = hung.filter((h) => frames(h).some((f) => BLOCK_QUEUE.test(f)));
    bag.set("hung.in_block_queue", queued.length, SRC, queued[0]?.text);
    bag.set("hung.on_network_fs", net.length, SRC, net[0]?.text);
    const afterOk = net.filter((h) => blockedAfterServerOk(h, ev.of("nfs-not-responding")));
    if (afterOk.length > 0 || net.length > 0) {
      bag.set("hung.nfs_after_server_ok", afterOk.length, SRC, afterOk[0]?.text);
    }
  },
};

/**
 * True when the NFS message just before the hung-task report says `server ... OK` and the task
 * began to wait after it: before 5.2 the printed seconds are hung_task_timeout_secs and the task
 * has waited at least that long, from 5.2 they are the time since it last ran (kernel/hung_task.c
 * check_hung_task); either way the wait began no later than the stamp minus the seconds.
 */
function blockedAfterServerOk(h: HungTaskEvent, nfs: readonly DmesgEvent[]): boolean {
  const before = (nfs as SimpleEvent[]).filter((e) => e.line < h.line);
  const last = before[before.length - 1];
  if (last?.status !== "OK" || last.t_s === undefined || h.t_s === undefined) return false;
  return h.t_s - h.blocked_s > last.t_s;
}
