import type { EthtoolInterface } from "../parsers/ethtool-stats.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n, obj, pct, round, startOf } from "./util.js";

/**
 * NIC drop facts from `ethtool -S`: counters that say the NIC's receive ring overflowed or
 * a packet was dropped for lack of a buffer (`rx_missed_errors`, `rx_no_buffer_count`,
 * `rx_fifo_errors`, `*_discards_phy`, `rx_dropped`, ...). They count since the driver was
 * loaded: with a start snapshot they are judged over the window (per second, and as a share
 * of rx packets), from one snapshot as totals (`nic.since_boot`).
 *
 * Source: ethtool(8); Documentation/networking/statistics.rst (rx_missed_errors: "receiver
 * missed packet", rx_fifo_errors, rx_over_errors); the receive path in
 * Documentation/networking/scaling.rst (ring → NAPI softirq → backlog).
 */

const FROM = ["ethtool-stats"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "nic.worst.interface",
    type: "string",
    doc: "The interface with the largest receive-drop counter (absent when the output does not name it).",
  },
  {
    path: "nic.worst.counter",
    type: "string",
    doc: "That counter's name (driver-specific).",
  },
  {
    path: "nic.worst.value",
    type: "number",
    unit: "count",
    doc: "Its increase over the window, or its total since the driver loaded.",
  },
  {
    path: "nic.rx_drops",
    says: "{} NIC receive drops",
    type: "number",
    unit: "packets",
    doc: "Receive drops of the worst interface (sum of its rx missed/fifo/no-buffer/discard/dropped counters), over the window or since load.",
  },
  {
    path: "nic.rx_drops_per_s",
    says: "NIC receive drops at {}",
    type: "number",
    unit: "/s",
    doc: "Receive drops per second over the window.",
  },
  {
    path: "nic.rx_drop_pct",
    says: "NIC receive drops at {} of packets",
    type: "number",
    unit: "%",
    doc: "Receive drops / (rx packets + drops) × 100, when rx_packets is printed.",
  },
  {
    path: "nic.since_boot",
    says: {
      yes: "NIC counters read once (totals since the driver loaded)",
      no: "NIC counters read over the window",
    },
    type: "boolean",
    from: FROM,
    doc: "True when the counters were read once (totals since the driver loaded).",
  },
];

/** Counters that count receive-side drops for lack of ring space or buffers. */
const RX_DROP =
  /(^|[._])rx[._a-z0-9]*?(missed|fifo|no_?buf|out_of_buffer|discard|drop|over_err|no_dma)/i;

function rxDrops(i: EthtoolInterface): Record<string, number> {
  const out: Record<string, number> = {};
  const all = obj(i?.counters) ?? {};
  for (const [k, v] of Object.entries(all)) {
    if (typeof v === "number" && RX_DROP.test(k) && !/(^|[._])tx/i.test(k)) out[k] = v;
  }
  return out;
}

function rxPackets(i: EthtoolInterface): number | undefined {
  const c = obj(i?.counters) ?? {};
  return n(c.rx_packets) ?? n(c.rx_packets_phy) ?? n(c.rx_pkts);
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const end = factsOf(parsed, "ethtool-stats");
  const ifaces = obj(end?.interfaces);
  if (!end || !ifaces) return bag;
  const start = obj(startOf(parsed, "ethtool-stats")?.interfaces);
  const windowed = start !== undefined && ctx.windowSeconds !== undefined && ctx.windowSeconds > 0;
  bag.set("nic.since_boot", !windowed, "ethtool-stats");
  if (!windowed) {
    bag.sinceBoot = true;
    bag.note("ethtool -S was read once: NIC drop counters are totals since the driver loaded.");
  }
  let best:
    | { iface: string; counter: string; value: number; total: number; rx?: number }
    | undefined;
  for (const [name, raw] of Object.entries(ifaces)) {
    const i = raw as EthtoolInterface;
    const drops = rxDrops(i);
    const before = windowed ? rxDrops(start?.[name] as EthtoolInterface) : {};
    let total = 0;
    let top: [string, number] | undefined;
    for (const [k, v] of Object.entries(drops)) {
      const d = windowed ? v - (before[k] ?? v) : v;
      if (d < 0) continue;
      total += d;
      if (!top || d > top[1]) top = [k, d];
    }
    let rx = rxPackets(i);
    if (windowed && rx !== undefined) {
      const r0 = rxPackets(start?.[name] as EthtoolInterface);
      rx = r0 !== undefined && rx >= r0 ? rx - r0 : undefined;
    }
    if (top && (!best || total > best.total)) {
      best = { iface: name, counter: top[0], value: top[1], total, rx };
    }
  }
  if (!best) return bag;
  const span = windowed
    ? `+${best.value} over ${ctx.windowSeconds} s`
    : `${best.value} since the driver loaded`;
  const line = `${best.iface}: ${best.counter}: ${span}`;
  // A pasted `ethtool -S` without a prompt names no interface (the parser says "unknown").
  if (best.iface !== "unknown") bag.set("nic.worst.interface", best.iface, "ethtool-stats", line);
  bag.set("nic.worst.counter", best.counter, "ethtool-stats", line);
  bag.set("nic.worst.value", best.value, "ethtool-stats", line);
  bag.set("nic.rx_drops", best.total, "ethtool-stats", line);
  if (windowed && ctx.windowSeconds) {
    bag.set("nic.rx_drops_per_s", round(best.total / ctx.windowSeconds), "ethtool-stats", line);
  }
  if (best.rx !== undefined) {
    bag.set("nic.rx_drop_pct", pct(best.total, best.rx + best.total), "ethtool-stats", line);
  }
  return bag;
}

/** The `nic` derive module (see the header comment of this file). */
export const nicModule: DeriveModule = {
  id: "nic",
  needs: ["ethtool-stats"],
  provides,
  derive,
};
