import type { SmartAttribute, SmartDisk } from "../parsers/smartctl.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf } from "./util.js";

/**
 * The disks' own health reports (`smartctl`), for the disk with the strongest sign of failing:
 *
 * - the drive's verdict: ATA/NVMe overall-health `FAILED!`, a SCSI health status other than OK
 *   (smartctl(8) `-H`);
 * - ATA attributes by ID (smartctl(8) `-A`; the IDs' meaning is the common one that
 *   smartmontools' drive database and Backblaze's drive stats use): 5 Reallocated_Sector_Ct,
 *   197 Current_Pending_Sector, 198 Offline_Uncorrectable (raw counts of sectors), 199
 *   UDMA_CRC_Error_Count (transfer errors on the link: the cable or backplane, not the media),
 *   and any attribute whose WHEN_FAILED is FAILING_NOW (its VALUE at or below THRESH);
 * - the NVMe SMART/Health Information log (NVMe base specification, log page 02h): Critical
 *   Warning, Media and Data Integrity Errors, Available Spare against its Threshold;
 * - SCSI `Elements in grown defect list` (blocks the drive remapped).
 *
 * Only disks that gave SMART data count; those that could not (a VM's virtio disk, a RAID
 * volume) are named in a note. When no disk shows a sign, the first one read is the subject, so
 * the rules say "fine" for it.
 */
const provides: ModuleFactSpec[] = [
  {
    path: "smart.disks",
    type: "number",
    unit: "disks",
    doc: "Disks that gave SMART data (smartctl -H -A); those without SMART support are not counted.",
  },
  {
    path: "smart.worst.device",
    type: "string",
    doc: "The disk with the strongest sign of failing (its device path; its model when the output named no device).",
  },
  {
    path: "smart.worst.protocol",
    says: "the worst disk's SMART protocol is {}",
    type: "string",
    doc: "`ata`, `nvme`, `scsi`, or `unknown`: which of smart.worst's counters exist.",
  },
  {
    path: "smart.worst.signs",
    type: "string",
    doc: "The failure signs of smart.worst.device in words (`overall-health FAILED!, 4049 reallocated sectors`), `none` when it shows none.",
  },
  {
    path: "smart.worst.health_failed",
    type: "boolean",
    doc: "True when the drive's own verdict is failing: overall-health FAILED! (ATA, NVMe), SMART Health Status not OK (SCSI).",
    says: {
      yes: "the drive's self-assessment says FAILED",
      no: "the drive's self-assessment passed",
    },
  },
  {
    path: "smart.worst.failing_now",
    type: "number",
    unit: "attributes",
    doc: "ATA attributes whose WHEN_FAILED is FAILING_NOW (normalised VALUE at or below THRESH).",
    says: "{} SMART attributes failing now",
  },
  {
    path: "smart.worst.reallocated",
    type: "number",
    unit: "sectors",
    doc: "Raw value of ATA attribute 5 Reallocated_Sector_Ct (0 when the drive keeps no such attribute).",
    says: "{} reallocated sectors",
  },
  {
    path: "smart.worst.pending",
    type: "number",
    unit: "sectors",
    doc: "Raw value of ATA attribute 197 Current_Pending_Sector: unreadable sectors waiting to be remapped (0 when the drive keeps no such attribute).",
    says: "{} pending sectors",
  },
  {
    path: "smart.worst.uncorrectable",
    type: "number",
    unit: "sectors",
    doc: "Raw value of ATA attribute 198 Offline_Uncorrectable: sectors the offline scan could not read (0 when the drive keeps no such attribute).",
    says: "{} offline-uncorrectable sectors",
  },
  {
    path: "smart.worst.crc_errors",
    type: "number",
    unit: "errors",
    doc: "Raw value of ATA attribute 199 UDMA_CRC_Error_Count: transfers corrupted on the link (cable, backplane), not on the media (0 when absent).",
    says: "{} interface CRC errors",
  },
  {
    path: "smart.worst.nvme_critical_warning",
    type: "number",
    unit: "bit mask",
    doc: "NVMe Critical Warning: bit 0 spare below threshold, 1 temperature, 2 reliability degraded, 3 read-only, 4 volatile memory backup failed.",
    says: "NVMe critical warning {}",
  },
  {
    path: "smart.worst.nvme_media_errors",
    type: "number",
    unit: "errors",
    doc: "NVMe Media and Data Integrity Errors: unrecovered data integrity errors since manufacture.",
    says: "{} NVMe media and data integrity errors",
  },
  {
    path: "smart.worst.nvme_spare_pct",
    says: "NVMe available spare at {}",
    type: "number",
    unit: "%",
    doc: "NVMe Available Spare: the spare capacity left.",
  },
  {
    path: "smart.worst.nvme_spare_threshold_pct",
    says: "NVMe available spare threshold {}",
    type: "number",
    unit: "%",
    doc: "NVMe Available Spare Threshold: below it the controller raises critical warning bit 0.",
  },
  {
    path: "smart.worst.grown_defects",
    type: "number",
    unit: "blocks",
    doc: "SCSI Elements in grown defect list: blocks the drive remapped since it left the factory (0 when the output has no such line, as for an array's LUN).",
    says: "{} grown defects",
  },
];

const ID = { reallocated: 5, pending: 197, uncorrectable: 198, crc: 199 } as const;

/** Raw count of the attribute with this ID, 0 when the table has none. */
function raw(attrs: SmartAttribute[], id: number): number {
  return attrs.find((a) => a.id === id)?.raw ?? 0;
}

interface Reading {
  disk: SmartDisk;
  name: string;
  signs: string[];
  /** Strength of the strongest sign, for choosing the worst disk. */
  score: number;
}

