import type { RasAerEvents, RasMceRecords, RasMemoryEvents } from "../parsers/ras-mc-ctl.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n } from "./util.js";

/**
 * The RAS events rasdaemon recorded (`ras-mc-ctl --summary`), judged as history: the database
 * keeps every event since rasdaemon started recording, across reboots, with no time in the
 * summary, so these are counts over that whole record, not a rate and not the present.
 *
 * - Memory (`mc_event`, EDAC): `Uncorrected`, `Fatal` and `Deferred` (an uncorrectable error
 *   the hardware has not consumed yet, kernel include/linux/edac.h HW_EVENT_ERR_DEFERRED) are
 *   uncorrected; `Corrected` is corrected; `Info` is left out.
 * - MCE (`mce_record`): by the severity its message tells (src/parsers/ras-mc-ctl.ts);
 *   records whose message does not tell it (Intel decoding) are counted apart.
 * - PCIe AER (`aer_event`): by err_type (ras-aer-handler.c).
 */
const provides: ModuleFactSpec[] = [
  {
    path: "ras.uncorrected",
    type: "number",
    unit: "events",
    doc: "Uncorrected (Uncorrected, Fatal, Deferred) memory events and uncorrected or deferred machine-check records rasdaemon recorded since it started recording.",
    says: "{} uncorrected memory or machine-check events recorded by rasdaemon",
  },
  {
    path: "ras.corrected",
    type: "number",
    unit: "events",
    doc: "Corrected memory events and corrected machine-check records rasdaemon recorded since it started recording.",
    says: "{} corrected memory or machine-check events recorded by rasdaemon",
  },
  {
    path: "ras.mce.unknown",
    says: "{} machine-check records of unknown severity recorded by rasdaemon",
    type: "number",
    unit: "events",
    doc: "Machine-check records whose summary message does not tell the severity (Intel decoding: ras-mc-ctl --errors shows it).",
  },
  {
    path: "ras.worst.place",
    type: "string",
    doc: "The DIMM (label, else mc:top:middle:lower location) with the most uncorrected, then corrected, memory events; else `MCE: <message>` of the most numerous machine-check records.",
  },
  {
    path: "ras.worst.corrected",
    type: "number",
    unit: "events",
    doc: "Corrected events recorded on ras.worst.place.",
    says: "{} corrected events on the worst DIMM",
  },
  {
    path: "ras.worst.uncorrected",
    type: "number",
    unit: "events",
    doc: "Uncorrected events recorded on ras.worst.place.",
  },
  {
    path: "ras.aer.fatal",
    type: "number",
    unit: "events",
    doc: "PCIe AER events rasdaemon recorded as `Uncorrected (Fatal)`.",
    says: "{} fatal PCIe AER events recorded by rasdaemon",
  },
  {
    path: "ras.aer.nonfatal",
    type: "number",
    unit: "events",
    doc: "PCIe AER events rasdaemon recorded as `Uncorrected (Non-Fatal)`.",
    says: "{} non-fatal uncorrected PCIe AER events recorded by rasdaemon",
  },
  {
    path: "ras.aer.corrected",
    type: "number",
    unit: "events",
    doc: "PCIe AER events rasdaemon recorded as `Corrected`.",
  },
  {
    path: "ras.aer.worst",
    type: "string",
    doc: "The error of the most severe, then most numerous, PCIe AER group (`Completion Timeout`).",
  },
];

const UNCORRECTED_MEMORY = new Set(["Uncorrected", "Fatal", "Deferred"]);
const AER_RANK: Record<string, number> = {
  "Uncorrected (Fatal)": 3,
  "Uncorrected (Non-Fatal)": 2,
  Corrected: 1,
};

interface Place {
  name: string;
  corrected: number;
  uncorrected: number;
  /** The summary lines counted into this place. */
  lines: string[];
}

