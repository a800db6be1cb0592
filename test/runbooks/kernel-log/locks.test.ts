import { describe, expect, it } from "vitest";
import { locks } from "../../../src/derive/kernel-log/locks.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { LOCK_WAIT, RWSEM_WAIT, SEM_WAIT } from "./lines.js";

describe("locks judge (kernel/hung_task.c debug_show_blocker)", () => {
  it("names the holder of the mutex a hung task waits on, from the line after its report", () => {
    const bag = judgeWith(locks, LOCK_WAIT);
    expect(found(bag)).toEqual({
      "lock.kernel_waits": 1,
      "lock.owner": "modprobe:2977",
      "lock.kind": "mutex",
      "lock.owner_waiters": 1,
    });
    expect(bag.values.get("lock.owner_hung")).toBe(false);
    expect(bag.excerpts.get("lock.owner")).toBe(
      "INFO: task kworker/u16:2:3120 is blocked on a mutex likely owned by task modprobe:2977.",
    );
  });

  it("reads the semaphore and rw-semaphore wordings, and the holder most tasks wait on", () => {
    const two = RWSEM_WAIT.replace("4802.000001", "4802.500001").replace(
      "nvidia-smi:4930",
      "dcgm:5012",
    );
    const bag = judgeWith(locks, [SEM_WAIT, RWSEM_WAIT, two]);
    expect(bag.values.get("lock.kernel_waits")).toBe(3);
    expect(bag.values.get("lock.owner")).toBe("python3:4625");
    expect(bag.values.get("lock.kind")).toBe("rw-semaphore");
    expect(bag.values.get("lock.owner_waiters")).toBe(2);
    expect(judgeWith(locks, [SEM_WAIT]).values.get("lock.kind")).toBe("semaphore");
  });

  it("sees a holder that is itself hung: a chain of waits", () => {
    const holder = [
      "[ 4800.100001] INFO: task modprobe:2977 blocked for more than 122 seconds.",
      "[ 4800.100020]       Not tainted 6.18.2-amd64 #1",
    ];
    expect(judgeWith(locks, [...LOCK_WAIT, ...holder]).values.get("lock.owner_hung")).toBe(true);
  });

  it("counts no waits on a hung task without a holder line", () => {
    const bag = judgeWith(locks, bundleDmesg("29-hung-task-jbd2-dirty-writeback-slow-storage"));
    expect(found(bag)).toEqual({});
    expect(bag.values.get("lock.kernel_waits")).toBe(0);
    expect(bag.values.has("lock.owner")).toBe(false);
  });
});
