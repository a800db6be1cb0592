import type { DiskEvent, FsErrorEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Disks and filesystems: block I/O errors, medium errors, timeouts and resets (block/blk-core.c,
 * drivers/scsi, drivers/ata, drivers/nvme) and filesystem errors (fs/ext4, fs/xfs, fs/btrfs),
 * with the device named most often.
 */
export const disk: LogJudge = {
  name: "disk",
  provides: [
    {
      path: "ioerr.events",
      says: "{} block I/O error messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Block device error messages: I/O, medium, sense, ATA, NVMe timeouts and resets, filesystem I/O errors (current).",
    },
    { path: "ioerr.device", type: "string", from: LOG, doc: "Device named most often." },
    {
      path: "ioerr.medium",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Medium errors (unrecovered read errors, bad sectors).",
    },
    {
      path: "ioerr.hardware",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Hardware-error sense keys, ATA bus errors.",
    },
    {
      path: "ioerr.timeouts",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Command timeouts, aborts and link or controller resets.",
    },
    {
      path: "ioerr.fs_errors",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Filesystem errors reported by ext4, XFS, btrfs (ENOSPC reports left out).",
    },
  ],
  judge(ev, bag) {
    const disk = ev.of("io-error", "medium-error", "disk-timeout-reset") as DiskEvent[];
    // A filesystem out of space (ENOSPC) is not an I/O error: ./fs-space.ts counts it.
    const fsErr = (ev.of("fs-error") as FsErrorEvent[]).filter((e) => !e.enospc);
    const first = disk[0] ?? fsErr[0];
    bag.set("ioerr.events", disk.length + fsErr.length, SRC, first?.text);
    const devs = new Map<string, number>();
    for (const d of [...disk, ...fsErr]) {
      if (!d.device) continue;
      // Prefer block device names over SCSI addresses (0:0:0:1) and ATA ports.
      const w = /^(sd|vd|hd|xvd|nvme|mmcblk|dm-|md)/.test(d.device) ? 2 : 1;
      devs.set(d.device, (devs.get(d.device) ?? 0) + w);
    }
    const dev = [...devs].sort((a, b) => b[1] - a[1])[0];
    if (dev)
      bag.set(
        "ioerr.device",
        dev[0],
        SRC,
        [...disk, ...fsErr].find((d) => d.device === dev[0])?.text,
      );
    const medium = disk.filter((d) => d.kind === "medium-error");
    bag.set("ioerr.medium", medium.length, SRC, medium[0]?.text ?? first?.text);
    const hw = disk.filter(
      (d) =>
        /hardware|DRIVER_SENSE|HBA|ata/i.test(`${d.error ?? ""} ${d.sense ?? ""}`) &&
        d.kind !== "medium-error",
    );
    bag.set("ioerr.hardware", hw.length, SRC, hw[0]?.text ?? first?.text);
    const resets = disk.filter((d) => d.kind === "disk-timeout-reset");
    bag.set("ioerr.timeouts", resets.length, SRC, resets[0]?.text ?? first?.text);
    bag.set("ioerr.fs_errors", fsErr.length, SRC, fsErr[0]?.text ?? first?.text);
  },
};
