import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCgroup } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText, sh, tempDir } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * Disk saturation on a loop device that is slower than its queue: the loop device reads and
 * writes its backing file with direct I/O (`losetup --direct-io=on`), and fio, which issues 32
 * random 4 KiB writes at a time, runs in a cgroup whose I/O on the backing disk is throttled
 * to 200 IOPS (v1 blkio.throttle.*_iops_device here, v2 io.max elsewhere). The loop driver
 * submits the backing-file I/O on behalf of the issuing cgroup, so the loop device behaves
 * like a disk that serves 200 requests a second: always busy (%util ~100), aqu-sz near the
 * queue depth, await far above the service time. Measured on this VM: a loop device over the
 * page cache, or with direct I/O but unthrottled, stays well under 100 % util at ~1 ms await
 * (it is as fast as the virtio disk under it), so it never saturates by itself.
 * The backing disk itself sees a trickle. The control runs with the loop device idle.
 */
const IOPS = 200;

/** `maj:min` of the whole disk holding `path` (throttling applies to disks, not partitions). */
function diskOf(path: string): string {
  const dev = statSync(path).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  if (major === 0) throw new Error(`${path} is not on a block device (major 0)`);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (existsSync(join(sys, "partition"))) {
    return readFileSync(join(sys, "..", "dev"), "utf8").trim();
  }
  return `${major}:${minor}`;
}

/**
 * Waits until the loop device has a queue (`inflight`, block/stat.rst: requests issued and not
 * completed), at least 8 writes: fio's start, the throttle and the loop worker take from under
 * a second to several on a busy machine, and a diagnosis before that sees an idle device.
 * @throws Error after 20 s without one.
 */
async function queueBuilt(device: string): Promise<void> {
  const inflight = `/sys/block/${basename(device)}/inflight`;
  const until = Date.now() + 20_000;
  for (;;) {
    const [, writes] = readFileSync(inflight, "utf8").trim().split(/\s+/).map(Number);
    if (writes >= 8) return;
    if (Date.now() > until) throw new Error(`${device}: no queue after 20 s (inflight ${writes})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("fault: disk saturation (fio on a throttled loop device)", () => {
  const dir = tempDir("disksat");
  const image = join(dir, "disk.img");
  let loop = "";
  let cg: TestCgroup;

  beforeAll(() => {
    sh(`truncate -s 256M ${image}`);
    loop = sh(`losetup -f --show --direct-io=on ${image}`).trim();
    cg = new TestCgroup("io", "disk");
    cg.limitIops(diskOf(image), IOPS);
  });

  afterAll(async () => {
    try {
      await cg?.destroy();
    } finally {
      if (loop) sh(`losetup -d ${loop} || true`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const names = (h: any) => new RegExp(`\\b${basename(loop)}\\b`).test(evidenceText(h));

  it("control: the idle loop device gives no saturation finding for it", async () => {
    const report = await diagnoseLocal("disk");
    const mine = report.hypotheses.filter((h: any) => h.category === "disk-saturation" && names(h));
    expect(mine).toEqual([]);
  });

  it("names disk-saturation first, citing the loop device", async () => {
    cg.spawn("fio", [
      "--name=diagbot-fault",
      `--filename=${loop}`,
      "--direct=1",
      "--rw=randwrite",
      "--bs=4k",
      "--iodepth=32",
      "--ioengine=libaio",
      "--time_based",
      "--runtime=60",
      "--output=/dev/null",
    ]);
    await queueBuilt(loop);
    const report = await diagnoseFault("disk-saturation", "disk", {
      category: "disk-saturation",
      keep: ["iostat", "diskstats", "pressure-io", "vmstat", "proc-stat"],
    });
    expect(categories(report)[0], JSON.stringify(report.hypotheses.map((h: any) => h.title))).toBe(
      "disk-saturation",
    );
    expect(names(report.hypotheses[0])).toBe(true);
  });
});
