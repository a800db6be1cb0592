import { beforeAll, describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import {
  baseName,
  classify,
  detectDriver,
  NIC_COUNTERS,
  OTHER_RX_DROP,
} from "../../src/derive/nic-counters.js";
import type { DerivedFacts, ParsedEntry } from "../../src/derive/types.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import { parseEthtoolStats } from "../../src/parsers/ethtool-stats.js";
import { linesOf } from "../../src/parsers/lines.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";

/**
 * The NIC counter table on `ethtool -S` output of each common driver
 * (test/fixtures/ethtool-drivers/, built from the counter names of each driver's source and
 * documentation: see the README there). Each fixture is the start snapshot; the end snapshot
 * is the same text with named counters raised, so the parser, the derive layer and the rules
 * run on the exact output format.
 */

type Bump = Record<string, number>;

/** The fixture with each named counter raised by its amount (every line of that name). */
function raised(text: string, bump: Bump): string {
  let out = text;
  for (const [name, by] of Object.entries(bump)) {
    const re = new RegExp(`^(\\s*${name.replace(/[[\]().#]/g, "\\$&")}: )(\\d+)$`, "gm");
    if (!re.test(out)) throw new Error(`no counter ${name}`);
    out = out.replace(re, (_m, head: string, v: string) => `${head}${Number(v) + by}`);
  }
  return out;
}

function derived(start: string | undefined, end: string, windowSeconds?: number): DerivedFacts {
  const entry: ParsedEntry = { facts: parseEthtoolStats(linesOf(end)).facts };
  if (start !== undefined) entry.start = parseEthtoolStats(linesOf(start)).facts;
  return derive(new Map([["ethtool-stats", entry]]), { windowSeconds });
}

function fact(d: DerivedFacts, path: string): unknown {
  let node: unknown = d.tree;
  for (const k of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[k];
  return node;
}

let runbooks: Runbook[];
beforeAll(() => {
  runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;
});

function fired(d: DerivedFacts): string[] {
  const present = new Set(["ethtool-stats"]);
  return evaluateRunbooks(runbooks, d, present, "network").hypotheses.map((h) => h.rule);
}

/** Per driver: its fixture, and one counter of each kind it prints with the kind's fact prefix. */
const DRIVERS = [
  {
    driver: "virtio_net",
    drop: "rx_hw_drops",
    limit: "rx_hw_ratelimit_packets",
  },
  { driver: "vmxnet3", drop: "pkts rx OOB", error: "pkts rx err" },
  {
    driver: "ixgbe",
    drop: "rx_missed_errors",
    error: "rx_crc_errors",
    pause: "rx_flow_control_xoff",
  },
  {
    driver: "i40e",
    drop: "port.rx_dropped",
    error: "port.rx_crc_errors",
    pause: "port.link_xoff_tx",
  },
  { driver: "ice", drop: "rx_dropped.nic", error: "rx_crc_errors.nic", pause: "link_xoff_rx.nic" },
  {
    driver: "mlx5_core",
    drop: "rx_out_of_buffer",
    error: "rx_symbol_err_phy",
    pause: "tx_prio3_pause",
  },
  {
    driver: "bnxt_en",
    drop: "rx_stat_discard",
    error: "rx_fcs_err_frames",
    pause: "rx_pause_frames",
  },
  { driver: "ena", drop: "queue_1_rx_page_alloc_fail", limit: "pps_allowance_exceeded" },
] as const;

describe("the NIC counter table", () => {
  it("gives every entry a meaning and a source", () => {
    for (const e of NIC_COUNTERS) {
      expect(e.meaning.length, String(e.name)).toBeGreaterThan(10);
      expect(e.source.length, String(e.name)).toBeGreaterThan(10);
    }
  });

  it("takes queue, ring and priority indexes out of names", () => {
    expect(baseName("rx3_drops")).toBe("rx_drops");
    expect(baseName("[3]: rx_discards")).toBe("rx_discards");
    expect(baseName("queue_3_rx_page_alloc_fail")).toBe("queue_rx_page_alloc_fail");
    expect(baseName("Rx Queue#3: pkts rx OOB")).toBe("Rx Queue#: pkts rx OOB");
    expect(baseName("rx_prio3_pause")).toBe("rx_prioN_pause");
    expect(baseName("port.rx_priority_3_xoff_rx")).toBe("port.rx_priority_N_xoff_rx");
    expect(baseName("tx_priority_3_xoff.nic")).toBe("tx_priority_N_xoff.nic");
    expect(baseName("rx_pfc_ena_frames_pri3")).toBe("rx_pfc_ena_frames_priN");
    expect(baseName("rx_pb_3_pxoff")).toBe("rx_pb_N_pxoff");
  });

  it("judges no traffic, checksum, XDP or XON counter", () => {
    for (const name of [
      "rx_packets",
      "rx_bytes_phy",
      "rx_xdp_drops",
      "rx_hw_csum_bad",
      "port.link_xon_rx",
      "rx_prio3_pause_duration",
      "conntrack_allowance_available",
      "Rx Queue#0: ucast pkts rx",
    ]) {
      expect(classify(name), name).toBeUndefined();
    }
    expect(classify("rx_crc_errors_phy")?.kind).toBe("error");
    expect(classify("linklocal_allowance_exceeded")?.kind).toBe("limit");
    expect(classify("tx_prio3_pause")).toMatchObject({ kind: "pause", dir: "tx" });
  });
});

describe.each(DRIVERS)("ethtool -S of $driver", (d) => {
  const text = readFixture(`ethtool-drivers/${d.driver}.txt`);

  it("parses cleanly and names its driver", () => {
    const { facts, problems } = parseEthtoolStats(linesOf(text));
    expect(problems).toEqual([]);
    const counters = facts.interfaces.unknown.counters;
    expect(Object.keys(counters).length).toBeGreaterThan(20);
    expect(detectDriver(Object.keys(counters))).toBe(d.driver);
    for (const name of [d.drop, "error" in d ? d.error : undefined].filter(Boolean)) {
      expect(Object.keys(counters).some((k) => k.endsWith(name as string))).toBe(true);
    }
  });

  it("counters that stay flat over the window give nothing", () => {
    const f = derived(text, text, 10);
    expect(fact(f, "nic.since_boot")).toBe(false);
    expect(fact(f, "nic.rx_drops")).toBeUndefined();
    for (const k of ["errors", "limit", "pause"]) expect(fact(f, `nic.${k}`)).toBeUndefined();
    expect(fired(f).filter((r) => r.startsWith("nic-"))).toEqual([]);
  });

  it("counters that rise over the window give each kind, with the counter and driver", () => {
    const bump: Bump = { [d.drop]: 500 };
    if ("error" in d) bump[d.error] = 7;
    if ("limit" in d) bump[d.limit] = 300;
    if ("pause" in d) bump[d.pause] = 40;
    const f = derived(text, raised(text, bump), 10);
    // vmxnet3 prints its counters once per queue: each queue's copy rises.
    const times = (name: string) =>
      text.split("\n").filter((l) => l.trim().startsWith(`${name}:`)).length;
    expect(fact(f, "nic.worst.driver")).toBe(d.driver);
    expect(fact(f, "nic.rx_drops")).toBe(500 * times(d.drop));
    expect(fact(f, "nic.rx_drops_per_s")).toBe(50 * times(d.drop));
    expect(String(fact(f, "nic.worst.counter"))).toMatch(
      new RegExp(`${d.drop.replace(/\d+_/, "\\d+_")}$`),
    );
    const rules = fired(f);
    expect(rules).toContain("nic-drops");
    if ("error" in d) {
      expect(String(fact(f, "nic.errors.counter"))).toMatch(new RegExp(`${d.error}$`));
      expect(fact(f, "nic.errors.count")).toBe(7 * times(d.error));
      expect(fact(f, "nic.errors.driver")).toBe(d.driver);
      expect(rules).toContain("nic-phy-errors");
    } else {
      expect(fact(f, "nic.errors")).toBeUndefined();
      expect(rules).not.toContain("nic-phy-errors");
    }
    if ("limit" in d) {
      expect(fact(f, "nic.limit.counter")).toBe(d.limit);
      expect(fact(f, "nic.limit.per_s")).toBe(30);
      expect(rules).toContain("nic-allowance-exceeded");
    } else {
      expect(rules).not.toContain("nic-allowance-exceeded");
    }
    if ("pause" in d) {
      expect(fact(f, "nic.pause.counter")).toBe(d.pause);
      expect(fact(f, "nic.pause.count")).toBe(40);
    }
  });
});

describe("totals of one snapshot", () => {
  it("are history: a note, no rate and no error or allowance finding", () => {
    // ena.txt holds pps_allowance_exceeded 1890 since load; i40e.txt 27 CRC errors.
    for (const driver of ["ena", "i40e"]) {
      const f = derived(undefined, readFixture(`ethtool-drivers/${driver}.txt`));
      expect(f.mode).toBe("since-boot");
      expect(fact(f, "nic.since_boot")).toBe(true);
      const kind = driver === "ena" ? "limit" : "errors";
      expect(fact(f, `nic.${kind}.count`)).toBe(driver === "ena" ? 1890 : 32);
      expect(fact(f, `nic.${kind}.per_s`)).toBeUndefined();
      expect(f.notes.join("\n")).toMatch(/since the driver loaded.*history, not a current finding/);
      const rules = fired(f);
      expect(rules).not.toContain("nic-phy-errors");
      expect(rules).not.toContain("nic-allowance-exceeded");
    }
  });

  it("a counter that went backwards (driver reloaded) counts nothing", () => {
    const text = readFixture("ethtool-drivers/ena.txt");
    const f = derived(raised(text, { pps_allowance_exceeded: 5000 }), text, 10);
    expect(fact(f, "nic.limit")).toBeUndefined();
  });
});

describe("the allowance rule names the shaping limit", () => {
  it("conntrack and link-local allowances each get their own remedy", () => {
    const text = readFixture("ethtool-drivers/ena.txt");
    const f = derived(
      text,
      raised(text, { conntrack_allowance_exceeded: 120, linklocal_allowance_exceeded: 4 }),
      10,
    );
    expect(fact(f, "nic.limit.counter")).toBe("conntrack_allowance_exceeded");
    expect(fact(f, "nic.limit.value")).toBe(120);
    expect(fact(f, "nic.limit.count")).toBe(124);
    expect(fact(f, "nic.limit.pps")).toBe(0);
    const h = evaluateRunbooks(runbooks, f, new Set(["ethtool-stats"]), "network").hypotheses.find(
      (x) => x.rule === "nic-allowance-exceeded",
    );
    expect(h?.category).toBe("network-retransmits-loss");
    expect(h?.title).toMatch(
      /^The NIC \(ena\) is shaped by the cloud: conntrack_allowance_exceeded \+120 over the window \(packets dropped because connection tracking \(security groups\) exceeded the maximum/,
    );
    expect(h?.remediation[0]).toMatch(/^Security-group connection tracking.*Traffic to link-local/);
    expect(h?.remediation[0]).not.toMatch(/Packets per second/);
  });
});

describe("per-queue counters and their totals", () => {
  it("count once: bnxt_en's ring discards and their sum, virtio_net's queue and total", () => {
    const bnxt = readFixture("ethtool-drivers/bnxt_en.txt");
    const b = derived(
      bnxt,
      raised(bnxt, { "[1]: rx_discards": 500, rx_total_ring_discards: 500 }),
      10,
    );
    expect(fact(b, "nic.rx_drops")).toBe(500);
    expect(fact(b, "nic.worst.counter")).toBe("[1]: rx_discards");
    const virtio = readFixture("ethtool-drivers/virtio_net.txt");
    const v = derived(virtio, raised(virtio, { rx_drops: 30, rx0_drops: 30 }), 10);
    expect(fact(v, "nic.rx_drops")).toBe(30);
    expect(fact(v, "nic.worst.counter")).toBe("rx_drops");
  });
});

describe("a driver outside the table", () => {
  it("has its receive drops found by name, which the table's drivers do not", () => {
    expect(classify("rx_queue_0_drops", "igb")).toBe(OTHER_RX_DROP);
    expect(classify("rx_dropped_pkt")).toBe(OTHER_RX_DROP);
    expect(classify("rx_hw_drop_overruns", "virtio_net")).toBeUndefined();
    for (const name of ["rx_xdp_drops", "rx_discard_bytes", "tx_queue_0_drops"]) {
      expect(classify(name, "igb"), name).toBeUndefined();
    }
    const nic = (drops: number) =>
      `==> eth1 <==\ndriver: igb\nNIC statistics:\n     rx_packets: 1000\n     rx_queue_0_drops: ${drops}\n`;
    const f = derived(nic(5), nic(25), 10);
    expect(fact(f, "nic.worst.driver")).toBe("igb");
    expect(fact(f, "nic.worst.counter")).toBe("rx_queue_0_drops");
    expect(fact(f, "nic.rx_drops")).toBe(20);
  });
});

describe("vmxnet3 queue blocks", () => {
  it("name each queue's counters after its queue and sum the queues", () => {
    const text = readFixture("ethtool-drivers/vmxnet3.txt");
    const { facts } = parseEthtoolStats(linesOf(text));
    const c = facts.interfaces.unknown.counters;
    expect(c["Rx Queue#0: pkts rx OOB"]).toBe(4120);
    expect(c["Rx Queue#1: pkts rx OOB"]).toBe(3877);
    expect(c["Tx Queue#1: giant hdr"]).toBe(0);
    expect(c["tx timeout count"]).toBe(0);
    const f = derived(undefined, text);
    expect(fact(f, "nic.rx_drops")).toBe(4120 + 3877);
  });

  it("reads the driver from an ethtool -i line", () => {
    const text = "==> ens192 <==\ndriver: vmxnet3\nNIC statistics:\n     tx timeout count: 0\n";
    const { facts, problems } = parseEthtoolStats(linesOf(text));
    expect(problems).toEqual([]);
    expect(facts.interfaces.ens192.driver).toBe("vmxnet3");
  });
});
