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
/**
 * fs/ext4/inode.c (mpage_map_and_submit_extent, 3.13+; mpage_da_map_blocks before): `Delayed block
 * allocation failed for inode %lu at logical offset %llu with max blocks %u with error %d`, the
 * errno printed positive (-err); 2.6.32–3.10 print `delayed …` with the negative errno. For
 * ENOSPC it is printed only when ext4_count_free_clusters() is 0 (the filesystem has no free
 * block left); the dirty pages are then dropped.
 */
const EXT4_DELALLOC =
  /^(EXT[34])-fs \(([^)]+)\): [Dd]elayed block allocation failed for inode \d+ at logical offset \d+ with max blocks \d+ with error (-?\d+)/;
/**
 * The lines after it in fs/ext4/inode.c: `This should not happen!! Data will be lost` and, for
 * ENOSPC, ext4_print_free_blocks (`Total free blocks count %lld`, `Free/Dirty block details`,
 * `free_blocks=%lld`, `dirty_blocks=%lld`, `Block reservation details`,
 * `i_reserved_data_blocks=%u`, older `i_reserved_meta_blocks=%u`); 2.6.32 printed some with a
 * bare printk (no `EXT4-fs (dev): ` prefix, two blanks in `!!  Data`).
 */
const EXT4_DELALLOC_TAIL =
  /^(?:EXT[34]-fs \(([^)]+)\): )?(?:This should not happen!! +Data will be lost|Total free blocks count -?\d+|Free\/Dirty block details|free_blocks=-?\d+|dirty_blocks=-?\d+|Block reservation details|i_reserved_(?:data|meta)_blocks=\d+|i_allocated_meta_blocks=\d+)\s*$/;
/** errno 28 (ENOSPC), printed positive or negative. */
const ENOSPC = 28;
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
/**
 * fs/btrfs/messages.c: `BTRFS error (device %s): …`, `BTRFS critical (device %s): …`,
 * `BTRFS: error (device %s%s) in %s:%d: errno=%d %s` (__btrfs_handle_fs_error; fs/btrfs/super.c
 * before 6.2, `BTRFS error (device %s) in …` in 3.x). The device may be followed by ` state …`
 * (btrfs_state_to_string, 6.x).
 */
const BTRFS = /^BTRFS(?: (error|critical)|: error) \(device ([^)\s]+)[^)]*\)/;
/** btrfs_decode_error: -ENOSPC is printed `errno=-28 No space left`. */
const BTRFS_ENOSPC = /errno=-28 No space left/;
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

/**
 * ext4's delayed-allocation failure and the lines the kernel prints after it (one event); the
 * event says `enospc` for errno 28.
 */
function delallocFailure(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean {
  const m = EXT4_DELALLOC.exec(t);
  if (!m) return false;
  const e = fsEvent(r, p, raw, m[1].toLowerCase(), m[2]);
  if (Math.abs(Number(m[3])) === ENOSPC) e.enospc = true;
  const take = (_p: Prefixed, msg: string): Taken => {
    // `Data will be lost\n` is printed with a second newline: an empty line follows it.
    if (msg.trim() === "") return true;
    const tail = EXT4_DELALLOC_TAIL.exec(msg);
    return tail !== null && (tail[1] === undefined || tail[1] === e.device);
  };
  r.open({ event: e, take }, p);
  return true;
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
    if (BTRFS_ENOSPC.test(t)) e.enospc = true;
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
    if (delallocFailure(r, p, t, raw)) return true;
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
