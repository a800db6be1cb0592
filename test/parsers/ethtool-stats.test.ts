import { describe, expect, it } from "vitest";
import { parseEthtoolStats } from "../../src/parsers/ethtool-stats.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("ethtool-stats parser", () => {
  it("reads a single pasted counter with no header (scenario 31)", () => {
    const { facts, problems } = parseFixture(
      parseEthtoolStats,
      "ethtool-stats/scenario-31__pf-ring-issue-235__ethtool-S.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.interfaces.unknown.counters).toEqual({ rx_missed_errors: 22637793 });
    expect(facts.interfaces.unknown.drop_counters).toEqual({ rx_missed_errors: 22637793 });
    expect(facts.worst).toEqual({
      interface: "unknown",
      counter: "rx_missed_errors",
      value: 22637793,
    });
    expect(facts.drop_counters_total).toBe(22637793);
  });

  it("reads the collector's sections for virtio and ifb devices (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseEthtoolStats,
      "ethtool-stats/vm-debian12-k6.18__ethtool-S.txt",
    );
    expect(problems).toEqual([]);
    expect(Object.keys(facts.interfaces)).toEqual(["eth0", "ifb0", "ifb1"]);
    const eth0 = facts.interfaces.eth0;
    expect(eth0.counters.rx_kicks).toBe(1098);
    expect(eth0.counters.tx0_kicks).toBe(3995);
    expect(Object.keys(eth0.counters)).toHaveLength(20);
    expect(Object.keys(eth0.drop_counters)).toEqual([
      "rx_drops",
      "rx_xdp_drops",
      "tx_xdp_tx_drops",
      "rx0_drops",
      "rx0_xdp_drops",
      "tx0_xdp_tx_drops",
    ]);
    expect(facts.interfaces.ifb1.counters).toEqual({
      rx_queue_0_packets: 0,
      rx_queue_0_bytes: 0,
      tx_queue_0_packets: 0,
      tx_queue_0_bytes: 0,
    });
    expect(facts.worst).toBeUndefined();
  });

  it("picks drop, miss, error, fifo, no-buffer and discard counters, not look-alikes", () => {
    const text = [
      "==> /sys/class/net/enp3s0 <==",
      "NIC statistics:",
      "     rx_packets: 1000",
      "     rx_missed_errors: 12",
      "     rx_no_buffer_count: 7",
      "     rx_fifo_errors: 1",
      "     rx_discards_phy: 3",
      "     port.rx_dropped: 2",
      "     rx_out_of_buffer: 5",
      "     tx_queue_0_interrupts: 99",
      "==> veth1 <==",
      "no stats available",
      "",
    ].join("\n");
    const { facts, problems } = parseText(parseEthtoolStats, text);
    expect(problems).toEqual([]);
    expect(facts.interfaces.enp3s0.drop_counters).toEqual({
      rx_missed_errors: 12,
      rx_no_buffer_count: 7,
      rx_fifo_errors: 1,
      rx_discards_phy: 3,
      "port.rx_dropped": 2,
      rx_out_of_buffer: 5,
    });
    expect(facts.interfaces.enp3s0.drop_counters_total).toBe(30);
    expect(facts.interfaces.veth1).toEqual({
      counters: {},
      drop_counters: {},
      drop_counters_total: 0,
      error: "no stats available",
    });
    expect(facts.worst).toEqual({ interface: "enp3s0", counter: "rx_missed_errors", value: 12 });
  });

  it("takes the interface name from a pasted prompt, recording the prompt", () => {
    const { facts, problems } = parseText(
      parseEthtoolStats,
      "$ sudo ethtool -S eth7\nNIC statistics:\n     rx_missed_errors: 5\n...\n",
    );
    expect(facts.interfaces.eth7.counters.rx_missed_errors).toBe(5);
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseEthtoolStats, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseEthtoolStats, "\u0000\u00ff garbage\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
