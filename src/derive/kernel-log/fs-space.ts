import type { FsErrorEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Filesystems that ran out of space, as the kernel logs it (it never prints "No space left on
 * device" itself): ext4's delayed allocation failing with error 28 at writeback, printed only
 * when the filesystem has no free block left (fs/ext4/inode.c mpage_map_and_submit_extent: the
 * dirty pages are dropped), and btrfs's `errno=-28 No space left` (fs/btrfs/messages.c
 * __btrfs_handle_fs_error, btrfs_decode_error), after which btrfs forces itself read-only.
 */
export const fsSpace: LogJudge = {
  name: "fs-space",
  provides: [
    {
      path: "fs.log.enospc",
      says: "{} kernel messages of a filesystem out of space",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Current ENOSPC reports of a filesystem: ext4 `Delayed block allocation failed … with error 28` (-28 before 3.13), btrfs `errno=-28 No space left`.",
    },
    {
      path: "fs.log.enospc_device",
      type: "string",
      from: LOG,
      doc: "Device of the newest ENOSPC report (the filesystem's s_id, e.g. sda1, dm-0).",
    },
    {
      path: "fs.log.enospc_fs",
      type: "string",
      from: LOG,
      doc: "Filesystem type of the newest ENOSPC report (ext4, btrfs).",
    },
  ],
  judge(ev, bag) {
    const full = (ev.of("fs-error") as FsErrorEvent[]).filter((e) => e.enospc);
    const last = full[full.length - 1];
    bag.set("fs.log.enospc", full.length, SRC, last?.text);
    if (last?.device) bag.set("fs.log.enospc_device", last.device, SRC, last.text);
    if (last) bag.set("fs.log.enospc_fs", last.fs, SRC, last.text);
  },
};
