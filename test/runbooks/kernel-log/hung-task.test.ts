import { describe, expect, it } from "vitest";
import { hungTask } from "../../../src/derive/kernel-log/hung-task.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";

/** The report of scenario 05 (kernel 4.14, an NFS client): `INFO: task %s:%d blocked for more than %ld seconds.` (kernel/hung_task.c). */
const NFS_LOG = bundleDmesg("05-hung-task-nfs-nic-offload-bug");
const REPORT = "[ 3438.580109] INFO: task objcopy:24916 blocked for more than 120 seconds.";

describe("hung-task judge (kernel/hung_task.c)", () => {
  it("names the task, the seconds it was blocked and its stack without the scheduler (scenario 05)", () => {
    const bag = judgeWith(hungTask, NFS_LOG);
    expect(found(bag)).toEqual({
      "hung.tasks": 1,
      "hung.task": "objcopy",
      "hung.blocked_s": 120,
      "hung.stack":
        "wait_on_page_bit < __filemap_fdatawait_range < filemap_write_and_wait_range < nfs_file_fsync",
      "hung.on_network_fs": 1,
      "hung.nfs_after_server_ok": 1,
    });
    expect(bag.values.get("hung.in_writeback")).toBe(0);
    for (const path of ["hung.tasks", "hung.task", "hung.blocked_s", "hung.stack"]) {
      expect(bag.excerpts.get(path)).toBe(REPORT);
      expect(bag.sources.get(path)).toBe("dmesg");
    }
  });

  it("reads the blocked seconds to date the wait against the server's OK", () => {
    // 3438.58 − 120 s = 3318.58: the wait began after `server host-b OK` (3224.63), which
    // then does not explain it. Blocked 245 s (5.2+ counts since the task last ran), the wait
    // began at 3193.58, before the server stopped answering: the outage explains it.
    const longer = NFS_LOG.replace("more than 120 seconds", "more than 245 seconds");
    const bag = judgeWith(hungTask, longer);
    expect(bag.values.get("hung.blocked_s")).toBe(245);
    expect(bag.values.get("hung.on_network_fs")).toBe(1);
    expect(bag.values.get("hung.nfs_after_server_ok")).toBe(0);
  });

  it("puts the journal thread in writeback, not on a network filesystem (scenario 29)", () => {
    const bag = judgeWith(hungTask, bundleDmesg("29-hung-task-jbd2-dirty-writeback-slow-storage"));
    expect(found(bag)).toMatchObject({
      "hung.tasks": 1,
      "hung.task": "jbd2/xvda2-8",
      "hung.blocked_s": 120,
      "hung.in_writeback": 1,
    });
    expect(bag.values.get("hung.on_network_fs")).toBe(0);
    // Said only when some blocked task is in network-filesystem code.
    expect(bag.values.has("hung.nfs_after_server_ok")).toBe(false);
    expect(bag.excerpts.get("hung.in_writeback")).toBe(
      "Sep  7 16:36:18 server kernel: [5359680.372082] INFO: task jbd2/xvda2-8:103 blocked for more than 120 seconds.",
    );
  });

  it("sets nothing of its own for a report older than the look-back, nor for the NFS lines alone", () => {
    const old = judgeWith(hungTask, NFS_LOG, { uptimeS: 3438.58 + 3700 });
    expect(found(old)).toEqual({});
    expect(old.values.has("hung.task")).toBe(false);
    const nfsOnly = NFS_LOG.split("\n").filter((l) => l.includes("nfs: server"));
    expect(nfsOnly).toHaveLength(4);
    const bag = judgeWith(hungTask, nfsOnly);
    expect(found(bag)).toEqual({});
    expect(bag.excerpts.size).toBe(0);
  });
});
