import type { Collector } from "./types.js";

const SCRIPT = [
  "found=",
  "for d in /sys/block/*/device; do",
  '  [ -r "$d/ioerr_cnt" ] || continue',
  "  found=1",
  "  for f in iodone_cnt ioerr_cnt iotmo_cnt; do",
  '    [ -r "$d/$f" ] || continue',
  `    printf '==> %s <==\\n' "$d/$f"`,
  '    cat "$d/$f"',
  "  done",
  "done",
  '[ -n "$found" ] || { echo "/sys/block/*/device/ioerr_cnt: No such file or directory" >&2; exit 1; }',
  "",
].join("\n");

/**
 * Each SCSI disk's completed, failed and timed-out command counts (drivers/scsi/scsi_sysfs.c),
 * read at the start and the end of the window: failures that grow during the window are
 * errors now. A host whose disks are all NVMe or virtio-blk has none: skipped, saying so.
 */
export const scsiIoerr: Collector = {
  id: "scsi-ioerr",
  title: "SCSI command completions, errors and timeouts per disk (/sys/block/*/device/io*_cnt)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 65536,
  windowed: true,
  absent: {
    stderr: /ioerr_cnt: No such file or directory/,
    reason: "no SCSI disk (the disks are NVMe or virtio-blk, which keep no such counters)",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
