import type { EdacController, EdacDimm } from "../parsers/edac.js";
import type { ScsiDeviceCounters } from "../parsers/scsi-ioerr.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, counter, factsOf, n, round, startOf } from "./util.js";

/**
 * Hardware error counters the kernel keeps apart from its log:
 *
 * - EDAC (`edac`): corrected (CE) and uncorrected (UE) memory errors per memory controller and
 *   per DIMM since the counters were reset (kernel Documentation/admin-guide/ras.rst,
 *   drivers/edac/edac_mc_sysfs.c). The corrected rate is per 24 h, the unit of mcelog's DIMM
 *   threshold (`ce-error-threshold = 10 / 24h`, mcelog.conf(5)); counters younger than a day
 *   count as one day, so a fresh reset never inflates the rate.
 * - SCSI (`scsi-ioerr`): commands each disk completed with a nonzero result and commands that
 *   timed out (drivers/scsi/scsi_lib.c scsi_complete, scsi_error.c scsi_timeout), read at the
 *   start and the end of the window. CD/DVD drives (`sr*`) are left out: an empty drive answers
 *   the media poll's TEST UNIT READY with NOT READY, a nonzero result (drivers/scsi/sr.c).
 */
const provides: ModuleFactSpec[] = [
  {
    path: "edac.ce",
    type: "number",
    unit: "errors",
    from: ["edac"],
    doc: "Corrected memory errors the EDAC controllers counted since their reset (sum of mcN/ce_count).",
    says: "{} corrected memory errors counted by EDAC",
  },
  {
    path: "edac.ue",
    type: "number",
    unit: "errors",
    from: ["edac"],
    doc: "Uncorrected memory errors the EDAC controllers counted since their reset (sum of mcN/ue_count).",
    says: "{} uncorrected memory errors counted by EDAC",
  },
  {
    path: "edac.worst.dimm",
    type: "string",
    from: ["edac"],
    doc: "The DIMM (its label, else mcN/dimmN) with the most uncorrected, then corrected, errors; the controller when no DIMM has counters.",
  },
  {
    path: "edac.worst.ce",
    type: "number",
    unit: "errors",
    from: ["edac"],
    doc: "Corrected errors of edac.worst.dimm.",
  },
  {
    path: "edac.ce_per_day",
    type: "number",
    unit: "errors/24 h",
    from: ["edac"],
    doc: "Corrected errors of edac.worst.dimm per 24 h since the reset (a reset less than a day ago counts as one day).",
    says: "{} corrected errors a day on the worst DIMM",
  },
  {
    path: "edac.hours_since_reset",
    type: "number",
    unit: "h",
    from: ["edac"],
    doc: "Hours since the worst DIMM's controller reset its counters (seconds_since_reset).",
  },
  {
    path: "scsi.worst.device",
    type: "string",
    from: ["scsi-ioerr"],
    doc: "The SCSI disk with the most failed commands (over the window when read twice, else since its probe); CD/DVD drives left out.",
  },
  {
    path: "scsi.worst.ioerr",
    type: "number",
    unit: "commands",
    from: ["scsi-ioerr"],
    doc: "Commands scsi.worst.device completed with a nonzero result (ioerr_cnt growth).",
    says: "{} failed SCSI commands",
  },
  {
    path: "scsi.worst.iotmo",
    type: "number",
    unit: "commands",
    from: ["scsi-ioerr"],
    doc: "Commands of scsi.worst.device that timed out (iotmo_cnt growth).",
  },
  {
    path: "scsi.worst.iodone",
    type: "number",
    unit: "commands",
    from: ["scsi-ioerr"],
    doc: "Commands scsi.worst.device completed (iodone_cnt growth).",
  },
  {
    path: "scsi.over_window",
    type: "boolean",
    from: ["scsi-ioerr"],
    doc: "True when the SCSI counts are growth over the window (start and end reads), false when totals since the disks' probe.",
    says: { yes: "SCSI counts over the window", no: "SCSI counts since the disks' probe" },
  },
];

const DAY_S = 86400;

/** `CPU_SrcID#0_Ha#0_Chan#0_DIMM#0`, else `mc0/dimm0`. */
function dimmName(mc: EdacController, d: EdacDimm): string {
  return d.label ?? `${mc.mc}/${d.name}`;
}

