/**
 * Block I/O family: I/O errors, medium errors and timeouts/resets of disks, from the block layer,
 * buffer heads, SCSI sense blocks, libata error handling and NVMe. A SCSI or ATA report (several
 * lines naming the same device or port) is one event, upgraded to the most severe kind its lines
 * show (io-error < disk-timeout-reset < medium-error). Sources: block/blk-core.c, fs/buffer.c,
 * drivers/scsi/scsi_logging.c, scsi_error.c and sd.c, drivers/ata/libata-eh.c,
 * drivers/nvme/host/core.c and pci.c.
 */
import type { DiskEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader, Taken } from "./reader.js";
import { Match } from "./text.js";

/** block/blk-core.c print_req_error / blk_print_req_error: `[%s: ]%s error, dev %s, sector %llu[ op 0x%x:(%s) flags …]` (≤ 4.12: `end_request: %s error, …`); names from blk_errors[]. */
const BLK_ERROR =
  /^(?:(\w+): )?(.+?) error, dev ([^\s,]+), sector (\d+)(?: op 0x[0-9a-f]+:\((\w+)\))?/;
/** fs/buffer.c: `Buffer I/O error on dev %pg, logical block %llu%s` (≤ 3.x: `on device %s`). */
const BUFFER_IO =
  /^Buffer I\/O error on (?:dev|device) ([^\s,]+), logical block (\d+)(?:, (lost (?:a?sync page )?write|async page read))?/;
