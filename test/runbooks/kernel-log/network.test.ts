import { describe, expect, it } from "vitest";
import { network } from "../../../src/derive/kernel-log/network.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { CONNTRACK, ORPHANS, SYN, TCP_OOM } from "./lines.js";

describe("network judge (net/ipv4/tcp_input.c, net/ipv4/tcp.c, nf_conntrack_core.c)", () => {
  it("counts SYN floods, the port of the first, and those whose SYNs were dropped", () => {
    const bag = judgeWith(network, SYN);
    expect(found(bag)).toEqual({
      "net.log.syn_flood": 3,
      "net.log.syn_flood_port": 443,
      "net.log.syn_flood_dropping": 2,
    });
    expect(bag.excerpts.get("net.log.syn_flood")).toBe(SYN[0]);
    expect(bag.excerpts.get("net.log.syn_flood_port")).toBe(SYN[0]);
    expect(bag.excerpts.get("net.log.syn_flood_dropping")).toBe(SYN[1]);
    expect(bag.sources.get("net.log.syn_flood")).toBe("dmesg");
  });

  it("counts TCP memory, orphan and conntrack messages apart", () => {
    const bag = judgeWith(network, [
      TCP_OOM,
      ORPHANS,
      CONNTRACK,
      CONNTRACK.replace("3001", "3002"),
    ]);
    expect(found(bag)).toEqual({
      "net.log.tcp_oom": 1,
      "net.log.orphans": 1,
      "net.log.conntrack_full": 2,
    });
    expect(bag.excerpts.get("net.log.tcp_oom")).toBe(TCP_OOM);
    expect(bag.excerpts.get("net.log.orphans")).toBe(ORPHANS);
    expect(bag.excerpts.get("net.log.conntrack_full")).toBe(CONNTRACK);
    // No SYN flood: whether SYNs were dropped is not said.
    expect(bag.values.has("net.log.syn_flood_dropping")).toBe(false);
  });

  it("counts NETDEV WATCHDOG transmit timeouts with the first one's interface, driver and queue", () => {
    // net/sched/sch_generic.c dev_watchdog: 2.6.32–6.3 wording, then the 6.8+ netdev_crit one.
    const first = "[ 3000.000001] NETDEV WATCHDOG: eth1 (e1000e): transmit queue 0 timed out";
    const bag = judgeWith(network, [
      first,
      "[ 3005.000001] e1000e 0000:00:19.0 eth1: NETDEV WATCHDOG: CPU: 1: transmit queue 0 timed out 5124 ms",
    ]);
    expect(found(bag)).toEqual({
      "net.log.tx_timeouts": 2,
      "net.log.tx_timeout_interface": "eth1",
      "net.log.tx_timeout_driver": "e1000e",
    });
    expect(bag.values.get("net.log.tx_timeout_queue")).toBe(0);
    expect(bag.excerpts.get("net.log.tx_timeouts")).toBe(first);
    // A link going down is not a transmit timeout.
    const link = judgeWith(network, ["[ 3000.000001] e1000e 0000:00:19.0 eth1: NIC Link is Down"]);
    expect(link.values.get("net.log.tx_timeouts")).toBe(0);
  });

  it("sets nothing of its own for NFS messages, nor for floods older than the look-back", () => {
    const nfs = judgeWith(network, bundleDmesg("05-hung-task-nfs-nic-offload-bug"));
    expect(found(nfs)).toEqual({});
    expect(nfs.excerpts.size).toBe(0);
    const old = judgeWith(network, [...SYN, TCP_OOM], { uptimeS: 3000 + 3601 });
    expect(found(old)).toEqual({});
    expect(old.values.has("net.log.syn_flood_port")).toBe(false);
  });
});
