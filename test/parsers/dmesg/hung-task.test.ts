import { describe, expect, it } from "vitest";
import { hungTask } from "../../../src/parsers/dmesg/hung-task.js";
import { isListed, readWith } from "./read-with.js";

describe("hung-task family (kernel/hung_task.c)", () => {
  it("is listed with its sources", () => expect(isListed(hungTask)).toBe(true));

  it("reads the task, its timeout and its stack (scenario-29, a jbd2 thread)", () => {
    const events = readWith(hungTask, [
      "Sep  7 16:36:18 server kernel: [5359680.372082] INFO: task jbd2/xvda2-8:103 blocked for more than 120 seconds.",
      'Sep  7 16:36:18 server kernel: [5359680.372090] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
      "Sep  7 16:36:18 server kernel: [5359680.372101] Call Trace:",
      "Sep  7 16:36:18 server kernel: [5359680.372110]  io_schedule+0x16/0x40",
      "Sep  7 16:36:18 server kernel: [5359680.372115]  jbd2_journal_commit_transaction+0x2a0/0x1800",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "hung-task",
      task: "jbd2/xvda2-8",
      pid: 103,
      blocked_s: 120,
      trace: ["io_schedule", "jbd2_journal_commit_transaction"],
      end_line: 5,
    });
  });

  it("reads a dmesg -T stamp", () => {
    const [e] = readWith(hungTask, [
      "[Wed Dec 19 03:36:07 2018] INFO: task logrotate:17344 blocked for more than 120 seconds.",
    ]);
    expect(e).toMatchObject({ task: "logrotate", pid: 17344, wallclock: "2018-12-19T03:36:07" });
  });
});
