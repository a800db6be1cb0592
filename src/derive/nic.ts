import type { EthtoolInterface } from "../parsers/ethtool-stats.js";
import {
  baseName,
  classify,
  detectDriver,
  type NicCounterEntry,
  type NicCounterKind,
} from "./nic-counters.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n, obj, pct, round, s, startOf } from "./util.js";

/**
 * NIC facts from `ethtool -S`, judged by the driver counter table of ./nic-counters.ts: per
 * kind (receive drops, physical-layer errors, allowance/limit exceeded, pause frames), the
 * worst interface, its driver, its largest counter and the sum of its counters of that kind.
 *
 * The counters count since the driver was loaded (or the interface was reset): with a start
 * snapshot they are judged over the window (increase, per second, share of rx packets); from
 * one snapshot they are totals (`nic.since_boot`), which say something happened at some time
 * since the driver loaded: history, written as a note, never a rate. A counter that went
 * backwards (driver reload, reset) counts 0. A per-queue counter is used only when the driver
 * prints no total of the same name (`rx0_drops` is skipped when `rx_drops` is printed).
 *
 * Source: ethtool(8); Documentation/networking/statistics.rst; the receive path in
 * Documentation/networking/scaling.rst (ring → NAPI softirq → backlog); the sources of each
 * counter in ./nic-counters.ts.
 */

const FROM = ["ethtool-stats"] as const;

/** The fact-tree prefix of each kind but `drop` (whose facts predate the table). */
const PREFIX = { error: "nic.errors", limit: "nic.limit", pause: "nic.pause" } as const;

/** ENA allowance counters and the virtio rate limiter, by the fact that says each. */
const LIMITS: Record<string, string> = {
  bw_in_allowance_exceeded: "bw_in",
  bw_out_allowance_exceeded: "bw_out",
  pps_allowance_exceeded: "pps",
  conntrack_allowance_exceeded: "conntrack",
  linklocal_allowance_exceeded: "linklocal",
  rx_hw_ratelimit_packets: "ratelimit",
  tx_hw_ratelimit_packets: "ratelimit",
};

function kindFacts(
  prefix: string,
  what: string,
  says: string,
  unit: string,
  extra: ModuleFactSpec[] = [],
): ModuleFactSpec[] {
  return [
    {
      path: `${prefix}.interface`,
      type: "string",
      doc: `The interface with the most ${what} (absent when the output does not name it).`,
    },
    {
      path: `${prefix}.driver`,
      type: "string",
      doc: "Its driver (ethtool -i, else from the counter names).",
    },
    {
      path: `${prefix}.counter`,
      type: "string",
      doc: `Its largest counter of ${what} (the driver's name).`,
    },
    {
      path: `${prefix}.value`,
      type: "number",
      unit,
      doc: "That counter's increase over the window, or its total since the driver loaded.",
    },
    {
      path: `${prefix}.meaning`,
      type: "string",
      doc: "What that counter counts, from the driver's documentation or source.",
    },
    {
      path: `${prefix}.count`,
      says: `{} ${says}`,
      type: "number",
      unit,
      doc: `Sum of its counters of ${what}, over the window or since the driver loaded.`,
    },
    {
      path: `${prefix}.per_s`,
      says: `${says} at {}`,
      type: "number",
      unit: "/s",
      doc: `${what} per second over the window (absent from one snapshot).`,
    },
    ...extra,
  ];
}

const provides: ModuleFactSpec[] = [
  {
    path: "nic.worst.interface",
    type: "string",
    doc: "The interface with the largest receive-drop counter (absent when the output does not name it).",
  },
  { path: "nic.worst.counter", type: "string", doc: "That counter's name (driver-specific)." },
  {
    path: "nic.worst.driver",
    type: "string",
    doc: "That interface's driver (ethtool -i, else from the counter names).",
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
    doc: "Receive drops of the worst interface (sum of its ring/buffer drop counters of the table), over the window or since load.",
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
  ...kindFacts(
    "nic.errors",
    "physical-layer errors",
    "NIC frame errors (CRC, symbol, length)",
    "frames",
  ),
  ...kindFacts(
    "nic.limit",
    "packets over a cloud allowance",
    "packets over the instance's network allowance",
    "packets",
    [
      ...["bw_in", "bw_out", "pps", "conntrack", "linklocal", "ratelimit"].map(
        (k): ModuleFactSpec => ({
          path: `nic.limit.${k}`,
          type: "number",
          unit: "packets",
          doc: `The ${k} allowance counter of that interface (ENA *_allowance_exceeded; ratelimit: virtio device rate limiter), over the window or since load.`,
        }),
      ),
    ],
  ),
  ...kindFacts("nic.pause", "pause frames", "pause (flow control) frames", "frames", [
    {
      path: "nic.pause.rx",
      says: "{} pause frames received",
      type: "number",
      unit: "frames",
      doc: "Pause/PFC XOFF frames received: the link partner asked this port to stop sending.",
    },
    {
      path: "nic.pause.tx",
      says: "{} pause frames sent",
      type: "number",
      unit: "frames",
      doc: "Pause/PFC XOFF frames sent: this port could not absorb the traffic.",
    },
  ]),
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

/** The sum of one kind on one interface, with its largest counter. */
interface KindSum {
  total: number;
  top?: { counter: string; value: number; entry: NicCounterEntry };
  /** Per direction (pause) and per allowance (limit). */
  parts: Record<string, number>;
}

/** One interface's readings of every kind. */
interface Reading {
  iface: string;
  driver?: string;
  rx?: number;
  kinds: Record<NicCounterKind, KindSum>;
}

function counters(i: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj(obj(i)?.counters) ?? {}))
    if (typeof v === "number") out[k] = v;
  return out;
}

