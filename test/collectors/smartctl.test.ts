import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { smartctl } from "../../src/collectors/smartctl.js";
import { classify } from "../../src/engine/collect.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * The smartctl collector's script run here with a PATH of stand-ins: the host's own `cat`,
 * `grep` and `head`, an `id` that says uid 0 (or 1000), and a `smartctl` that prints a real
 * output and exits with a disk-state bit set, or lists no disk, or is not there at all.
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

function run(bin: string) {
  const line = smartctl.command({ windowSeconds: 5, pids: [], sudo: false, root: true });
  const r = spawnSync("/bin/sh", ["-c", line?.script ?? ""], { env: { PATH: bin } });
  return classify(smartctl, "smartctl", {
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.status,
    timedOut: false,
    truncated: false,
    durationMs: 1,
  });
}

const FAILING_DISK = [
  'case "$1" in --scan) echo "/dev/sda -d sat # /dev/sda [SAT], ATA device" ;;',
  `*) cat '${fixturePath("smartctl/telegraf__smart_test__ssdRaidInfoData.txt")}'; exit 8 ;; esac`,
].join("\n");

describe("smartctl collector", () => {
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

  it("does not run through sudo: a script never does", () => {
    expect(smartctl.command({ windowSeconds: 5, pids: [], sudo: true, root: false })).toBeNull();
    expect(smartctl.skipReason?.({ windowSeconds: 5, pids: [], sudo: true, root: false })).toMatch(
      /connect as root/,
    );
  });
});
