import { describe, expect, it } from "vitest";
import { parseBccTcpretrans } from "../../src/parsers/bcc-tcpretrans.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("bcc-tcpretrans parser", () => {
  it("reads the events and counts of the tool's example file, prose as problems", () => {
    const { facts, problems } = parseFixture(
      parseBccTcpretrans,
      "bcc-tcpretrans/bcc__tcpretrans_example.txt",
    );
    expect(facts.events).toHaveLength(16);
    expect(facts.events[0]).toEqual({
      time: "01:55:05",
      pid: 0,
      ip: 4,
      local_address: "10.153.223.157",
      local_port: 22,
      type: "R",
      peer_address: "203.0.113.10",
      peer_port: 34619,
      state: "ESTABLISHED",
    });
    const probe = facts.events.find((e) => e.type === "L")!;
    expect(probe).toMatchObject({ time: "01:55:53", peer_port: 46444 });
    expect(facts.events.find((e) => e.pid === 1938)?.time).toBe("01:56:08");
    expect(facts.events.at(-1)).toMatchObject({
      state: "SYN_SENT",
      seq: 2879306108,
      peer_port: 443,
    });
    expect(facts.flows).toEqual([
      {
        local_address: "192.168.10.50",
        local_port: 60366,
        peer_address: "203.0.113.11",
        peer_port: 443,
        retransmits: 700,
      },
      {
        local_address: "192.168.10.50",
        local_port: 666,
        peer_address: "203.0.113.12",
        peer_port: 443,
        retransmits: 345,
      },
      {
        local_address: "192.168.10.50",
        local_port: 366,
        peer_address: "203.0.113.13",
        peer_port: 443,
        retransmits: 211,
      },
    ]);
    expect(facts.tail_loss_probes).toBe(1);
    expect(facts.retransmits).toBe(15 + 700 + 345 + 211);
    expect(facts.by_state).toEqual({ ESTABLISHED: 13, SYN_SENT: 2 });
    expect(facts.by_peer["203.0.113.11"]).toBe(702);
    expect(problems[0]).toMatchObject({
      line: 1,
      text: "Demonstrations of tcpretrans, the Linux eBPF/bcc version.",
    });
    expect(problems.some((p) => p.text === "# ./tcpretrans")).toBe(true);
    expect(problems.some((p) => p.text === "[...]")).toBe(true);
  });

  it("reads newer count mode endpoints and IPv6 events", () => {
    const text = [
      "Tracing retransmits ... Hit Ctrl-C to end",
      "TIME     PID    IP LADDR:LPORT          T> RADDR:RPORT          STATE",
      "10:00:01 0      6  2001:db8::1:443      R> 2001:db8::2:51000     ESTABLISHED",
      "^C",
      "",
      "LADDR:LPORT               RADDR:RPORT               RETRANSMITS",
      "[10.0.0.1]#22             <-> [10.0.0.2]#5555                5",
      "",
    ].join("\n");
    const { facts, problems } = parseText(parseBccTcpretrans, text);
    expect(problems).toEqual([]);
    expect(facts.events[0]).toMatchObject({
      ip: 6,
      local_address: "2001:db8::1",
      local_port: 443,
      peer_port: 51000,
    });
    expect(facts.flows).toEqual([
      {
        local_address: "10.0.0.1",
        local_port: 22,
        peer_address: "10.0.0.2",
        peer_port: 5555,
        retransmits: 5,
      },
    ]);
    expect(facts.retransmits).toBe(6);
  });

  it("accepts the banner alone (no retransmit in the window)", () => {
    const { facts } = parseText(
      parseBccTcpretrans,
      "Tracing retransmits ... Hit Ctrl-C to end\nTIME     PID    IP LADDR:LPORT          T> RADDR:RPORT          STATE\n",
    );
    expect(facts.events).toEqual([]);
    expect(facts.retransmits).toBe(0);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseBccTcpretrans, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseBccTcpretrans, "\u0000\u00ff garbage\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