/** fs/buffer.c (2.6.9–3.16): `lost page write due to I/O error on %s`. */
const LOST_PAGE_WRITE = /^lost page write due to I\/O error on (\S+)/;
/** drivers/nvme/host/core.c nvme_log_error: `%s: %s(0x%x) @ LBA %llu, %u blocks, %s (sct 0x%x / sc 0x%x) %s%s`. */
const NVME_ERROR =
  /^(nvme\d+n\d+): (\w[\w ]*)\(0x[0-9a-f]+\) @ LBA (\d+), \d+ blocks, (.+?) \(sct /;
/**
 * drivers/nvme/host/pci.c nvme_timeout (drivers/block/nvme-core.c ≤ 4.x, with the `nvme <PCI
 * address>: ` prefix before 4.9): `I/O %d QID %d timeout, aborting` / `, reset controller`; 6.x `I/O tag %d (%04x) opcode %#x (%s) QID %d timeout, …`; `controller is down; will reset`. */
const NVME_TIMEOUT =
  /^nvme (nvme\d+|[\da-f]{4}:[\da-f]{2}:[\da-f]{2}\.\d): (?:I\/O (?:tag )?\d+ .*QID \d+ timeout|controller is down; will reset|Failed status: (?:0x)?[\da-f]+, reset controller|Device not ready; aborting|resetting controller|Removing after probe failure|Disabling device after reset failure|Identify Controller failed)/;
/** drivers/scsi/sd.c / scsi_logging.c prefix: `sd 0:0:0:1: [sdb] `. */
const SCSI_PREFIX = /^(?:sd|sr|st|scsi) (\d+:\d+:\d+:\d+): (?:\[(\w+)\] )?(?:tag#\d+ )?(.*)$/;
/** drivers/scsi/scsi_logging.c scsi_print_sense_hdr: `Sense Key : %s [%s]`, `Add. Sense: %s`; scsi_print_result: `[FAILED ]Result: hostbyte=%s driverbyte=%s`. */
const SCSI_SENSE_KEY = /^Sense Key\s*:\s*(.+?)\s*(?:\[(?:current|deferred)\].*)?$/;
const SCSI_ADD_SENSE = /^Add\. Sense:\s*(.+?)\s*$/;
const SCSI_RESULT = /\bResult: hostbyte=(\w+)(?: driverbyte=(\w+))?/;
/** drivers/scsi/scsi_error.c / sd.c: `timing out command, waited %lus`, `Device offlined - not ready after error recovery`, `abort`, host resets; ≤ 2.6 `SCSI error: return code = 0x%08x`. */
const SCSI_TIMEOUT =
  /^(?:timing out command, waited (\d+)s|Device offlined - not ready after error recovery|rejecting I\/O to offline device|abort(?:ing command)?\b|.*\b(?:task abort|host reset|bus reset|device reset)\b)/i;
const SCSI_OLD_ERROR = /^SCSI error: return code = (0x[0-9a-f]+)/;
/** drivers/ata/libata-eh.c: `ata%u.%02u: exception Emask 0x%x SAct 0x%x SErr 0x%x action 0x%x[ frozen]`, `hard resetting link`, `failed command: %s`, `error: { %s }`, `… Emask 0x%x (%s)`. */
const ATA_LINE = /^(ata\d+(?:\.\d+)?): (.*)$/;
/** drivers/ata/libata-eh.c: the lines that start an ATA error report. */
const ATA_START =
  /^exception Emask|hard resetting link|^failed command|^error: \{|COMRESET failed|qc timeout|link is slow to respond|SError: \{/;

const SEVERITY_RANK: Record<string, number> = {
  "io-error": 0,
  "disk-timeout-reset": 1,
  "medium-error": 2,
};

function upgrade(e: DiskEvent, kind: DiskEvent["kind"]): void {
  if (SEVERITY_RANK[kind] > SEVERITY_RANK[e.kind]) e.kind = kind;
}

function blkDetail(e: DiskEvent, r: RegExpExecArray): void {
  const name = r[2];
  e.device ??= r[3];
  e.sector ??= Number(r[4]);
  if (r[5]) e.operation ??= r[5];
  e.error ??= name;
  if (/critical medium/.test(name)) upgrade(e, "medium-error");
  else if (/^timeout$/.test(name)) upgrade(e, "disk-timeout-reset");
}

function scsiDetail(e: DiskEvent, rest: string): void {
  const mt = new Match();
  if (mt.test(SCSI_SENSE_KEY, rest)) {
    e.error = mt.m[1];
    if (/Medium Error/i.test(mt.m[1])) upgrade(e, "medium-error");
  } else if (mt.test(SCSI_ADD_SENSE, rest)) {
    e.sense = mt.m[1];
    if (
      /unrecovered read error|unrecovered|auto reallocate failed|read retries exhausted|medium error/i.test(
        mt.m[1],
      )
    ) {
      upgrade(e, "medium-error");
    }
  } else if (mt.test(SCSI_RESULT, rest)) {
    e.hostbyte = mt.m[1];
    if (/DID_TIME_OUT|DID_ABORT|DID_RESET|DID_BUS_BUSY/.test(mt.m[1]))
      upgrade(e, "disk-timeout-reset");
  } else if (mt.test(/^CDB: (\w+)\((\d+)\)/, rest)) {
    e.operation ??= mt.m[1].toUpperCase();
  } else if (mt.test(SCSI_TIMEOUT, rest)) {
    upgrade(e, "disk-timeout-reset");
  } else if (mt.test(/Unrecovered read error|Medium Error/i, rest)) {
    upgrade(e, "medium-error");
  }
}

function ataDetail(e: DiskEvent, rest: string): void {
  const mt = new Match();
  if (
    /\bfrozen\b|hard resetting link|SError:.*\b|qc timeout|COMRESET failed|link is slow to respond|failed to IDENTIFY|soft resetting link/.test(
      rest,
    ) &&
    /frozen|resetting|timeout|COMRESET|slow to respond|IDENTIFY/.test(rest)
  ) {
    upgrade(e, "disk-timeout-reset");
  }
  if (mt.test(/^error: \{ ([^}]*) \}/, rest)) {
    e.error = mt.m[1].trim();
    if (/\bUNC\b/.test(mt.m[1])) upgrade(e, "medium-error");
    if (/\bIDNF\b|\bABRT\b|\bICRC\b/.test(mt.m[1]) && !e.error) e.error = mt.m[1].trim();
  } else if (
    mt.test(
      /Emask 0x[0-9a-f]+ \((media error|timeout|ATA bus error|device error|HSM violation)\)/,
      rest,
    )
  ) {
    if (mt.m[1] === "media error") upgrade(e, "medium-error");
    else if (mt.m[1] === "timeout") upgrade(e, "disk-timeout-reset");
    e.error ??= mt.m[1];
  } else if (mt.test(/^failed command: (.+)$/, rest)) {
    e.operation ??= mt.m[1].trim();
  }
}

/** A following line of a SCSI report: lines of the same device; the block-layer line ends it. */
function takeScsiLine(e: DiskEvent, key: string, state: { done: boolean }, msg: string): Taken {
  if (state.done) return false;
  const mt = new Match();
  if (mt.test(SCSI_PREFIX, msg) && (mt.m[2] ?? mt.m[1]) === key) {
    // a second failed command of the same device is another event
    if (SCSI_RESULT.test(mt.m[3]) && e.hostbyte !== undefined) return false;
    if (SCSI_SENSE_KEY.test(mt.m[3]) && e.error !== undefined && e.sense !== undefined)
      return false;
    scsiDetail(e, mt.m[3]);
    return true;
  }
  if (mt.test(BLK_ERROR, msg) && mt.m[3].startsWith(key)) {
    blkDetail(e, mt.m);
    state.done = true;
    return true;
  }
  return mt.test(BUFFER_IO, msg) && mt.m[1].startsWith(key);
}

/** A following line of an ATA error report: lines of the same port, until `EH complete`. */
function takeAtaLine(e: DiskEvent, port: string, msg: string): Taken {
  const mt = new Match();
  if (mt.test(ATA_LINE, msg) && mt.m[1].split(".")[0] === port) {
    ataDetail(e, mt.m[2]);
    return /^EH complete/.test(mt.m[2]) ? "end" : true;
  }
  if (mt.test(BLK_ERROR, msg)) {
    blkDetail(e, mt.m);
    return true;
  }
  if (/^\s+res [0-9a-f]{2}\//.test(msg)) {
    // the unstamped second line of `ata%u.%02u: cmd …` (drivers/ata/libata-eh.c)
    ataDetail(e, msg.trim());
    return true;
  }
  return false;
}

/** `sd H:C:T:L: [sdX] …`: opens a SCSI report when the line tells of a failure. */
function scsi(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean {
  const m = SCSI_PREFIX.exec(t);
  if (!m) return false;
  const key = m[2] ?? m[1];
  const rest = m[3];
  if (
    !(
      SCSI_SENSE_KEY.test(rest) ||
      SCSI_ADD_SENSE.test(rest) ||
      (SCSI_RESULT.test(rest) && /FAILED|failed|DID_(?!OK)/.test(rest)) ||
      /Unhandled (?:sense|error) code|Medium Error|Unrecovered read error/i.test(rest) ||
      SCSI_TIMEOUT.test(rest)
    )
  ) {
    return false;
  }
  const e: DiskEvent = { ...r.base("io-error", p, raw), kind: "io-error", device: key };
  scsiDetail(e, rest);
  const state = { done: false };
  r.open({ event: e, take: (_p, msg) => takeScsiLine(e, key, state, msg) }, p);
  return true;
}

/** `ataN.NN: …`: opens an ATA error report on the lines libata-eh prints first. */
function ata(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean {
  const m = ATA_LINE.exec(t);
  if (!m || !ATA_START.test(m[2])) return false;
  const port = m[1].split(".")[0];
  const e: DiskEvent = { ...r.base("io-error", p, raw), kind: "io-error", device: m[1] };
  ataDetail(e, m[2]);
  r.open({ event: e, take: (_p, msg) => takeAtaLine(e, port, msg) }, p);
  return true;
}

/** The one-line errors: block layer, buffer heads, NVMe, ≤ 2.6 SCSI. */
function singleLine(r: KernelLogReader, p: Prefixed, t: string, raw: string): DiskEvent | null {
  const mt = new Match();
  if (mt.test(BLK_ERROR, t)) {
    const e: DiskEvent = { ...r.base("io-error", p, raw), kind: "io-error" };
    blkDetail(e, mt.m);
    if (/^(?:timeout)$/.test(mt.m[2])) e.kind = "disk-timeout-reset";
    return e;
  }
  if (mt.test(BUFFER_IO, t)) {
    const e: DiskEvent = {
      ...r.base("io-error", p, raw),
      kind: "io-error",
      device: mt.m[1],
      logical_block: Number(mt.m[2]),
    };
    if (mt.m[3]) e.operation = /write/.test(mt.m[3]) ? "WRITE" : "READ";
    return e;
  }
  if (mt.test(LOST_PAGE_WRITE, t)) {
    return { ...r.base("io-error", p, raw), kind: "io-error", device: mt.m[1], operation: "WRITE" };
  }
  if (mt.test(NVME_ERROR, t)) {
    return {
      ...r.base("io-error", p, raw),
      kind: /Unrecovered Read Error|Write Fault|Compare Failure/i.test(mt.m[4])
        ? "medium-error"
        : "io-error",
      device: mt.m[1],
      sector: Number(mt.m[3]),
      operation: mt.m[2].trim().toUpperCase(),
      error: mt.m[4],
    };
  }
  if (mt.test(NVME_TIMEOUT, t)) {
    const e: DiskEvent = { ...r.base("disk-timeout-reset", p, raw), kind: "disk-timeout-reset" };
    if (mt.m[1].startsWith("nvme")) e.device = mt.m[1];
    return e;
  }
  return null;
}

export const block: Family = {
  name: "block",
  sources: [
    "block/blk-core.c",
    "fs/buffer.c",
    "drivers/scsi/scsi_logging.c",
    "drivers/scsi/scsi_error.c",
    "drivers/scsi/sd.c",
    "drivers/ata/libata-eh.c",
    "drivers/nvme/host/core.c",
    "drivers/nvme/host/pci.c",
  ],
  classify(r, p, t, raw) {
    if (scsi(r, p, t, raw)) return true;
    const e = singleLine(r, p, t, raw);
    if (e) {
      return r.single(e);
    }
    if (ata(r, p, t, raw)) return true;
    const old = SCSI_OLD_ERROR.exec(t);
    if (!old) return false;
    return r.single({
      ...r.base("disk-timeout-reset", p, raw),
      kind: "disk-timeout-reset",
      error: `return code ${old[1]}`,
    });
  },
};
