import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { parseDmesg } from "../../src/parsers/dmesg.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";

/**
 * filesystem-full and inode-exhaustion (runbooks/filesystem.yaml) on parsed outputs: the kernel
 * log of a filesystem out of space, and `df -lPkT` / `df -lPiT` (the Debian VM's, with its root
 * row replaced by a full one in the same layout).
 *
 * Kernel lines are the format strings filled in: fs/ext4/inode.c mpage_map_and_submit_extent
 * (`Delayed block allocation failed for inode %lu at logical offset %llu with max blocks %u with
 * error %d`, then `This should not happen!! Data will be lost\n` and ext4_print_free_blocks),
 * its 2.6.32–3.10 form (`delayed …`, negative errno), and fs/btrfs/messages.c
 * __btrfs_handle_fs_error (`BTRFS: error (device %s%s) in %s:%d: errno=%d %s`, 6.x state suffix).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
async function replay(files: Record<string, string | { text: string }>) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-filesystem-"));
  dirs.push(dir);
  for (const [id, file] of Object.entries(files)) {
    const to = join(dir, `${id}.out`);
    if (typeof file === "string") copyFileSync(fixturePath(file), to);
    else writeFileSync(to, file.text);
  }
  return (await diagnoseBundle(dir, "t", "health", await loadRunbooks())).report;
}

/** The Debian VM's df output with the row of `/` replaced. */
function debianDf(fixture: string, root: string): { text: string } {
  const text = readFixture(fixture);
  const row = /^\/dev\/vda .*$/m;
  expect(text).toMatch(row);
  return { text: text.replace(row, root) };
}

const DF = "df/vm-debian12-k6.18__df-lPkT.txt";
const DFI = "df-inodes/vm-debian12-k6.18__df-lPiT.txt";
/** 5 % of the blocks reserved for root (mke2fs -m default) and none left for anyone else. */
const DF_FULL = debianDf(
  DF,
  "/dev/vda                ext4       264212084 251001480         0     100% /",
);
/** Every inode used (mke2fs -i), blocks to spare. */
const DFI_FULL = debianDf(
  DFI,
  "/dev/vda                ext4     16777216 16777216        0  100% /",
);

const EXT4_ENOSPC = [
  "[ 8123.402211] EXT4-fs (vda): Delayed block allocation failed for inode 1311 at logical offset 2048 with max blocks 2048 with error 28",
  "[ 8123.402219] EXT4-fs (vda): This should not happen!! Data will be lost",
  "[ 8123.402219] ",
  "[ 8123.402224] EXT4-fs (vda): Total free blocks count 0",
  "[ 8123.402227] EXT4-fs (vda): Free/Dirty block details",
  "[ 8123.402229] EXT4-fs (vda): free_blocks=0",
  "[ 8123.402231] EXT4-fs (vda): dirty_blocks=2048",
  "[ 8123.402233] EXT4-fs (vda): Block reservation details",
  "[ 8123.402235] EXT4-fs (vda): i_reserved_data_blocks=2048",
];
const EXT4_ENOSPC_OLD = [
  "[ 8123.402211] EXT4-fs (sda1): delayed block allocation failed for inode 1311 at logical offset 2048 with max blocks 2048 with error -28",
  "[ 8123.402219] This should not happen!!  Data will be lost",
  "[ 8123.402224] Total free blocks count 0",
];
const BTRFS_ENOSPC = [
  "[ 912.114020] BTRFS: error (device sdb state A) in __btrfs_free_extent:3092: errno=-28 No space left",
  "[ 912.114052] BTRFS info (device sdb state EA): forced readonly",
];
/** The same ext4 report for an I/O error (EIO, 5): the disk failed, not the space. */
const EXT4_EIO = [
  "[ 8123.402211] EXT4-fs (vda): Delayed block allocation failed for inode 1311 at logical offset 2048 with max blocks 2048 with error 5",
  "[ 8123.402219] EXT4-fs (vda): This should not happen!! Data will be lost",
];
const log = (lines: string[]) => ({ text: `${lines.join("\n")}\n` });

