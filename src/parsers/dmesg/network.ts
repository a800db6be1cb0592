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
const CONNTRACK_FULL =
  /(?:nf_conntrack|ip_conntrack): (?:nf_conntrack: )?table full, dropping packet/;
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
  /(?:^|\s)([\w.@-]+):? (?:NIC )?(?:Copper |Fiber |Fibre )?Link is (Down|Up|down|up)\b/;
/** drivers/net/ethernet/mellanox/mlx5/core/en_main.c, virtio and others: `netdev_info(dev, "Link up")` / `"Link down"`. */
const NIC_LINK_SHORT = /(?:^|\s)([\w.@-]+): Link (up|down)\s*$/;
const NIC_BOND = /^(\S+): link status definitely (down|up) for interface (\S+?),/;
/** net/sched/sch_generic.c dev_watchdog: `NETDEV WATCHDOG: %s (%s): transmit queue %u timed out[ %u ms]`. */
const NETDEV_WATCHDOG = /NETDEV WATCHDOG: (\S+) \(([^)]*)\): transmit queue (\d+) timed out/;
/** The WARN_ONCE in net/sched/sch_generic.c that carries the NETDEV WATCHDOG message. */
const WATCHDOG_WARNING = /^WARNING: (?:CPU: \d+ PID: \d+ at )?net\/sched\/sch_generic\.c/;

/** The one-line network events. */
function singleLine(r: KernelLogReader, p: Prefixed, t: string, raw: string): SimpleEvent | null {
  const mt = new Match();
  if (CONNTRACK_FULL.test(t))
    return { ...r.base("conntrack-full", p, raw), kind: "conntrack-full" };
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
      const e: SimpleEvent = {
        ...r.base("nic-link", p, raw),
        kind: "nic-link",
        interface: w[1],
        driver: w[2],
        state: "tx-timeout",
        queue: Number(w[3]),
      };
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