/** `1 pending sector`, `160 pending sectors`. */
function counted(k: number, what: string): string {
  return `${k} ${what}${k === 1 ? "" : "s"}`;
}

/** NVMe Critical Warning bits 0-5 (NVMe base specification, SMART / Health Information log). */
const WARNING_BITS = [
  "spare below threshold",
  "temperature",
  "reliability degraded",
  "read-only",
  "volatile memory backup failed",
  "persistent memory read-only",
];

/** `0x09 (spare below threshold, read-only)`. */
function warningText(mask: number): string {
  const bits = WARNING_BITS.filter((_, i) => mask & (1 << i));
  return `0x${mask.toString(16).padStart(2, "0")}${bits.length > 0 ? ` (${bits.join(", ")})` : ""}`;
}

/** The failure signs of one disk, strongest first, with the strength of the first. */
function signsOf(disk: SmartDisk): { signs: string[]; score: number } {
  const found: [number, string][] = [];
  if (disk.health_failed) found.push([100, `health ${disk.health}`]);
  const attrs = disk.attributes;
  for (const a of attrs.filter((x) => x.when_failed === "FAILING_NOW")) {
    found.push([90, `${a.name} FAILING_NOW`]);
  }
  const v = disk.nvme;
  if (v?.critical_warning)
    found.push([80, `NVMe critical warning ${warningText(v.critical_warning)}`]);
  if (v?.media_errors) found.push([80, counted(v.media_errors, "NVMe media error")]);
  const spare = v?.available_spare;
  const floor = v?.available_spare_threshold;
  if (spare !== undefined && floor !== undefined && spare < floor) {
    found.push([80, `available spare ${spare} % below its ${floor} % threshold`]);
  }
  const [pending, unc] = [raw(attrs, ID.pending), raw(attrs, ID.uncorrectable)];
  if (pending) found.push([70, counted(pending, "pending sector")]);
  if (unc) found.push([70, counted(unc, "offline-uncorrectable sector")]);
  const reallocated = raw(attrs, ID.reallocated);
  if (reallocated) found.push([30, counted(reallocated, "reallocated sector")]);
  if (disk.grown_defects) found.push([30, counted(disk.grown_defects, "grown defect")]);
  const crc = raw(attrs, ID.crc);
  if (crc) found.push([10, `${counted(crc, "interface CRC error")} (cable or backplane)`]);
  found.sort((a, b) => b[0] - a[0]);
  return { signs: found.map((f) => f[1]), score: found[0]?.[0] ?? 0 };
}

/** The excerpt quoted for the worst disk: its verdict and the lines behind its signs. */
function excerptOf(r: Reading): string {
  const d = r.disk;
  const parts = [d.health !== undefined ? `${r.name}: health ${d.health}` : r.name];
  for (const a of d.attributes) {
    if (a.when_failed === "FAILING_NOW" || (Object.values(ID) as number[]).includes(a.id)) {
      parts.push(
        `${a.id} ${a.name} VALUE ${a.value} THRESH ${a.thresh ?? "---"} ${a.when_failed} RAW ${a.raw_text}`,
      );
    }
  }
  const v = d.nvme;
  if (v) {
    parts.push(
      `Critical Warning ${v.critical_warning === undefined ? "?" : warningText(v.critical_warning)}, Media and Data Integrity Errors ${v.media_errors ?? "?"}, Available Spare ${v.available_spare ?? "?"} % (threshold ${v.available_spare_threshold ?? "?"} %)`,
    );
  }
  if (d.grown_defects !== undefined)
    parts.push(`Elements in grown defect list: ${d.grown_defects}`);
  return parts.join("; ");
}

function setWorst(bag: FactBag, r: Reading): void {
  const d = r.disk;
  const line = excerptOf(r);
  const set = (path: string, value: number | string | boolean | undefined) =>
    bag.set(`smart.worst.${path}`, value, "smartctl", line);
  set("device", r.name);
  set("protocol", d.protocol ?? "unknown");
  set("signs", r.signs.length > 0 ? r.signs.join(", ") : "none");
  set("health_failed", d.health_failed);
  if (d.protocol === "ata") {
    set("failing_now", d.attributes.filter((a) => a.when_failed === "FAILING_NOW").length);
    set("reallocated", raw(d.attributes, ID.reallocated));
    set("pending", raw(d.attributes, ID.pending));
    set("uncorrectable", raw(d.attributes, ID.uncorrectable));
    set("crc_errors", raw(d.attributes, ID.crc));
  }
  set("nvme_critical_warning", d.nvme?.critical_warning);
  set("nvme_media_errors", d.nvme?.media_errors);
  set("nvme_spare_pct", d.nvme?.available_spare);
  set("nvme_spare_threshold_pct", d.nvme?.available_spare_threshold);
  // A SCSI LUN of a storage array prints no defect list: none the host can see.
  set("grown_defects", d.protocol === "scsi" ? (d.grown_defects ?? 0) : undefined);
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const disks = arr<SmartDisk>(factsOf(parsed, "smartctl")?.disks);
  const readings: Reading[] = [];
  for (const disk of disks) {
    const name = disk.device || disk.model || "the disk";
    if (disk.smart !== "available") {
      bag.note(`smartctl: ${name} gave no SMART data (${disk.reason ?? disk.smart})`);
      continue;
    }
    readings.push({ disk, name, ...signsOf(disk) });
  }
  if (readings.length === 0) return bag;
  bag.set("smart.disks", readings.length, "smartctl");
  // The first of the strongest: a stable choice when several disks tie.
  const worst = readings.reduce((w, r) => (r.score > w.score ? r : w));
  setWorst(bag, worst);
  return bag;
}

/** The `smart` derive module (see the header comment of this file). */
export const smartModule: DeriveModule = {
  id: "smart",
  needs: ["smartctl"],
  provides,
  derive,
};
