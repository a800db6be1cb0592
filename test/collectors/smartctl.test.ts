import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { smartctl } from "../../src/collectors/smartctl.js";
import { classify } from "../../src/engine/collect.js";
import { fixturePath } from "../helpers/fixtures.js";
import { execResultOf } from "../helpers/spawned.js";

/**
 * The smartctl collector's script run here with a PATH of stand-ins: the host's own `cat`,
 * `grep` and `head`, an `id` that says uid 0 (or 1000), and a `smartctl` that prints a real
 * output and exits with a disk-state bit set, or lists no disk, or is not there at all. The
 * script looks at /sys/block first: it runs in a mount namespace of its own (unshare -m, as
 * root) where /sys/block is a folder holding the block device names a test gives.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function binWith(tools: Record<string, string>): string {
  const bin = mkdtempSync(join(tmpdir(), "diagbot-test-smartctl-"));
  dirs.push(bin);
  for (const t of ["cat", "grep", "head"]) symlinkSync(`/usr/bin/${t}`, join(bin, t));
  for (const [name, body] of Object.entries({ id: "echo 0", ...tools })) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function run(bin: string, blocks: readonly string[] = ["sda", "vda", "loop0"]) {
  const sysBlock = mkdtempSync(join(tmpdir(), "diagbot-test-sys-block-"));
  dirs.push(sysBlock);
  for (const name of blocks) mkdirSync(join(sysBlock, name));
  const line = smartctl.command({ windowSeconds: 5, pids: [], sudo: false, root: true });
  const r = spawnSync(
    "/usr/bin/unshare",
    [
      "-m",
      "/bin/sh",
      "-c",
      '/usr/bin/mount --bind "$1" /sys/block && exec /bin/sh -c "$0"',
      line?.script ?? "",
      sysBlock,
    ],
    { env: { PATH: bin } },
  );
  return classify(smartctl, "smartctl", execResultOf(r));
}

const FAILING_DISK = [
  'case "$1" in --scan) echo "/dev/sda -d sat # /dev/sda [SAT], ATA device" ;;',
  `*) cat '${fixturePath("smartctl/telegraf__smart_test__ssdRaidInfoData.txt")}'; exit 8 ;; esac`,
].join("\n");

describe.skipIf(process.getuid?.() !== 0)("smartctl collector", () => {
  it("reads each scanned disk under its marker; a disk-state exit bit is no failed run", () => {
    const c = run(binWith({ smartctl: FAILING_DISK }));
    expect(c.status).toBe("ok");
    expect(c.exitCode).toBe(0);
    expect(String(c.out)).toMatch(/^==> \/dev\/sda <==\nsmartctl 6\.6 /);
  });

  it("is missing without smartmontools, skipped without a disk, failed for want of root", () => {
    const missing = run(binWith({}));
    expect(missing.status).toBe("missing");
    expect(missing.error).toMatch(/smartmontools/);
    const none = run(binWith({ smartctl: "exit 0" }));
    expect(none.status).toBe("skipped");
    expect(none.error).toMatch(/no disk it can read/);
    const user = run(binWith({ smartctl: FAILING_DISK, id: "echo 1000" }));
    expect(user.status).toBe("failed");
    expect(user.error).toMatch(/needs root/);
  });

  it("does not start smartctl where /sys/block holds only devices without SMART data", () => {
    const marks = mkdtempSync(join(tmpdir(), "diagbot-test-smartctl-ran-"));
    dirs.push(marks);
    const ran = join(marks, "ran");
    const bin = binWith({ smartctl: `: > '${ran}'; exit 0` });
    const vm = run(bin, ["vda", "vdb", "loop0", "zram0", "dm-0", "sr0", "nbd0"]);
    expect(vm.status).toBe("skipped");
    expect(vm.error).toMatch(/no disk it can read/);
    expect(String(vm.stderr)).toContain("/sys/block holds only virtual");
    expect(existsSync(ran)).toBe(false);
    // One disk of another kind (NVMe, SCSI, a RAID volume) and smartctl --scan decides.
    for (const disk of ["nvme0n1", "sda", "cciss!c0d0"]) {
      expect(run(bin, ["vda", disk]).status, disk).toBe("skipped");
      expect(existsSync(ran), disk).toBe(true);
      rmSync(ran);
    }
  });

  it("does not run through sudo: a script never does", () => {
    expect(smartctl.command({ windowSeconds: 5, pids: [], sudo: true, root: false })).toBeNull();
    expect(smartctl.skipReason?.({ windowSeconds: 5, pids: [], sudo: true, root: false })).toMatch(
      /connect as root/,
    );
  });
});
