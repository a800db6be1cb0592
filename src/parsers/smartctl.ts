import { ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `smartctl`: each disk's own health report, one `smartctl -i -H -A` output per disk
 * under a `==> /dev/sda <==` marker (a single output without markers is one disk named ""):
 *
 * ```
 * ==> /dev/sda <==
 * === START OF READ SMART DATA SECTION ===
 * SMART overall-health self-assessment test result: PASSED
 * ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE
 *   5 Reallocated_Sector_Ct   0x0033   100   100   036    Pre-fail  Always       -       0
 * ==> /dev/nvme0 <==
 * SMART overall-health self-assessment test result: PASSED
 * Critical Warning:                   0x09
 * Available Spare:                    100%
 * Available Spare Threshold:          10%
 * Media and Data Integrity Errors:    0
 * ```
 * Yields: `disks[0].device = "/dev/sda"`, `disks[0].health = "PASSED"`, `disks[0].attributes[0].raw = 0`.
 * Yields: `disks[0].attributes[0].name = "Reallocated_Sector_Ct"`, `disks[0].attributes[0].when_failed = "-"`.
 * Yields: `disks[1].nvme.critical_warning = 9`, `disks[1].nvme.available_spare = 100`, `disks[1].nvme.media_errors = 0`.
 *
 * What each part says (smartctl(8), smartmontools ataprint.cpp, scsiprint.cpp, nvmeprint.cpp):
 * - ATA and NVMe: `SMART overall-health self-assessment test result: PASSED` or `FAILED!`
 *   (the drive's own verdict, SMART RETURN STATUS / the NVMe critical warning).
 * - SCSI/SAS: `SMART Health Status: OK`, or the informational exception's text
 *   (`... [asc=5d, ascq=10]`): anything but OK is the drive predicting its failure.
 *   `Elements in grown defect list: N` counts the blocks it remapped (SCSI's reallocations).
 * - ATA attributes, in smartctl's default layout (`FLAG 0x0033 ... TYPE UPDATED WHEN_FAILED`)
 *   or `--format=brief` (`FLAGS PO--CK ... FAIL`): WHEN_FAILED `FAILING_NOW` (brief `NOW`)
 *   means VALUE is at or below THRESH now, `In_the_past` (brief `Past`) that WORST was; THRESH
 *   `---` is a vendor's "no threshold". RAW_VALUE keeps its text; `raw` is its leading integer
 *   (`4273 (5 89 0)` → 4273).
 * - NVMe `SMART/Health Information` (NVMe base specification, log page 02h): Critical
 *   Warning (bit mask, printed `0x%02x`), Available Spare and its Threshold (%), Percentage
 *   Used (%), Media and Data Integrity Errors, Error Information Log Entries; counts are
 *   printed with thousands separators (`119,699`).
 * - A disk that cannot report: `Device does not support SMART`, `SMART support is:
 *   Unavailable`, `Unable to detect device type`, `Smartctl open device: ... failed: ...`,
 *   `Device is in STANDBY mode` (`-n standby` did not wake it): `smart` says which, and the
 *   disk has no health.
 *
 * Lines smartctl prints that say nothing of health (identity, capabilities, logs, the flag
 * legend) are read past; only a line inside a recognised table that does not parse, or text
 * before any smartctl output in a section, is a problem.
 */
export interface SmartAttribute {
  id: number;
  name: string;
  value: number;
  worst: number;
  /** Undefined for THRESH `---` (no threshold). */
  thresh?: number;
  /** `-`, `FAILING_NOW` or `In_the_past` (brief `NOW`/`Past` written the same way). */
  when_failed: string;
  /** Leading integer of RAW_VALUE. */
  raw?: number;
  raw_text: string;
}

export interface NvmeHealth {
  critical_warning?: number;
  /** %. */
  available_spare?: number;
  /** %. */
  available_spare_threshold?: number;
  /** %, may pass 100. */
  percentage_used?: number;
  media_errors?: number;
  error_log_entries?: number;
}

export interface SmartDisk {
  /** The `==> ... <==` marker (`/dev/sda`), "" for an output without one. */
  device: string;
  /** `ata`, `scsi`, `nvme`, or undefined when the output does not say. */
  protocol?: "ata" | "scsi" | "nvme";
  /** Device Model / Model Number / Vendor Product, when `-i` printed it. */
  model?: string;
  /** `available`, or why the disk gave no SMART data. */
  smart: "available" | "unsupported" | "unreadable" | "standby";
  /** The reason smartctl gave when `smart` is not `available`. */
  reason?: string;
  /** `PASSED`, `FAILED`, `OK` (SCSI), or the SCSI exception text. */
  health?: string;
  /** True when the drive itself says it is failing (FAILED!, or a SCSI status not OK). */
  health_failed?: boolean;
  attributes: SmartAttribute[];
  nvme?: NvmeHealth;
  /** SCSI `Elements in grown defect list`. */
  grown_defects?: number;
}

export interface SmartctlFacts {
  disks: SmartDisk[];
}

const BANNER = /^smartctl (?:version )?\d/;
const HEALTH_ATA = /^SMART overall-health self-assessment test result: (\S+)/;
const HEALTH_SCSI = /^SMART Health Status: (.*)$/;
const ATTR_HEADER = /^ID# +ATTRIBUTE_NAME +FLAGS? +VALUE +WORST +THRESH/;
/** Default layout: ID NAME 0xFLAG VALUE WORST THRESH TYPE UPDATED WHEN_FAILED RAW. */
const ATTR_ROW =
  /^\s*(\d+)\s+(\S+)\s+0x[0-9a-f]{4}\s+(\d+)\s+(\d+)\s+(\d+|---)\s+(?:Pre-fail|Old_age)\s+(?:Always|Offline)\s+(\S+)\s+(\S.*?)\s*$/i;
/** `--format=brief`: ID NAME FLAGS VALUE WORST THRESH FAIL RAW. */
const ATTR_BRIEF =
  /^\s*(\d+)\s+(\S+)\s+[-P][-O][-S][-R][-C][-K]\+?\s+(\d+)\s+(\d+)\s+(\d+|---)\s+(\S+)\s+(\S.*?)\s*$/;
const LEGEND = /^\s*\|+_* ?[A-Z+] /;
const KEY_VALUE = /^([A-Za-z][^:]*?):\s+(.*?)\s*$/;
const UNAVAILABLE: [RegExp, SmartDisk["smart"]][] = [
  [
    /^Device does not support SMART|^SMART support is:\s+Unavailable|Unable to detect device type|^Device lacks SMART/,
    "unsupported",
  ],
  [
    /^Smartctl open device: .* failed|^Smartctl: Device Read Identity Failed|^A mandatory SMART command failed/,
    "unreadable",
  ],
  [/^Device is in (?:STANDBY|SLEEP|IDLE)\S* mode/, "standby"],
];
const WHEN_FAILED: Record<string, string> = { NOW: "FAILING_NOW", Past: "In_the_past" };

/** A count as smartctl prints it: `119,699`, `1 290`, `0x09`, `10%`. */
function count(text: string): number | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  const m = /^(\d[\d, ]*)%?(?:\s|$)/.exec(t);
  return m ? Number(m[1].replace(/[, ]/g, "")) : undefined;
}

const NVME_KEYS: Record<string, keyof NvmeHealth> = {
  "Critical Warning": "critical_warning",
  "Available Spare": "available_spare",
  "Available Spare Threshold": "available_spare_threshold",
  "Percentage Used": "percentage_used",
  "Media and Data Integrity Errors": "media_errors",
  "Error Information Log Entries": "error_log_entries",
};

/** Reads one attribute row, or undefined when the line is not one. */
function attribute(line: string): SmartAttribute | undefined {
  const m = ATTR_ROW.exec(line) ?? ATTR_BRIEF.exec(line);
  if (!m) return undefined;
  const raw = /^\d+/.exec(m[7]);
  return {
    id: Number(m[1]),
    name: m[2],
    value: Number(m[3]),
    worst: Number(m[4]),
    ...(m[5] === "---" ? {} : { thresh: Number(m[5]) }),
    when_failed: WHEN_FAILED[m[6]] ?? m[6],
    ...(raw ? { raw: Number(raw[0]) } : {}),
    raw_text: m[7],
  };
}

/** Reads a `Key: value` line of the identity or NVMe health part into `disk`. */
function keyValue(disk: SmartDisk, key: string, value: string): void {
  const nvmeKey = NVME_KEYS[key];
  if (nvmeKey) {
    disk.protocol = "nvme";
    const v = count(value);
    if (v !== undefined) disk.nvme = { ...disk.nvme, [nvmeKey]: v };
  } else if (key === "Device Model" || key === "Model Number" || key === "Product") {
    disk.model = disk.model ? `${disk.model} ${value}` : value;
  } else if (key === "Vendor") {
    disk.model = disk.model ? `${value} ${disk.model}` : value;
  } else if (key === "Elements in grown defect list") {
    disk.protocol = "scsi";
    disk.grown_defects = count(value);
  } else if (key === "ATA Version is" || key === "SATA Version is") {
    disk.protocol = "ata";
  } else if (key === "NVMe Version") {
    disk.protocol = "nvme";
  } else if (key === "Transport protocol") {
    disk.protocol = "scsi";
  }
}

/** Reads a health verdict line; true when `line` was one. */
function health(disk: SmartDisk, line: string): boolean {
  const ata = HEALTH_ATA.exec(line);
  if (ata) {
    disk.health = ata[1].replace(/!$/, "");
    disk.health_failed = disk.health !== "PASSED";
    return true;
  }
  const scsi = HEALTH_SCSI.exec(line);
  if (!scsi) return false;
  disk.health = scsi[1].trim();
  disk.health_failed = disk.health !== "OK";
  disk.protocol = "scsi";
  return true;
}

/** Reads one disk's section; false when nothing in it is smartctl's. */
function readDisk(
  disk: SmartDisk,
  lines: string[],
  firstLine: number,
  problems: ProblemLog,
): boolean {
  let seen = false;
  let inTable = false;
  lines.forEach((line, i) => {
    const n = firstLine + i;
    if (line.trim() === "") {
      inTable = false;
      return;
    }
    const off = UNAVAILABLE.find(([re]) => re.test(line));
    if (off) {
      disk.smart = off[1];
      disk.reason ??= line.trim();
      seen = true;
      return;
    }
    if (BANNER.test(line) || line.startsWith("=== START OF") || health(disk, line)) {
      seen = true;
      return;
    }
    if (ATTR_HEADER.test(line)) {
      seen = inTable = true;
      disk.protocol = "ata";
      return;
    }
    if (inTable) {
      const a = attribute(line);
      if (a) disk.attributes.push(a);
      else if (!LEGEND.test(line)) problems.add(n, line, "not a SMART attribute row");
      return;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv && seen) keyValue(disk, kv[1].trim(), kv[2]);
    else if (!seen) problems.add(n, line, "not smartctl output");
  });
  return seen;
}

/**
 * Parses the smartctl reports (see {@link SmartctlFacts}). Throws UnrecognisedOutputError
 * when no section holds anything smartctl prints.
 */
export function parseSmartctl(lines: Iterable<string>): ParseResult<SmartctlFacts> {
  const problems = new ProblemLog();
  const disks: SmartDisk[] = [];
  for (const s of sectionsOf(lines)) {
    const disk: SmartDisk = { device: s.path, smart: "available", attributes: [] };
    if (readDisk(disk, s.lines, s.firstLine, problems)) disks.push(disk);
  }
  if (disks.length === 0) {
    throw new UnrecognisedOutputError("smartctl", "no smartctl health report was found");
  }
  return { facts: { disks }, problems: problems.list() };
}
