import { describe, expect, it } from "vitest";
import { filesystem } from "../../../src/parsers/dmesg/fs.js";
import { isListed, readWith } from "./read-with.js";

describe("filesystem family (fs/ext4, fs/xfs, fs/btrfs, fs/jbd2)", () => {
  it("is listed with its sources", () => expect(isListed(filesystem)).toBe(true));

  it("reads an ext4 error", () => {
    const [e] = readWith(filesystem, [
      "[ 2001.000001] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0",
    ]);
    expect(e).toMatchObject({ kind: "fs-error", fs: "ext4", device: "sda1" });
  });

  it("reads an XFS shutdown report as one event", () => {
    const events = readWith(filesystem, [
      "[ 3100.000001] XFS (dm-0): Metadata corruption detected at xfs_buf_ioend+0x51/0x1f0 [xfs], xfs_inode block 0x1234 xfs_inode_buf_verify",
      "[ 3100.000100] XFS (dm-0): Corruption of in-memory data detected.  Shutting down filesystem",
      "[ 3100.000200] XFS (dm-0): Unmount and run xfs_repair",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      fs: "xfs",
      device: "dm-0",
      corruption: true,
      shutdown: true,
      end_line: 3,
    });
  });

  it("reads a btrfs device error", () => {
    const [e] = readWith(filesystem, [
      "[ 4000.1] BTRFS error (device sdb1): bdev /dev/sdb1 errs: wr 0, rd 3, flush 0, corrupt 0, gen 0",
    ]);
    expect(e).toMatchObject({ fs: "btrfs", device: "sdb1" });
  });
});