/** Memory groups by DIMM, then MCE groups by message, each with its corrected and uncorrected counts. */
function placesOf(memory: RasMemoryEvents[], mce: RasMceRecords[]): Place[] {
  const places = new Map<string, Place>();
  const add = (
    name: string,
    kind: "corrected" | "uncorrected" | undefined,
    count: number,
    line: string,
  ) => {
    let p = places.get(name);
    if (!p) {
      p = { name, corrected: 0, uncorrected: 0, lines: [] };
      places.set(name, p);
    }
    if (kind) p[kind] += count;
    p.lines.push(line);
  };
  for (const m of memory) {
    const count = n(m.count) ?? 0;
    const kind = UNCORRECTED_MEMORY.has(m.type)
      ? "uncorrected"
      : m.type === "Corrected"
        ? "corrected"
        : undefined;
    const line = `${m.type} on DIMM Label(s): '${m.label}' location: ${m.location} errors: ${count}`;
    add(m.label.trim() || m.location, kind, count, line);
  }
  for (const r of mce) {
    const count = n(r.count) ?? 0;
    const kind =
      r.severity === "corrected"
        ? "corrected"
        : r.severity === "unknown"
          ? undefined
          : "uncorrected";
    add(`MCE: ${r.message}`, kind, count, `MCE records: ${count} ${r.message} errors`);
  }
  return [...places.values()];
}

/** The memory and machine-check facts (see the header of this file). */
function deriveMemory(memory: RasMemoryEvents[], mce: RasMceRecords[], bag: FactBag): void {
  const places = placesOf(memory, mce);
  const sum = (k: "corrected" | "uncorrected") => places.reduce((t, p) => t + p[k], 0);
  const unknown = mce
    .filter((r) => r.severity === "unknown")
    .reduce((t, r) => t + (n(r.count) ?? 0), 0);
  const worst = [...places].sort(
    (a, b) => b.uncorrected - a.uncorrected || b.corrected - a.corrected,
  )[0];
  const line = worst ? worst.lines.join("; ") : "No Memory errors.; No MCE errors.";
  bag.set("ras.uncorrected", sum("uncorrected"), "ras-mc-ctl", line);
  bag.set("ras.corrected", sum("corrected"), "ras-mc-ctl", line);
  bag.set("ras.mce.unknown", unknown, "ras-mc-ctl", line);
  if (!worst) return;
  bag.set("ras.worst.place", worst.name, "ras-mc-ctl", line);
  bag.set("ras.worst.corrected", worst.corrected, "ras-mc-ctl", line);
  bag.set("ras.worst.uncorrected", worst.uncorrected, "ras-mc-ctl", line);
}

/** The PCIe AER facts (see the header of this file). */
function deriveAer(aer: RasAerEvents[], bag: FactBag): void {
  const count = (type: string) =>
    aer.filter((a) => a.type === type).reduce((t, a) => t + (n(a.count) ?? 0), 0);
  const worst = [...aer].sort(
    (a, b) =>
      (AER_RANK[b.type] ?? 0) - (AER_RANK[a.type] ?? 0) || (n(b.count) ?? 0) - (n(a.count) ?? 0),
  )[0];
  const line =
    aer.length === 0
      ? "No PCIe AER errors."
      : aer.map((a) => `${a.count} ${a.type} errors: ${a.message}`).join("; ");
  bag.set("ras.aer.fatal", count("Uncorrected (Fatal)"), "ras-mc-ctl", line);
  bag.set("ras.aer.nonfatal", count("Uncorrected (Non-Fatal)"), "ras-mc-ctl", line);
  bag.set("ras.aer.corrected", count("Corrected"), "ras-mc-ctl", line);
  if (worst) bag.set("ras.aer.worst", worst.message, "ras-mc-ctl", line);
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const f = factsOf(parsed, "ras-mc-ctl");
  if (!f) return bag;
  deriveMemory(arr<RasMemoryEvents>(f.memory), arr<RasMceRecords>(f.mce), bag);
  deriveAer(arr<RasAerEvents>(f.aer), bag);
  return bag;
}

/** The `ras` derive module (see the header comment of this file). */
export const rasModule: DeriveModule = {
  id: "ras",
  needs: ["ras-mc-ctl"],
  provides,
  derive,
};
