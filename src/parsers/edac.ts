import { ProblemLog, sysfsFiles } from "./sysfs-files.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `edac`: the error counters of each EDAC memory controller and of each DIMM (or
 * rank) it has, from
 *
 * ```
 * ==> /sys/devices/system/edac/mc/mc0/ce_count <==
 * 12
 * ==> /sys/devices/system/edac/mc/mc0/ue_count <==
 * 0
 * ==> /sys/devices/system/edac/mc/mc0/seconds_since_reset <==
 * 86400
 * ==> /sys/devices/system/edac/mc/mc0/dimm0/dimm_label <==
 * CPU_SrcID#0_Ha#0_Chan#0_DIMM#0
 * ==> /sys/devices/system/edac/mc/mc0/dimm0/dimm_ce_count <==
 * 12
 * ```
 * Yields: `controllers[0].mc = "mc0"`, `controllers[0].ce_count = 12`, `controllers[0].ue_count = 0`.
 * Yields: `controllers[0].seconds_since_reset = 86400`, `controllers[0].dimms[0].ce_count = 12`.
 * Yields: `controllers[0].dimms[0].label = "CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"`.
 *
 * Counts are of errors since the driver loaded or since a write to `reset_counters`
 * (`seconds_since_reset` ago). `ce_noinfo_count`/`ue_noinfo_count` are errors the driver could
 * not place on a DIMM. Each value is printed `%u\n` (`%lu` for seconds_since_reset).
 *
 * Source: kernel Documentation/admin-guide/ras.rst ("EDAC - Error Detection And Correction",
 * sysfs files of the memory controller and of its dimmX/rankX), drivers/edac/edac_mc_sysfs.c
 * (mci_ce_count_show, mci_ue_count_show, mci_seconds_show, dimmdev_ce_count_show,
 * dimmdev_ue_count_show, dimmdev_label_show).
 */
export interface EdacDimm {
  /** `dimm0` or `rank0` (a driver that knows ranks, not DIMMs). */
  name: string;
  /** The motherboard label (`dimm_label`), when set. */
  label?: string;
  /** Corrected errors on this DIMM. */
  ce_count?: number;
  /** Uncorrected errors on this DIMM. */
  ue_count?: number;
}

export interface EdacController {
  /** `mc0`. */
  mc: string;
  ce_count?: number;
  ue_count?: number;
  ce_noinfo_count?: number;
  ue_noinfo_count?: number;
  /** Seconds since the counters were last reset (the driver's load, or reset_counters). */
  seconds_since_reset?: number;
  dimms: EdacDimm[];
}

export interface EdacFacts {
  controllers: EdacController[];
}

const PATH = /(?:^|\/)(mc\d+)\/(?:((?:dimm|rank)\d+)\/)?([a-z_]+)$/;
const MC_FILES = new Set([
  "ce_count",
  "ue_count",
  "ce_noinfo_count",
  "ue_noinfo_count",
  "seconds_since_reset",
]);
const DIMM_FILES = new Set(["dimm_label", "dimm_ce_count", "dimm_ue_count"]);

function accept(path: string): boolean {
  const m = PATH.exec(path);
  return m !== null && (m[2] ? DIMM_FILES.has(m[3]) : MC_FILES.has(m[3]));
}

/**
 * Parses the EDAC sysfs counters (see {@link EdacFacts}). Throws UnrecognisedOutputError when
 * no memory-controller file was found.
 */
export function parseEdac(lines: Iterable<string>): ParseResult<EdacFacts> {
  const problems = new ProblemLog();
  const byMc = new Map<string, EdacController>();
  for (const f of sysfsFiles(lines, accept, problems)) {
    const [, mcName, dimmName, file] = PATH.exec(f.path) ?? [];
    let mc = byMc.get(mcName);
    if (!mc) {
      mc = { mc: mcName, dimms: [] };
      byMc.set(mcName, mc);
    }
    if (dimmName && file === "dimm_label") {
      dimmOf(mc, dimmName).label = f.value === "" ? undefined : f.value;
      continue;
    }
    if (!/^\d+$/.test(f.value)) {
      problems.add(f.line, f.value, `${file} is not a count`);
      continue;
    }
    const v = Number(f.value);
    if (dimmName) {
      const d = dimmOf(mc, dimmName);
      if (file === "dimm_ce_count") d.ce_count = v;
      else d.ue_count = v;
    } else {
      mc[file as "ce_count"] = v;
    }
  }
  if (byMc.size === 0) {
    throw new UnrecognisedOutputError("edac", "no /sys/devices/system/edac/mc/mcN file was found");
  }
  for (const mc of byMc.values())
    for (const d of mc.dimms) if (d.label === undefined) delete d.label;
  return { facts: { controllers: [...byMc.values()] }, problems: problems.list() };
}

function dimmOf(mc: EdacController, name: string): EdacDimm {
  let d = mc.dimms.find((x) => x.name === name);
  if (!d) {
    d = { name };
    mc.dimms.push(d);
  }
  return d;
}
