import { describe, expect, it } from "vitest";
import { network } from "../../../src/parsers/dmesg/network.js";
import { isListed, readWith } from "./read-with.js";

describe("network family (net/ipv4, net/netfilter, net/sunrpc, drivers/net)", () => {
  it("is listed with its sources", () => expect(isListed(network)).toBe(true));

  it("reads conntrack, SYN-flood, NFS and link lines", () => {
    const events = readWith(network, [
      "[Mon Apr 23 10:58:07 2018] nf_conntrack: table full, dropping packet",
      "[ 4716.6] TCP: request_sock_TCP: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.",
      "[ 3223.539141] nfs: server host-b not responding, still trying",
      "[ 3224.612015] nfs: server host-b OK",
      "[ 5000.1] mlx5_core 0000:3b:00.0 ens1f0: Link down",
    ]);
    expect(events.map((e) => e.kind)).toEqual([
      "conntrack-full",
      "syn-flood",
      "nfs-not-responding",
      "nfs-not-responding",
      "nic-link",
    ]);
    expect(events[1]).toMatchObject({ port: 443, address: "[::]", action: "dropping" });
    expect(events[2]).toMatchObject({ server: "host-b", status: "not responding" });
    expect(events[3]).toMatchObject({ status: "OK" });
    expect(events[4]).toMatchObject({ interface: "ens1f0", state: "down" });
  });
});
