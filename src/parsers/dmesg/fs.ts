/**
 * Filesystem family: ext2/3/4 errors and read-only remounts, jbd2 journal aborts, XFS corruption,
 * I/O errors and shutdowns (one event per run of lines of the same device), btrfs errors, and
 * other read-only remounts. Sources: fs/ext4/super.c (__ext4_error, ext4_handle_error),
 * fs/ext4/page-io.c (ext4_end_bio), fs/jbd2/journal.c, fs/xfs/xfs_message.c, xfs_fsops.c and
 * xfs_error.c, fs/btrfs/messages.c, fs/super.c.
 */
import type { DiskEvent, FsErrorEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader, Taken } from "./reader.js";
import { Match } from "./text.js";
import { absorbTraceLine } from "./trace.js";

/** fs/ext4/super.c __ext4_error: `EXT4-fs error (device %s): %s:%d: …`; `EXT4-fs (%s): Remounting filesystem read-only`. */
const EXT_ERROR = /^(EXT[234])-fs (?:error|critical) \(device ([^)]+)\)/;
const EXT_RO =
  /^(EXT[234])-fs \(([^)]+)\): (?:Remounting filesystem read-only|error count since last fsck|[Dd]elayed block allocation failed|This should not happen!! Data will be lost|previous I\/O error to superblock detected|initial error at|last error at)/;
const EXT_IO = /^(EXT[234])-fs warning \(device ([^)]+)\): ext4_end_bio:\d+: I\/O error/;
/** fs/jbd2/journal.c: `Aborting journal on device %s.`, `JBD2: Detected IO errors while flushing file data on %s`. */
const JBD2 =
  /^(?:Aborting journal on device (\S+?)\.?$|JBD2: (?:Detected IO errors while flushing file data on|Error -?\d+ detected when updating journal superblock for) (\S+))/;
/** fs/xfs/xfs_message.c prefix `XFS (%s): `; xfs_fsops.c / xfs_error.c messages on corruption, I/O errors and shutdown. */
const XFS = /^XFS \(([^)]+)\): (.*)$/;
/**
 * XFS before its `XFS (%s): ` prefix (fs/xfs/xfs_rw.c, 2.6.9–2.6.32, cmn_err):
 * `Filesystem "%s": Corruption of in-memory data detected.  Shutting down filesystem: %s`,
 * `… I/O Error Detected. …`, and `xfs_force_shutdown(%s,0x%x) called from line %d of file %s.`
 */
const XFS_OLD =
  /^(?:Filesystem "([^"]+)": .*Shutting down filesystem|xfs_force_shutdown\(([^,]+),0x[\da-f]+\) called from line)/;
/** Remounting filesystem read-only of 2.6.24's ext4 (fs/ext4/super.c), a plain printk without the device. */
const BARE_RO = /^Remounting filesystem read-only$/;
const XFS_BAD =
  /corrupt|Corruption|CRC error|Internal error|metadata I\/O error|Log I\/O Error|xfs_do_force_shutdown|Filesystem has been shut down|I\/O Error Detected|Shutting down filesystem|Unmount and run xfs_repair|log recovery failed/;
/** fs/btrfs/messages.c: `BTRFS error (device %s): …`, `BTRFS critical (device %s): …`, `BTRFS: error (device %s) in …`. */
const BTRFS = /^BTRFS(?: (error|critical)|: error) \(device ([^)]+)\)/;
/** fs/super.c / ext4/xfs: other read-only remounts. */
const REMOUNT_RO =
  /^(\w+)(?:-fs)? \(([^)]+)\): .*(?:Remounting filesystem read-only|remounting read-only|mounted filesystem read-only)/i;

/** A following line of an XFS report: lines of the same device, and the call trace of a shutdown. */
function takeXfsLine(e: FsErrorEvent, device: string, msg: string): Taken {
  const m = XFS.exec(msg);
  if (m && m[1] === device) {
    if (/shut(?:ting)? ?down/i.test(m[2])) e.shutdown = true;
    if (/corrupt/i.test(m[2])) e.corruption = true;
    return true;
  }
  return absorbTraceLine(msg, undefined);
}

