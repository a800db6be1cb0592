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
 * is dropped (`drop`, with "nf_conntrack: table full, dropping packet" in the kernel log).
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
    from: ["conntrack", "conntrack-stats"],
    doc: "Entries in the table now.",
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
  const count = n(ct?.count) ?? n(st?.entries);
  const max = n(ct?.max) ?? n(sc?.net_netfilter_nf_conntrack_max);
  const cSource = n(ct?.count) !== undefined ? "conntrack" : "conntrack-stats";
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
    for (const key of ["insert_failed", "drop", "early_drop", "invalid", "clash_resolve"]) {
      const c = counter(
        n(totals[key]),
        windowed ? (n(start?.[key]) ?? 0) : undefined,
        ctx.windowSeconds,
      );
      if (c)
        bag.set(
          `conntrack.${key}`,
          c.delta,
          "conntrack-stats",
          `conntrack -S summed over ${st.cpus?.length ?? "?"} CPUs ${span}: ${all}`,
        );
    }
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
