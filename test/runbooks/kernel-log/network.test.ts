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

  it("sets nothing of its own for NFS messages, nor for floods older than the look-back", () => {
    const nfs = judgeWith(network, bundleDmesg("05-hung-task-nfs-nic-offload-bug"));
    expect(found(nfs)).toEqual({});
    expect(nfs.excerpts.size).toBe(0);
    const old = judgeWith(network, [...SYN, TCP_OOM], { uptimeS: 3000 + 3601 });
    expect(found(old)).toEqual({});
    expect(old.values.has("net.log.syn_flood_port")).toBe(false);
  });
});
