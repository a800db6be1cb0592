import { describe, expect, it } from "vitest";
import { parseNetstatS } from "../../src/parsers/netstat-s.js";
import { parseNstat } from "../../src/parsers/nstat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("netstat-s parser", () => {
  it("maps RHEL 7 wordings to nstat names (insights-core NETSTAT_S)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatS,
      "netstat-s/insights-core__test_netstat__NETSTAT_S.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.unmapped).toEqual([]);
    const c = facts.counters;
    expect(c.IpInReceives).toBe(3405107);
    expect(c.IpOutDiscards).toBe(456);
    expect(c.IpFragOKs).toBe(4); // "4 fragments received ok" (old wording)
    expect(c.TcpActiveOpens).toBe(1648); // "active connections openings"
    expect(c.TcpOutSegs).toBe(2890303); // "segments send out"
    expect(c.TcpRetransSegs).toBe(428); // "segments retransmited"
    expect(c.TcpInErrs).toBe(0); // "bad segments received." with its dot
    expect(c.UdpNoPorts).toBe(107);
    expect(c.IcmpInDestUnreachs).toBe(107);
    expect(c.IcmpOutDestUnreachs).toBe(254);
    expect(c.IcmpOutEchos).toBe(3); // "echo request: 3" in the output histogram
    expect(c.IcmpMsgOutType3).toBe(254);
    expect(c.TcpExtDelayedACKLost).toBe(9); // "Quick ack mode was activated 9 times"
    expect(c.TcpExtTCPTimeouts).toBe(54); // "54 other TCP timeouts"
    expect(c.TcpExtTCPAbortOnTimeout).toBe(53);
    expect(c.TcpExtTCPLossProbes).toBe(12); // "TCPLossProbes: 12"
    expect(c.TcpExtTCPDeferAcceptDrop).toBe(537);
    expect(c.IpExtInOctets).toBe(865450302);
  });

  it("reads net-tools 2.10 on this VM and agrees with nstat taken at the same time", () => {
    const { facts, problems } = parseFixture(
      parseNetstatS,
      "netstat-s/vm-debian12-k6.18__netstat-s.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.unmapped).toEqual([]);
    expect(facts.counters.IpForwarding).toBe(2); // "Forwarding: 2"
    expect(facts.counters.TcpActiveOpens).toBe(114);
    expect(facts.counters.TcpOutRsts).toBe(87);
    expect(facts.counters.TcpExtTCPTimeouts).toBe(2);
    expect(facts.counters.TcpExtTCPAbortOnData).toBe(40);
    const nstat = parseFixture(parseNstat, "nstat/vm-debian12-k6.18__nstat-asz.txt").facts.counters;
    let compared = 0;
    for (const [name, value] of Object.entries(facts.counters)) {
      if (!(name in nstat)) continue;
      expect([name, value]).toEqual([name, nstat[name]]);
      compared++;
    }
    expect(compared).toBeGreaterThan(45);
  });

  it("maps the well-known listen, SYN and memory lines, and keeps unknown prose", () => {
    const text = [
      "TcpExt:",
      "    1234 times the listen queue of a socket overflowed",
      "    5678 SYNs to LISTEN sockets dropped",
      "    9 SYNs to LISTEN sockets ignored",
      "    77 SYN cookies sent",
      "    3 connections aborted due to memory pressure",
      "    TCP ran low on memory 4 times",
      "    TCPSynRetrans: 12",
      "    42 frobnications were mangled",
      "Tcp:",
      "    12 segments retransmitted",
      "    InCsumErrors: 0",
      "",
    ].join("\n");
    const { facts } = parseText(parseNetstatS, text);
    expect(facts.counters).toEqual({
      TcpExtListenOverflows: 1234,
      TcpExtListenDrops: 9,
      TcpExtSyncookiesSent: 77,
      TcpExtTCPAbortOnMemory: 3,
      TcpExtTCPMemoryPressures: 4,
      TcpExtTCPSynRetrans: 12,
      TcpRetransSegs: 12,
      TcpInCsumErrors: 0,
    });
    expect(facts.unmapped).toEqual([
      { section: "TcpExt", text: "42 frobnications were mangled", value: 42 },
    ]);
  });

  it("records a prompt and an elision as problems", () => {
    const { facts, problems } = parseText(
      parseNetstatS,
      "$ netstat -s\nTcp:\n    12 segments retransmitted\n...\n",
    );
    expect(facts.counters).toEqual({ TcpRetransSegs: 12 });
    expect(problems.map((p) => [p.line, p.text])).toEqual([
      [1, "$ netstat -s"],
      [4, "..."],
    ]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseNetstatS, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseNetstatS, "\u0000\u00ff garbage\n  12 things\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
