import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { factsOf, n, round } from "./util.js";

/**
 * The system clock against NTP time, as chronyd sees it (`chronyc tracking`, chronyc(1)): how
 * far the clock is from true time and whether chronyd has a source at all. The offset is the
 * `System time` chronyd is slewing away, in s, with its direction.
 */
const provides: ModuleFactSpec[] = [
  {
    path: "clock.sync.offset_s",
    type: "number",
    unit: "s",
    doc: "How far the system clock is from NTP time (chronyc tracking `System time`), either way.",
    says: "the clock {} from NTP time",
  },
  {
    path: "clock.sync.direction",
    type: "string",
    doc: "`slow` when the system clock is behind NTP time, `fast` when ahead.",
  },
  {
    path: "clock.sync.unsynchronised",
    type: "boolean",
    doc: "True when chronyd reports `Leap status : Not synchronised` (no source selected: the clock runs free).",
    says: {
      yes: "chronyd is not synchronised to any source",
      no: "chronyd is synchronised to a source",
    },
  },
  {
    path: "clock.sync.reference",
    type: "string",
    doc: "The source chronyd follows (name or address of `Reference ID`), when it has one.",
  },
];

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const t = factsOf(parsed, "chronyc-tracking");
  if (!t) return bag;
  const offset = n(t.system_time_s);
  const line = [
    offset !== undefined
      ? `System time : ${Math.abs(offset)} seconds ${offset < 0 ? "slow" : "fast"} of NTP time`
      : undefined,
    t.leap_status !== undefined ? `Leap status : ${t.leap_status}` : undefined,
  ]
    .filter((x) => x !== undefined)
    .join("; ");
  if (offset !== undefined) {
    bag.set("clock.sync.offset_s", round(Math.abs(offset), 3), "chronyc-tracking", line);
    bag.set("clock.sync.direction", offset < 0 ? "slow" : "fast", "chronyc-tracking", line);
  }
  if (typeof t.synchronised === "boolean") {
    bag.set("clock.sync.unsynchronised", !t.synchronised, "chronyc-tracking", line);
  }
  if (t.reference) bag.set("clock.sync.reference", t.reference, "chronyc-tracking", line);
  return bag;
}

/** The `timesync` derive module (see the header comment of this file). */
export const timesyncModule: DeriveModule = {
  id: "timesync",
  needs: ["chronyc-tracking"],
  provides,
  derive,
};
