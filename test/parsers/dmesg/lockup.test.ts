import { describe, expect, it } from "vitest";
import { lockup } from "../../../src/parsers/dmesg/lockup.js";
import { isListed, readWith } from "./read-with.js";

describe("lockup family (kernel/watchdog.c, kernel/rcu/tree_stall.h)", () => {
  it("is listed with its sources", () => expect(isListed(lockup)).toBe(true));

  it("reads a soft lockup with its task", () => {
    const [e] = readWith(lockup, [
      "[ 5216.345110] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:1234]",
    ]);
    expect(e).toMatchObject({
      kind: "soft-lockup",
      cpu: 3,
      stuck_s: 23,
      task: "kworker/3:1",
      pid: 1234,
    });
  });

  it("reads an RCU stall and the starved kthread line of the same report", () => {
    const events = readWith(lockup, [
      "[ 6101.214512] rcu: INFO: rcu_sched self-detected stall on CPU",
      "[ 6101.214530] rcu: rcu_sched kthread starved for 10502 jiffies! g52521 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "rcu-stall",
      flavour: "rcu_sched",
      starved_jiffies: 10502,
    });
  });
});
