import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type SshdHandle, startSshd } from "../helpers/sshd.js";

/**
 * Collectors that hang: `vmstat` (a sampling collector, its own exec) and `free` (a cheap one,
 * inside the batched exec) are shadowed in /usr/local/bin (first in the collectors' fixed
 * PATH) by scripts that never end. The diagnosis must finish, mark them `timeout`, keep the
 * others, and leave no process behind, locally and over SSH.
 */
const MARK = "31717";
const SHADOWS = ["/usr/local/bin/vmstat", "/usr/local/bin/free"];

function leftovers(): string {
  try {
    return execFileSync("pgrep", ["-af", `sleep ${MARK}`], { encoding: "utf8" });
  } catch {
    return "";
  }
}

describe("hanging collectors leave nothing behind", () => {
  let sshd: SshdHandle;
  beforeAll(async () => {
    for (const path of SHADOWS) writeFileSync(path, `#!/bin/sh\nsleep ${MARK}\n`, { mode: 0o755 });
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const path of SHADOWS) rmSync(path, { force: true });
    // `[3]` keeps pkill from matching the shell that runs it.
    execFileSync("sh", ["-c", `pkill -f 'sleep [${MARK[0]}]${MARK.slice(1)}' || true`]);
    await sshd?.stop();
  });

  // Both targets at once: each waits out the same bounds, and no process may remain after either.
  it("locally and over SSH: the hung collectors time out, the rest completes, no process remains", async () => {
    const diagnose = (target: string) =>
      runCli(["diagnose", target, "memory", "--json", "--window", "1s"], {
        env: { DIAGBOT_INVENTORY: sshd.inventory },
      });
    for (const r of await Promise.all(["local", "test-host"].map(diagnose))) {
      expect(r.code, r.stderr).toBe(0);
      const status = Object.fromEntries(
        r.json.collectors.map((c: { id: string; status: string }) => [c.id, c.status]),
      );
      expect(status.vmstat, r.json.host).toBe("timeout");
      expect(status.free, r.json.host).toBe("timeout");
      expect(status.meminfo, r.json.host).toBe("ok");
    }
    await new Promise((res) => setTimeout(res, 3000));
    expect(leftovers()).toBe("");
  });
});
