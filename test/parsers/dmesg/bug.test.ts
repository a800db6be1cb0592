import { describe, expect, it } from "vitest";
import { bug } from "../../../src/parsers/dmesg/bug.js";
import { isListed, readWith } from "./read-with.js";

describe("BUG/oops/WARNING family (arch/x86/mm/fault.c, kernel/panic.c, lib/bug.c)", () => {
  it("is listed with its sources", () => expect(isListed(bug)).toBe(true));

  it("reads a NULL dereference oops with its task and instruction pointer", () => {
    const events = readWith(bug, [
      "[ 1234.567890] BUG: kernel NULL pointer dereference, address: 0000000000000008",
      "[ 1234.567900] #PF: supervisor read access in kernel mode",
      "[ 1234.567950] CPU: 1 PID: 4242 Comm: kworker/1:2 Tainted: G           OE     5.15.0-91-generic #101-Ubuntu",
      "[ 1234.567960] RIP: 0010:__list_del_entry_valid+0x4c/0x250",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "kernel-bug",
      bug: "kernel NULL pointer dereference",
      cpu: 1,
      pid: 4242,
      task: "kworker/1:2",
      function: "__list_del_entry_valid",
      end_line: 4,
    });
  });

  it("reads a WARNING's location and function", () => {
    const [e] = readWith(bug, [
      "[ 8823.108201] WARNING: CPU: 2 PID: 0 at net/sched/sch_generic.c:525 dev_watchdog+0x21f/0x230",
    ]);
    expect(e).toMatchObject({
      bug: "WARNING",
      cpu: 2,
      location: "net/sched/sch_generic.c:525",
      function: "dev_watchdog",
    });
  });
});