function rxPackets(c: Record<string, number>): number | undefined {
  return n(c.rx_packets) ?? n(c.rx_packets_phy) ?? n(c.rx_pkts);
}

function read(iface: string, raw: unknown, before: unknown, windowed: boolean): Reading {
  const now = counters(raw);
  const then = counters(before);
  const empty = (): KindSum => ({ total: 0, parts: {} });
  const kinds = { drop: empty(), error: empty(), limit: empty(), pause: empty() };
  const driver = s(obj(raw)?.driver) ?? detectDriver(Object.keys(now));
  for (const [name, value] of Object.entries(now)) {
    const entry = classify(name, driver);
    if (!entry) continue;
    // A per-queue copy of a total the driver also prints would count twice.
    const total = name.replace(/^\[\d+\]:\s*/, "").replace(/^(rx|tx)\d+_/, "$1_");
    if (total !== name && now[total] !== undefined) continue;
    const d = windowed ? value - (then[name] ?? value) : value;
    if (d < 0) continue;
    if (entry.kind === "drop" && entry.dir !== "rx") continue;
    const sum = kinds[entry.kind];
    sum.total += d;
    const part = entry.kind === "pause" ? entry.dir : LIMITS[baseName(name)];
    if (part) sum.parts[part] = (sum.parts[part] ?? 0) + d;
    if (d > 0 && (!sum.top || d > sum.top.value)) sum.top = { counter: name, value: d, entry };
  }
  let rx = rxPackets(now);
  if (windowed && rx !== undefined) {
    const r0 = rxPackets(then);
    rx = r0 !== undefined && rx >= r0 ? rx - r0 : undefined;
  }
  return { iface, driver, rx, kinds };
}

function worst(readings: Reading[], kind: NicCounterKind): Reading | undefined {
  let best: Reading | undefined;
  for (const r of readings) {
    if (r.kinds[kind].top && (!best || r.kinds[kind].total > best.kinds[kind].total)) best = r;
  }
  return best;
}

function span(value: number, ctx: DeriveContext, windowed: boolean): string {
  return windowed ? `+${value} over ${ctx.windowSeconds} s` : `${value} since the driver loaded`;
}

function setDrops(bag: FactBag, r: Reading, ctx: DeriveContext, windowed: boolean): void {
  const sum = r.kinds.drop;
  if (!sum.top) return;
  const driver = r.driver ? ` (${r.driver})` : "";
  const line = `${r.iface}${driver}: ${sum.top.counter}: ${span(sum.top.value, ctx, windowed)}`;
  // A pasted `ethtool -S` without a prompt names no interface (the parser says "unknown").
  if (r.iface !== "unknown") bag.set("nic.worst.interface", r.iface, "ethtool-stats", line);
  bag.set("nic.worst.driver", r.driver, "ethtool-stats", line);
  bag.set("nic.worst.counter", sum.top.counter, "ethtool-stats", line);
  bag.set("nic.worst.value", sum.top.value, "ethtool-stats", line);
  bag.set("nic.rx_drops", sum.total, "ethtool-stats", line);
  if (windowed && ctx.windowSeconds) {
    bag.set("nic.rx_drops_per_s", round(sum.total / ctx.windowSeconds), "ethtool-stats", line);
  }
  if (r.rx !== undefined)
    bag.set("nic.rx_drop_pct", pct(sum.total, r.rx + sum.total), "ethtool-stats", line);
}

function setKind(
  bag: FactBag,
  kind: Exclude<NicCounterKind, "drop">,
  r: Reading,
  ctx: DeriveContext,
  windowed: boolean,
): void {
  const sum = r.kinds[kind];
  if (!sum.top) return;
  const p = PREFIX[kind];
  const driver = r.driver ? ` (${r.driver})` : "";
  const line = `${r.iface}${driver}: ${sum.top.counter}: ${span(sum.top.value, ctx, windowed)}`;
  if (r.iface !== "unknown") bag.set(`${p}.interface`, r.iface, "ethtool-stats", line);
  bag.set(`${p}.driver`, r.driver, "ethtool-stats", line);
  bag.set(`${p}.counter`, sum.top.counter, "ethtool-stats", line);
  bag.set(`${p}.value`, sum.top.value, "ethtool-stats", line);
  bag.set(`${p}.meaning`, sum.top.entry.meaning, "ethtool-stats", line);
  bag.set(`${p}.count`, sum.total, "ethtool-stats", line);
  for (const [part, v] of Object.entries(sum.parts))
    bag.set(`${p}.${part}`, v, "ethtool-stats", line);
  if (windowed && ctx.windowSeconds) {
    bag.set(`${p}.per_s`, round(sum.total / ctx.windowSeconds), "ethtool-stats", line);
  } else {
    bag.note(
      `${line} (${sum.top.entry.meaning}): history, not a current finding; read ethtool -S twice to see whether it still rises.`,
    );
  }
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
  const readings = Object.entries(ifaces).map(([name, raw]) =>
    read(name, raw as EthtoolInterface, start?.[name], windowed),
  );
  const drops = worst(readings, "drop");
  if (drops) setDrops(bag, drops, ctx, windowed);
  for (const kind of ["error", "limit", "pause"] as const) {
    const r = worst(readings, kind);
    if (r) setKind(bag, kind, r, ctx, windowed);
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