/** The EDAC facts (see the header of this file). */
function deriveEdac(parsed: ParsedSet, bag: FactBag): void {
  const mcs = arr<EdacController>(factsOf(parsed, "edac")?.controllers);
  if (mcs.length === 0) return;
  const sum = (k: "ce_count" | "ue_count") => mcs.reduce((t, mc) => t + (n(mc[k]) ?? 0), 0);
  const ce = sum("ce_count");
  const ue = sum("ue_count");
  // Each place with counters: a DIMM, or the controller itself when it lists none.
  const places = mcs.flatMap((mc) => {
    const dimms = arr<EdacDimm>(mc.dimms).filter((d) => d.ce_count !== undefined);
    if (dimms.length === 0) {
      return [{ mc, name: mc.mc, ce: n(mc.ce_count) ?? 0, ue: n(mc.ue_count) ?? 0, file: "" }];
    }
    return dimms.map((d) => ({
      mc,
      name: dimmName(mc, d),
      ce: n(d.ce_count) ?? 0,
      ue: n(d.ue_count) ?? 0,
      file: `${d.name}/dimm_`,
    }));
  });
  const worst = [...places].sort((a, b) => b.ue - a.ue || b.ce - a.ce)[0];
  const since = n(worst.mc.seconds_since_reset);
  const line =
    `${worst.mc.mc}: ce_count ${n(worst.mc.ce_count) ?? "?"}, ue_count ${n(worst.mc.ue_count) ?? "?"}` +
    (worst.file
      ? `; ${worst.name}: ${worst.file}ce_count ${worst.ce}, ${worst.file}ue_count ${worst.ue}`
      : "") +
    (since !== undefined ? `; seconds_since_reset ${since}` : "");
  bag.set("edac.ce", ce, "edac", line);
  bag.set("edac.ue", ue, "edac", line);
  if (worst.ce + worst.ue === 0) return;
  bag.set("edac.worst.dimm", worst.name, "edac", line);
  bag.set("edac.worst.ce", worst.ce, "edac", line);
  if (since !== undefined) {
    bag.set("edac.ce_per_day", round((worst.ce * DAY_S) / Math.max(since, DAY_S), 1), "edac", line);
    bag.set("edac.hours_since_reset", round(since / 3600, 1), "edac", line);
  }
}

/** The SCSI command counters (see the header of this file). */
function deriveScsi(parsed: ParsedSet, ctx: DeriveContext, bag: FactBag): void {
  const end = arr<ScsiDeviceCounters>(factsOf(parsed, "scsi-ioerr")?.devices).filter(
    (d) => !/^sr\d/.test(d.device),
  );
  if (end.length === 0) return;
  const start = arr<ScsiDeviceCounters>(startOf(parsed, "scsi-ioerr")?.devices);
  const rows = end.map((d) => {
    const s = start.find((x) => x.device === d.device);
    const read = (k: "ioerr_cnt" | "iotmo_cnt" | "iodone_cnt") =>
      counter(n(d[k]), s ? n(s[k]) : undefined, ctx.windowSeconds);
    return { d, err: read("ioerr_cnt"), tmo: read("iotmo_cnt"), done: read("iodone_cnt") };
  });
  const worst = rows.sort((a, b) => (b.err?.delta ?? -1) - (a.err?.delta ?? -1))[0];
  if (!worst.err) return;
  const window = worst.err.mode === "window";
  if (!window) bag.sinceBoot = true;
  const hex = (v: number | undefined) => (v === undefined ? "?" : `0x${v.toString(16)}`);
  const line = `/sys/block/${worst.d.device}/device: iodone_cnt ${hex(n(worst.d.iodone_cnt))}, ioerr_cnt ${hex(n(worst.d.ioerr_cnt))}, iotmo_cnt ${hex(n(worst.d.iotmo_cnt))}${window ? ` (+${worst.err.delta} errors over the window)` : ""}`;
  bag.set("scsi.worst.device", worst.d.device, "scsi-ioerr", line);
  bag.set("scsi.worst.ioerr", worst.err.delta, "scsi-ioerr", line);
  bag.set("scsi.worst.iotmo", worst.tmo?.delta, "scsi-ioerr", line);
  bag.set("scsi.worst.iodone", worst.done?.delta, "scsi-ioerr", line);
  bag.set("scsi.over_window", window, "scsi-ioerr", line);
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  deriveEdac(parsed, bag);
  deriveScsi(parsed, ctx, bag);
  return bag;
}

/** The `hw-errors` derive module (see the header comment of this file). */
export const hwErrorsModule: DeriveModule = {
  id: "hw-errors",
  needs: ["edac", "scsi-ioerr"],
  provides,
  derive,
};
