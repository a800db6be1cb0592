import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { categories, diagnoseLocal, evidenceText, sh, tempDir } from "./helpers.js";

/**
 * A small ext4 file system on a loop device, filled to the last block, then to the last inode.
 * The control runs on the same mount while it is nearly empty.
 */
describe("fault: filesystem full and inode exhaustion on a loop device", () => {
  const dir = tempDir("fsfull");
  const image = join(dir, "disk.img");
  const mnt = join(dir, "mnt");
  let loop = "";

  beforeAll(() => {
    sh(`truncate -s 48M ${image} && mkfs.ext4 -q -F -N 2048 -m 0 ${image}`);
    loop = sh(`losetup -f --show ${image}`).trim();
    sh(`mkdir -p ${mnt} && mount ${loop} ${mnt}`);
  });

  afterAll(() => {
    try {
      sh(`umount -l ${mnt}`);
    } finally {
      if (loop) sh(`losetup -d ${loop} || true`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("control: the fresh file system gives no capacity finding for it", async () => {
    const report = await diagnoseLocal("disk");
    const mine = report.hypotheses.filter(
      (h: any) =>
        ["filesystem-full", "inode-exhaustion"].includes(h.category) &&
        evidenceText(h).includes(mnt),
    );
    expect(mine).toEqual([]);
  });

  it("names filesystem-full first, citing the mount", async () => {
    sh(`dd if=/dev/zero of=${mnt}/fill bs=1M 2>/dev/null || true; sync`);
    const report = await diagnoseLocal("disk");
    expect(categories(report)[0]).toBe("filesystem-full");
    expect(evidenceText(report.hypotheses[0])).toContain(mnt);
    sh(`rm -f ${mnt}/fill; sync`);
  });

  it("names inode-exhaustion first, citing the mount", async () => {
    sh(`cd ${mnt} && i=0; while touch f$i 2>/dev/null; do i=$((i+1)); done; sync`);
    const report = await diagnoseLocal("disk");
    expect(categories(report)[0]).toBe("inode-exhaustion");
    expect(evidenceText(report.hypotheses[0])).toContain(mnt);
  });
});
