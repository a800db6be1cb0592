/**
 * Network family: conntrack table full, SYN floods, TCP memory pressure, NIC link changes
 * (drivers, PHY, bonding), transmit-queue timeouts (with the watchdog's call trace) and NFS
 * servers not responding. Sources: net/netfilter/nf_conntrack_core.c, net/ipv4/tcp_input.c,
 * net/ipv4/tcp.c, net/sched/sch_generic.c, drivers/net/phy/phy.c, drivers/net/bonding,
 * drivers/net/ethernet (e1000e, igb, ixgbe, bnxt, tg3, mlx5), net/sunrpc/clnt.c.
 */
import type { SimpleEvent, TraceEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader } from "./reader.js";
import { Match } from "./text.js";
import { traceReport } from "./trace.js";

/** net/netfilter/nf_conntrack_core.c: `nf_conntrack: table full, dropping packet` (≤ 2.6: `ip_conntrack: table full, dropping packet.`). */
/**
 * `ip_conntrack: table full, dropping packet.` (net/ipv4/netfilter/ip_conntrack_core.c ≤2.6.18),
 * `nf_conntrack: table full, dropping packet[.]` (net/netfilter/nf_conntrack_core.c; the pr_fmt
 * of 4.9+ doubles the prefix), `… table full in netns %u, dropping packet` (6.18+) and
 * `nf_conntrack: expectation table full` (net/netfilter/nf_conntrack_expect.c, group 1).
 */
const CONNTRACK_FULL =
  /(?:nf_conntrack|ip_conntrack): (?:nf_conntrack: )?(?:table full(?: in netns \d+)?, dropping packet|(expectation) table full)/;
/**
 * `drop open request from %pI4/%u` (net/ipv4/tcp_ipv4.c, then tcp_input.c; `TCP: ` pr_fmt): a
 * request dropped because the SYN queue was full, printed only with net debugging or dynamic debug.
 */
const DROP_OPEN_REQUEST = /drop open request from ([\d.]+|[\da-f:]+)\/\d+/;
/** net/ipv4/tcp_input.c tcp_syn_flood_action: `%s: Possible SYN flooding on port %pISpc. %s.  Check SNMP counters.` (≤ 5.x: `port %d`), action "Sending cookies" / "Dropping request". */
const SYN_FLOOD =
  /[Pp]ossible SYN flooding on port (?:(.+):)?(\d+)\. (Sending cookies|Dropping request)/;
/** net/ipv4/tcp.c tcp_out_of_memory / tcp_check_oom: `out of memory -- consider tuning tcp_mem`, `too many orphaned sockets` (≤ 3.x `too many of orphaned sockets`; ≤ 2.6 tcp_timer.c `Out of socket memory`). */
const TCP_OOM =
  /^(?:TCP: )?(out of memory -- consider tuning tcp_mem|too many (?:of )?orphaned sockets|Out of socket memory)/;
/** net/sunrpc/clnt.c call_timeout / call_decode: `%s: server %s not responding, still trying` / `, timed out`; `%s: server %s OK`. */
const NFS =
  /^(nfs|lockd|nfs4|rpc): server (\S+) (not responding, still trying|not responding, timed out|OK)\b/;
/** Link state: drivers/net/phy/phy.c phy_print_status `Link is Up - %s/%s` / `Link is Down`; e1000e/igb/ixgbe/bnxt `NIC Link is Down|Up`; tg3 `Link is down.`; net/core/link_watch / addrconf `link becomes ready`; bonding `link status definitely down for interface %s`. */
const NIC_LINK =
  /(?:^|\s)([\w.@:-]+?)(?::| -)? (?:NIC )?(?:Copper |Fiber |Fibre )?Link is (Down|Up|down|up)\b/;
/** drivers/net/ethernet/mellanox/mlx5/core/en_main.c, virtio and others: `netdev_info(dev, "Link up")` / `"Link down"`. */
const NIC_LINK_SHORT = /(?:^|\s)([\w.@-]+): Link (up|down)\s*$/;
const NIC_BOND = /^(\S+): link status definitely (down|up) for interface (\S+?),/;
/** net/sched/sch_generic.c dev_watchdog: `NETDEV WATCHDOG: %s (%s): transmit queue %u timed out[ %u ms]`. */
/**
 * `NETDEV WATCHDOG: %s (%s): transmit queue %u timed out[ %u ms]` (net/sched/sch_generic.c
 * 2.6.32–6.5), 2.6.9–2.6.24's `NETDEV WATCHDOG: %s: transmit timed out`, and 6.8+'s netdev_crit
 * `<driver> <bus-id> <ifname>: NETDEV WATCHDOG: CPU: %d: transmit queue %u timed out %u ms`.
 */
