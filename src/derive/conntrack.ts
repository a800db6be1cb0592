import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { counter, factsOf, n, obj, pct, startOf } from "./util.js";

/**
 * Connection-tracking facts: the table's fill (`conntrack`: nf_conntrack_count against
 * nf_conntrack_max) and its per-CPU statistics summed (`conntrack-stats`: `conntrack -S` or
 * /proc/net/stat/nf_conntrack), over the window when a start snapshot exists.
 *
 * What the counters mean (net/netfilter/nf_conntrack_core.c): when the table is full a new
 * entry first evicts an unreplied one (`early_drop`), and when none can be evicted the packet
 * is dropped (`drop`, with "nf_conntrack: table full, dropping packet" in the kernel log);
 * nf_conntrack_in also counts in `drop` (and in `invalid`) the packets a protocol tracker
 * drops, so `drop_no_entry` = drop − invalid is what a full table can explain.
 * `insert_failed` counts entries that could not be confirmed because an entry for the same
 * tuple was inserted first (a clash: two packets of one new flow on two CPUs, e.g. parallel
 * UDP DNS queries through SNAT/DNAT). insert_failed rising with no drop, no early_drop and a
 * table far from full is that race, not a full table.
 */

const provides: ModuleFactSpec[] = [
  {
    path: "conntrack.count",
    type: "number",
    unit: "entries",
    from: ["conntrack", "conntrack-stats", "sysctl"],
    doc: "Entries in the table now (nf_conntrack_count; /proc/net/stat/nf_conntrack `entries`; `sysctl -a`).",
  },
  {
    path: "conntrack.max",
    type: "number",
    unit: "entries",
    from: ["conntrack", "sysctl"],
    doc: "nf_conntrack_max.",
  },
  {
    path: "conntrack.used_pct",
    says: "conntrack table {} full",
    type: "number",
    unit: "%",
    doc: "count / max × 100.",
  },
  {
    path: "conntrack.insert_failed",
    says: "{} failed conntrack inserts",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "insert_failed summed over CPUs (window, or since the module loaded).",
  },
  {
    path: "conntrack.drop",
    says: "{} packets dropped for want of a conntrack entry",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "drop: packets dropped because no entry could be made (table full).",
  },
  {
    path: "conntrack.drop_no_entry",
    says: "{} packets dropped because no conntrack entry could be made",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "drop − invalid (at least 0): drops where no entry could be made (table full, or no memory), the protocol trackers' drops (counted as invalid too) left out.",
  },
  {
    path: "conntrack.early_drop",
    says: "{} conntrack entries evicted early",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "early_drop: entries evicted to make room in a full table.",
  },
  {
    path: "conntrack.invalid",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "invalid: packets conntrack could not track.",
  },
  {
    path: "conntrack.clash_resolve",
    type: "number",
    unit: "count",
    from: ["conntrack-stats"],
    doc: "clash_resolve: clashes the kernel resolved (5.x+).",
  },
  {
    path: "conntrack.since_boot",
    says: {
      yes: "conntrack statistics read once (totals since the module loaded)",
      no: "conntrack statistics read over the window",
    },
    type: "boolean",
    from: ["conntrack-stats"],
    doc: "True when the statistics were read once (totals since the module loaded).",
  },
];

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const ct = factsOf(parsed, "conntrack");
  const st = factsOf(parsed, "conntrack-stats");
  const sc = factsOf(parsed, "sysctl");
  // `sysctl -a` prints the count too (net.netfilter.nf_conntrack_count, read-only).
  const printed = sc?.values?.["net.netfilter.nf_conntrack_count"]?.trim();
  const sysCount = printed && /^\d+$/.test(printed) ? Number(printed) : undefined;
  const count = n(ct?.count) ?? n(st?.entries) ?? sysCount;
  const max = n(ct?.max) ?? n(sc?.net_netfilter_nf_conntrack_max);
  const cSource =
    n(ct?.count) !== undefined
      ? "conntrack"
      : n(st?.entries) !== undefined
        ? "conntrack-stats"
        : "sysctl";
  const line = `nf_conntrack_count ${count ?? "?"} / nf_conntrack_max ${max ?? "?"}`;
  bag.set("conntrack.count", count, cSource, line);
  bag.set("conntrack.max", max, n(ct?.max) !== undefined ? "conntrack" : "sysctl", line);
  bag.set("conntrack.used_pct", n(ct?.used_pct) ?? pct(count, max), cSource, line);
  const totals = obj(st?.totals);
  if (st && totals && st.loaded !== false) {
    const start = obj(startOf(parsed, "conntrack-stats")?.totals);
    const windowed = start !== undefined && ctx.windowSeconds !== undefined;
    bag.set("conntrack.since_boot", !windowed, "conntrack-stats");
    if (!windowed) {
      bag.sinceBoot = true;
      bag.note("conntrack statistics were read once: counters are totals since the module loaded.");
    }
    const span = windowed ? `over ${ctx.windowSeconds} s` : "since the module loaded";
    const all = Object.entries(totals)
      .filter(([k]) =>
        ["insert_failed", "drop", "early_drop", "insert", "invalid", "clash_resolve"].includes(k),
      )
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const line = `conntrack -S summed over ${st.cpus?.length ?? "?"} CPUs ${span}: ${all}`;
    const deltas: Record<string, number> = {};
    for (const key of ["insert_failed", "drop", "early_drop", "invalid", "clash_resolve"]) {
      const c = counter(
        n(totals[key]),
        windowed ? (n(start?.[key]) ?? 0) : undefined,
        ctx.windowSeconds,
      );
      if (!c) continue;
      deltas[key] = c.delta;
      bag.set(`conntrack.${key}`, c.delta, "conntrack-stats", line);
    }
    // nf_conntrack_in counts `drop` where no entry could be made (resolve_normal_ct failed:
    // the table full, or memory) and also where a protocol tracker dropped a packet, which
    // it counts as `invalid` too: drops beyond the invalid ones are the former.
    if (deltas.drop !== undefined && deltas.invalid !== undefined)
      bag.set(
        "conntrack.drop_no_entry",
        Math.max(0, deltas.drop - deltas.invalid),
        "conntrack-stats",
        line,
      );
  }
  return bag;
}

/** The `conntrack` derive module (see the header comment of this file). */
export const conntrackModule: DeriveModule = {
  id: "conntrack",
  needs: ["conntrack", "conntrack-stats", "sysctl"],
  provides,
  derive,
};