describe("the kernel's words for a filesystem out of space", () => {
  it("reads ext4's report and the lines after it as one ENOSPC event", () => {
    const ev = parseDmesg(EXT4_ENOSPC).facts.events;
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ kind: "fs-error", fs: "ext4", device: "vda", enospc: true });
    const old = parseDmesg(EXT4_ENOSPC_OLD).facts.events;
    expect(old).toMatchObject([{ fs: "ext4", device: "sda1", enospc: true }]);
  });

  it("reads btrfs's errno=-28 with the device, not its state letters", () => {
    const ev = parseDmesg(BTRFS_ENOSPC).facts.events;
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ kind: "fs-error", fs: "btrfs", device: "sdb", enospc: true });
  });

  it("is a filesystem-full finding from ext4's delayed allocation failing with error 28", async () => {
    const r = await replay({ dmesg: log(EXT4_ENOSPC), df: DF });
    const h = r.hypotheses.find((x) => x.rule === "filesystem-full-logged");
    expect(h?.category).toBe("filesystem-full");
    expect(h?.title).toBe(
      "vda (ext4) ran out of space: the kernel logged 1 failed block allocations with errno 28 (ENOSPC)",
    );
    // df taken later shows the root filesystem at 23 %: space was freed since, no boost.
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    const e = h?.evidence.find((x) => x.fact === "fs.log.enospc");
    expect(e?.excerpt).toMatch(/EXT4-fs \(vda\): Delayed block allocation failed .* with error 28/);
    // Not a disk hardware error: the device did what it was asked.
    expect(r.hypotheses.find((x) => x.rule === "disk-errors-hardware")).toBeUndefined();
    expect(r.hypotheses[0].rule).toBe("filesystem-full-logged");
  });

  it("gains confidence when df shows the filesystem full", async () => {
    const r = await replay({ dmesg: log(EXT4_ENOSPC), df: DF_FULL });
    const h = r.hypotheses.find((x) => x.rule === "filesystem-full-logged");
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    expect(r.hypotheses.find((x) => x.rule === "filesystem-full")?.title).toBe(
      "/ is 100 % full (0 bytes left for non-root users)",
    );
  });

  it("is found from btrfs's errno=-28", async () => {
    const r = await replay({ dmesg: log(BTRFS_ENOSPC) });
    const h = r.hypotheses.find((x) => x.rule === "filesystem-full-logged");
    expect(h?.title).toBe(
      "sdb (btrfs) ran out of space: the kernel logged 1 failed block allocations with errno 28 (ENOSPC)",
    );
    expect(h?.key).toBe("t/filesystem-full-logged/sdb");
  });

  it("is not found for the same ext4 report with an I/O error: that is the disk", async () => {
    const r = await replay({ dmesg: log(EXT4_EIO), df: DF });
    expect(r.hypotheses.find((x) => x.rule === "filesystem-full-logged")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "filesystem-full-logged")?.verdict).toBe("fine");
    expect(r.hypotheses.find((x) => x.rule === "disk-errors-hardware")?.category).toBe(
      "disk-errors-hardware",
    );
  });
});