const NETDEV_WATCHDOG =
  /NETDEV WATCHDOG: (?:(\S+?):? (?:\(([^)]*)\): )?transmit (?:queue (\d+) )?timed out|CPU: \d+: transmit queue (\d+) timed out)/;
/** The device prefix of a netdev_* line: `<driver> <bus-id> <ifname>: ` (include/linux/netdevice.h). */
const NETDEV_PREFIX = /^(\S+) (\S+) ([\w.@-]+): NETDEV WATCHDOG/;
/** The WARN_ONCE in net/sched/sch_generic.c that carries the NETDEV WATCHDOG message. */
const WATCHDOG_WARNING = /^WARNING: (?:CPU: \d+ PID: \d+ at )?net\/sched\/sch_generic\.c/;

/** The one-line network events. */
function singleLine(r: KernelLogReader, p: Prefixed, t: string, raw: string): SimpleEvent | null {
  const mt = new Match();
  if (mt.test(CONNTRACK_FULL, t)) {
    const e: SimpleEvent = { ...r.base("conntrack-full", p, raw), kind: "conntrack-full" };
    if (mt.m[1]) e.object = mt.m[1];
    return e;
  }
  if (mt.test(DROP_OPEN_REQUEST, t)) {
    return {
      ...r.base("syn-flood", p, raw),
      kind: "syn-flood",
      address: mt.m[1],
      action: "dropping",
    };
  }
  if (mt.test(SYN_FLOOD, t)) {
    const e: SimpleEvent = {
      ...r.base("syn-flood", p, raw),
      kind: "syn-flood",
      port: Number(mt.m[2]),
      action: mt.m[3] === "Sending cookies" ? "cookies" : "dropping",
    };
    if (mt.m[1]) e.address = mt.m[1];
    return e;
  }
  if (mt.test(TCP_OOM, t)) {
    return {
      ...r.base("tcp-oom", p, raw),
      kind: "tcp-oom",
      reason: /orphan/.test(mt.m[1]) ? "orphans" : "tcp_mem",
    };
  }
  return null;
}

/** Link changes and NFS servers (tried after the transmit-queue watchdog). */
function linkOrNfs(r: KernelLogReader, p: Prefixed, t: string, raw: string): SimpleEvent | null {
  const mt = new Match();
  if (mt.test(NIC_BOND, t)) {
    return {
      ...r.base("nic-link", p, raw),
      kind: "nic-link",
      interface: mt.m[3],
      state: mt.m[2] === "down" ? "down" : "up",
      driver: mt.m[1],
    };
  }
  if (mt.test(NIC_LINK, t) || mt.test(NIC_LINK_SHORT, t)) {
    return {
      ...r.base("nic-link", p, raw),
      kind: "nic-link",
      interface: mt.m[1],
      state: mt.m[2].toLowerCase() === "down" ? "down" : "up",
    };
  }
  if (mt.test(NFS, t)) {
    return {
      ...r.base("nfs-not-responding", p, raw),
      kind: "nfs-not-responding",
      server: mt.m[2],
      status: mt.m[3].replace(/, still trying$/, ""),
    };
  }
  return null;
}

export const network: Family = {
  name: "network",
  sources: [
    "net/netfilter/nf_conntrack_core.c",
    "net/netfilter/nf_conntrack_expect.c",
    "net/ipv4/netfilter/ip_conntrack_core.c",
    "net/ipv4/tcp_ipv4.c",
    "net/ipv4/tcp_input.c",
    "net/ipv4/tcp.c",
    "net/sched/sch_generic.c",
    "drivers/net/phy/phy.c",
    "drivers/net/bonding/bond_main.c",
    "drivers/net/ethernet",
    "net/sunrpc/clnt.c",
  ],
  classify(r, p, t, raw) {
    const one = singleLine(r, p, t, raw);
    if (one) {
      return r.single(one);
    }
    const w = NETDEV_WATCHDOG.exec(t);
    if (w) {
      const dev = NETDEV_PREFIX.exec(t);
      const e: SimpleEvent = {
        ...r.base("nic-link", p, raw),
        kind: "nic-link",
        state: "tx-timeout",
      };
      const iface = w[1] ?? dev?.[3];
      const driver = w[2] ?? dev?.[1];
      const queue = w[3] ?? w[4];
      if (iface) e.interface = iface;
      if (driver) e.driver = driver;
      if (queue) e.queue = Number(queue);
      const report = { ...e, trace: [] } as unknown as TraceEvent;
      r.open(
        traceReport(report, (msg) => WATCHDOG_WARNING.test(msg)),
        p,
      );
      return true;
    }
    const link = linkOrNfs(r, p, t, raw);
    if (!link) return false;
    return r.single(link);
  },
};
