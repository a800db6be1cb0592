import type { SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Network messages: SYN floods (net/ipv4/tcp_input.c), TCP memory and orphan limits
 * (net/ipv4/tcp.c), conntrack table full (net/netfilter/nf_conntrack_core.c).
 */
export const network: LogJudge = {
  name: "network",
  provides: [
    {
      path: "net.log.syn_flood",
      says: "{} `SYN flooding` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`Possible SYN flooding on port N` messages (current).",
    },
    { path: "net.log.syn_flood_port", type: "number", from: LOG, doc: "The port named." },
    {
      path: "net.log.syn_flood_dropping",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Of those, `Dropping request`: SYN cookies were off, so the SYNs that found the queue full were lost (`Sending cookies`: clients still got in).",
    },
    {
      path: "net.log.tcp_oom",
      says: "{} `TCP: out of memory` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`TCP: out of memory -- consider tuning tcp_mem` messages.",
    },
    {
      path: "net.log.orphans",
      says: "{} `too many orphaned sockets` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`TCP: too many orphaned sockets` messages.",
    },
    {
      path: "net.log.conntrack_full",
      says: "{} `table full` messages from conntrack",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`nf_conntrack: table full, dropping packet` messages (every wording; not `expectation table full`, which is the helpers' expectation table, nf_conntrack_expect_max).",
    },
  ],
  judge(ev, bag) {
    const syn = ev.of("syn-flood") as SimpleEvent[];
    bag.set("net.log.syn_flood", syn.length, SRC, syn[0]?.text);
    bag.set("net.log.syn_flood_port", syn[0]?.port, SRC, syn[0]?.text);
    // tcp_syn_flood_action (net/ipv4/tcp_input.c) says which it did when the SYN queue was full:
    // "Sending cookies" (tcp_syncookies on) or "Dropping request" (off: the connection is lost).
    const dropping = syn.filter((e) => e.action === "dropping");
    if (syn.length > 0)
      bag.set("net.log.syn_flood_dropping", dropping.length, SRC, dropping[0]?.text);
    const tcp = ev.of("tcp-oom") as SimpleEvent[];
    const tcpMem = tcp.filter((e) => e.reason !== "orphans");
    const orphans = tcp.filter((e) => e.reason === "orphans");
    bag.set("net.log.tcp_oom", tcpMem.length, SRC, tcpMem[0]?.text);
    bag.set("net.log.orphans", orphans.length, SRC, orphans[0]?.text);
    // nf_conntrack_expect.c's "expectation table full" is another table (the expectations of
    // helpers such as FTP or SIP, net.netfilter.nf_conntrack_expect_max): no connection is
    // refused a conntrack entry by it.
    const ct = (ev.of("conntrack-full") as SimpleEvent[]).filter((e) => e.object !== "expectation");
    bag.set("net.log.conntrack_full", ct.length, SRC, ct[0]?.text);
  },
};
