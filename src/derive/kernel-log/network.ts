import type { SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Network messages: SYN floods (net/ipv4/tcp_input.c), TCP memory and orphan limits
 * (net/ipv4/tcp.c), conntrack table full (net/netfilter/nf_conntrack_core.c), transmit queues
 * the NIC stopped draining (net/sched/sch_generic.c dev_watchdog: `NETDEV WATCHDOG`).
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
    {
      path: "net.log.tx_timeouts",
      says: "{} `NETDEV WATCHDOG` transmit timeouts",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`NETDEV WATCHDOG: … transmit queue N timed out` messages (current): a transmit queue stopped for longer than the device's watchdog_timeo (5 s unless the driver sets another), after which the kernel calls the driver's ndo_tx_timeout, which usually resets the NIC.",
    },
    {
      path: "net.log.tx_timeout_interface",
      type: "string",
      from: LOG,
      doc: "The interface of the first of those messages, when it names one.",
    },
    {
      path: "net.log.tx_timeout_driver",
      type: "string",
      from: LOG,
      doc: "Its driver (`(ixgbe)` up to 6.5; the netdev_crit prefix from 6.8).",
    },
    {
      path: "net.log.tx_timeout_queue",
      type: "number",
      from: LOG,
      doc: "Its transmit queue index (absent in the 2.6.9–2.6.24 wording).",
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
    const tx = (ev.of("nic-link") as SimpleEvent[]).filter((e) => e.state === "tx-timeout");
    bag.set("net.log.tx_timeouts", tx.length, SRC, tx[0]?.text);
    if (tx[0]) {
      bag.set("net.log.tx_timeout_interface", tx[0].interface, SRC, tx[0].text);
      bag.set("net.log.tx_timeout_driver", tx[0].driver, SRC, tx[0].text);
      bag.set("net.log.tx_timeout_queue", tx[0].queue, SRC, tx[0].text);
    }
  },
};
