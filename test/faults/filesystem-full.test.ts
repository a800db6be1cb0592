import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { categories, diagnoseLocal, evidenceText, loopFilesystem, sh } from "./helpers.js";

/**
 * A small ext4 file system on a loop device, filled to the last block, then to the last inode.
 * The control runs on the same mount while it is nearly empty.
 */
describe("fault: filesystem full and inode exhaustion on a loop device", () => {
  const fs = loopFilesystem("fsfull");
  const mnt = fs.mnt;

  beforeAll(fs.mount);
  afterAll(fs.remove);

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
    fs.fill();
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