function fsEvent(
  r: KernelLogReader,
  p: Prefixed,
  raw: string,
  fs: string,
  device: string,
): FsErrorEvent {
  return { ...r.base("fs-error", p, raw), kind: "fs-error", fs, device };
}

/** The one-line errors (all but XFS). */
function singleLine(
  r: KernelLogReader,
  p: Prefixed,
  t: string,
  raw: string,
): FsErrorEvent | DiskEvent | null {
  const mt = new Match();
  if (mt.test(EXT_ERROR, t) || mt.test(EXT_RO, t)) {
    const e = fsEvent(r, p, raw, mt.m[1].toLowerCase(), mt.m[2]);
    if (/read-only/.test(t)) e.read_only = true;
    if (/corrupt|checksum|bad (?:block|header|extent|entry)/i.test(t)) e.corruption = true;
    return e;
  }
  if (mt.test(EXT_IO, t)) {
    const e: DiskEvent = {
      ...r.base("io-error", p, raw),
      kind: "io-error",
      device: mt.m[2],
      error: "I/O",
    };
    if (/writing/.test(t)) e.operation = "WRITE";
    return e;
  }
  if (mt.test(JBD2, t)) return fsEvent(r, p, raw, "jbd2", mt.m[1] ?? mt.m[2]);
  return null;
}

function laterLine(r: KernelLogReader, p: Prefixed, t: string, raw: string): FsErrorEvent | null {
  const mt = new Match();
  if (mt.test(BTRFS, t)) {
    const e = fsEvent(r, p, raw, "btrfs", mt.m[2]);
    if (/corrupt/i.test(t)) e.corruption = true;
    if (/read-only|forced readonly/i.test(t)) e.read_only = true;
    return e;
  }
  if (mt.test(REMOUNT_RO, t)) {
    return { ...fsEvent(r, p, raw, mt.m[1].toLowerCase(), mt.m[2]), read_only: true };
  }
  return null;
}

export const filesystem: Family = {
  name: "filesystem",
  sources: [
    "fs/ext4/super.c",
    "fs/ext4/page-io.c",
    "fs/jbd2/journal.c",
    "fs/xfs/xfs_message.c",
    "fs/xfs/xfs_fsops.c",
    "fs/xfs/xfs_error.c",
    "fs/xfs/xfs_rw.c",
    "fs/ext4/inode.c",
    "fs/btrfs/messages.c",
    "fs/super.c",
  ],
  classify(r, p, t, raw) {
    const one = singleLine(r, p, t, raw);
    if (one) {
      return r.single(one);
    }
    const x = XFS.exec(t);
    if (x && XFS_BAD.test(x[2])) {
      const device = x[1];
      const e = fsEvent(r, p, raw, "xfs", device);
      if (/shut(?:ting)? ?down/i.test(x[2])) e.shutdown = true;
      if (/corrupt|CRC error/i.test(x[2])) e.corruption = true;
      r.open({ event: e, take: (_p, msg) => takeXfsLine(e, device, msg) }, p);
      return true;
    }
    const old = XFS_OLD.exec(t);
    if (old) {
      const e = fsEvent(r, p, raw, "xfs", old[1] ?? old[2] ?? "");
      delete e.device; // the name printed is the filesystem's, not always its device
      e.shutdown = true;
      if (/Corruption/.test(t)) e.corruption = true;
      return r.single(e);
    }
    if (BARE_RO.test(t)) {
      const e = fsEvent(r, p, raw, "ext3/ext4", "");
      delete e.device;
      e.read_only = true;
      return r.single(e);
    }
    const later = laterLine(r, p, t, raw);
    if (!later) return false;
    return r.single(later);
  },
};
