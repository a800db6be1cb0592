import type { DmesgEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Known kernel bug signatures: oopses, BUG, WARNING, general protection faults, soft and hard
 * lockups, RCU stalls, the unregister_netdevice reference leak, NETDEV WATCHDOG transmit
 * timeouts and panics (kernel/panic.c, kernel/watchdog.c, kernel/rcu/tree_stall.h,
 * arch/x86/mm/fault.c, net/core/dev.c, net/sched/sch_generic.c).
 */

/** Bug signature of a trace-type event. */
function signatureOf(ev: DmesgEvent): string | undefined {
  switch (ev.kind) {
    case "soft-lockup":
    case "hard-lockup":
    case "rcu-stall":
      return ev.kind;
    case "kernel-bug": {
      if (ev.panic) return "panic";
      const bug = `${ev.bug ?? ""} ${ev.text}`;
      if (/general protection/i.test(bug)) return "gpf";
      if (/NULL pointer|unable to handle|Oops/i.test(bug)) return "oops";
      if (/unregister_netdevice/i.test(bug)) return "netdev-refcount";
      if (/WARNING/.test(bug)) return "warning";
      if (/panic/i.test(bug)) return "panic";
      return "bug";
    }
    case "nic-link":
      return ev.state === "tx-timeout" ? "tx-timeout" : undefined;
    default:
      return undefined;
  }
}

export const bug: LogJudge = {
  name: "bug",
  provides: [
    {
      path: "kernel.bug_events",
      says: "{} kernel bug signatures (oops, BUG, lockup)",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Known bug signatures: oops, BUG, WARNING, general protection fault, soft/hard lockup, RCU stall, unregister_netdevice leak, NETDEV WATCHDOG (current).",
    },
    {
      path: "kernel.bug_signatures",
      type: "string[]",
      from: LOG,
      doc: "Which signatures: oops, bug, warning, gpf, soft-lockup, hard-lockup, rcu-stall, netdev-refcount, tx-timeout, panic.",
    },
    { path: "kernel.bug_line", type: "string", from: LOG, doc: "The first bug-signature line." },
  ],
  judge(ev, bag) {
    const sigs = ev.events
      .map((e) => ({ e, sig: signatureOf(e) }))
      .filter((x) => x.sig !== undefined);
    bag.set("kernel.bug_events", sigs.length, SRC, sigs[0]?.e.text);
    bag.set(
      "kernel.bug_signatures",
      [...new Set(sigs.map((x) => x.sig as string))],
      SRC,
      sigs[0]?.e.text,
    );
    if (sigs[0]) bag.set("kernel.bug_line", sigs[0].e.text, SRC, sigs[0].e.text);
  },
};
