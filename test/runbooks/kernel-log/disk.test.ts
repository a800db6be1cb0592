import { describe, expect, it } from "vitest";
import { disk } from "../../../src/derive/kernel-log/disk.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";

describe("disk judge (block/blk-core.c, drivers/scsi, drivers/ata, drivers/nvme, fs/ext4)", () => {
  it("counts medium errors on the block device they name (scenario 18)", () => {
    const bag = judgeWith(disk, bundleDmesg("18-disk-medium-errors-unrecovered-read"));
    expect(found(bag)).toEqual({ "ioerr.events": 3, "ioerr.device": "sdb", "ioerr.medium": 3 });
    for (const path of ["ioerr.hardware", "ioerr.timeouts", "ioerr.fs_errors"]) {
      expect(bag.values.get(path)).toBe(0);
    }
    // Each SCSI report and the block layer's line that ends it are one event, cited by its first line.
    const first =
      "[104802.137128] sd 0:0:0:1: [sdb] tag#0 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE";
    expect(bag.excerpts.get("ioerr.medium")).toBe(first);
    expect(bag.excerpts.get("ioerr.device")).toBe(first);
    expect(bag.sources.get("ioerr.events")).toBe("dmesg");
  });

  it("counts timeouts and resets apart from filesystem errors", () => {
    // libata-eh.c `exception Emask … frozen`, nvme/host/pci.c `I/O %d QID %d timeout, reset
    // controller`, ext4 `EXT4-fs error (device %s): %s:%d: inode #%lu: comm %s: %pV`
    // (../shared/kernel-messages.md §8, §9).
    const ata = "[ 7104.100000] ata3.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen";
    const nvme = "[ 7110.200000] nvme nvme0: I/O 123 QID 4 timeout, reset controller";
    const ext4 =
      "[ 7120.300000] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0";
    const bag = judgeWith(disk, [ata, nvme, ext4]);
    expect(bag.values.get("ioerr.events")).toBe(3);
    expect(bag.values.get("ioerr.timeouts")).toBe(2);
    expect(bag.values.get("ioerr.fs_errors")).toBe(1);
    expect(bag.values.get("ioerr.medium")).toBe(0);
    expect(bag.excerpts.get("ioerr.timeouts")).toBe(ata);
    expect(bag.excerpts.get("ioerr.fs_errors")).toBe(ext4);
  });

  it("prefers a block device's name to an ATA port named as often", () => {
    const bag = judgeWith(disk, [
      "[ 7104.100000] ata3.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen",
      "[ 7120.300000] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0",
    ]);
    expect(bag.values.get("ioerr.device")).toBe("sda1");
  });

  it("sets nothing of its own for a machine check, nor for errors older than the look-back", () => {
    const other = judgeWith(disk, bundleDmesg("06-mce-corrected-dimm-errors-replaced-ram"));
    expect(found(other)).toEqual({});
    expect(other.excerpts.size).toBe(0);
    const old = judgeWith(disk, bundleDmesg("18-disk-medium-errors-unrecovered-read"), {
      uptimeS: 105102.3 + 3601,
    });
    expect(found(old)).toEqual({});
    expect(old.values.has("ioerr.device")).toBe(false);
  });
});