describe("ext2/3/4 reserved blocks (mke2fs -m) on a full filesystem", () => {
  it("say the filesystem is full for users while root's reserve remains, below filesystem-full", async () => {
    const r = await replay({ df: DF_FULL });
    const h = r.hypotheses.find((x) => x.rule === "filesystem-full-root-reserve");
    expect(h?.category).toBe("filesystem-full");
    // 264212084 − 251001480 − 0 kB = 13210604 kB = 5 % of the filesystem
    expect(h?.title).toBe(
      "/ is full for every user but root: 13527658496 bytes (5 % of it) are reserved for root (ext2/3/4 reserved blocks)",
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
    const e = h?.evidence.find((x) => x.fact === "fs.worst.reserved_pct");
    expect(e?.excerpt).toMatch(
      /^df: \/dev\/vda ext4 Size 270553174016 Used 257025515520 Avail 0 Use% 100%/,
    );
    const rank = (rule: string) => r.hypotheses.findIndex((x) => x.rule === rule);
    expect(rank("filesystem-full")).toBeLessThan(rank("filesystem-full-root-reserve"));
  });

  it("say nothing for XFS, which keeps no root reserve, nor for a filesystem with room", async () => {
    const xfs = await replay({
      df: debianDf(
        DF,
        "/dev/vda                xfs        264212084 264212084         0     100% /",
      ),
    });
    expect(xfs.hypotheses.find((x) => x.rule === "filesystem-full")).toBeDefined();
    expect(xfs.hypotheses.find((x) => x.rule === "filesystem-full-root-reserve")).toBeUndefined();
    const ok = await replay({ df: DF });
    expect(ok.hypotheses.find((x) => x.rule === "filesystem-full-root-reserve")).toBeUndefined();
    expect(ok.checked.find((c) => c.rule === "filesystem-full-root-reserve")?.verdict).toBe("fine");
  });

  it("say nothing while users still have room that df's rounded-up Use% of 100 hides", async () => {
    // 250,001,480 kB used, 1,000,000 kB available, 13,210,604 kB (5 %) reserved: Use% 99.6,
    // which df prints as 100%.
    const r = await replay({
      df: debianDf(
        DF,
        "/dev/vda                ext4       264212084 250001480   1000000     100% /",
      ),
    });
    expect(r.hypotheses.find((x) => x.rule === "filesystem-full-root-reserve")).toBeUndefined();
  });
});

describe("df", () => {
  it("finds a full filesystem, and none on the Debian VM at rest", async () => {
    const full = await replay({ df: DF_FULL });
    const h = full.hypotheses.find((x) => x.rule === "filesystem-full");
    expect(h?.category).toBe("filesystem-full");
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    const ok = await replay({ df: DF });
    expect(ok.hypotheses.find((x) => x.rule === "filesystem-full")).toBeUndefined();
  });

  it("finds a filesystem out of inodes with blocks to spare, and none at rest", async () => {
    const r = await replay({ df: DF, "df-inodes": DFI_FULL });
    const h = r.hypotheses.find((x) => x.rule === "inode-exhaustion");
    expect(h?.category).toBe("inode-exhaustion");
    expect(h?.title).toBe("/ has used 100 % of its inodes (0 free)");
    // 0.6 + 0.2 (100 %); blocks are at 23 %, so no penalty.
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    const e = h?.evidence.find((x) => x.fact === "fs.worst_inodes.iuse_pct");
    expect(e?.excerpt).toMatch(/\/dev\/vda ext4 .*100%/);
    const ok = await replay({ df: DF, "df-inodes": DFI });
    expect(ok.hypotheses.find((x) => x.rule === "inode-exhaustion")).toBeUndefined();
  });
});

describe("the inode ratio ext4 was made with", () => {
  it("explains inodes running out with the blocks mostly free", async () => {
    const r = await replay({ df: DF, "df-inodes": DFI_FULL });
    const h = r.hypotheses.find((x) => x.rule === "inode-ratio-too-sparse");
    expect(h?.category).toBe("inode-exhaustion");
    // 264212084 kB / 16777216 inodes = 16126 bytes each; 23520144 kB / 16777216 used = 1436
    expect(h?.title).toBe(
      "/ ran out of inodes with blocks to spare: mkfs made one inode per 16126 bytes, its files average 1436 bytes",
    );
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    const e = h?.evidence.find((x) => x.fact === "fs.worst_inodes.avg_file_pct_of_ratio");
    expect(e?.excerpt).toMatch(/IUse% 100%.*; df: \/dev\/vda ext4 Size 270553174016/);
  });

  it("is quiet when the blocks are full too, for XFS, and at rest", async () => {
    const both = await replay({ df: DF_FULL, "df-inodes": DFI_FULL });
    expect(both.hypotheses.find((x) => x.rule === "inode-exhaustion")).toBeDefined();
    expect(both.hypotheses.find((x) => x.rule === "inode-ratio-too-sparse")).toBeUndefined();
    const xfs = await replay({
      df: debianDf(DF, "/dev/vda                xfs        264212084 23520144 240691940      9% /"),
      "df-inodes": debianDf(
        DFI,
        "/dev/vda                xfs      16777216 16777216        0  100% /",
      ),
    });
    expect(xfs.hypotheses.find((x) => x.rule === "inode-exhaustion")).toBeDefined();
    expect(xfs.hypotheses.find((x) => x.rule === "inode-ratio-too-sparse")).toBeUndefined();
    const ok = await replay({ df: DF, "df-inodes": DFI });
    expect(ok.hypotheses.find((x) => x.rule === "inode-ratio-too-sparse")).toBeUndefined();
  });
});
