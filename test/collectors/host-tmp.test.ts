import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostTmpCleanup } from "../../src/collectors/host-tmp.js";

/** The cleanup script pointed at a private parent folder instead of /tmp/diagbot.<uid>. */
function cleanupIn(parent: string): string {
  const script = hostTmpCleanup().script ?? "";
  expect(script).toMatch(/^p=\/tmp\/diagbot\.\$\(id -u\)\n/);
  return script.replace(/^p=[^\n]*/, `p='${parent}'`);
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(execFileSync("sh", ["-c", "sh -c 'echo $$'"], { encoding: "utf8" }).trim());
}

/**
 * A zombie: `sh` starts a child that exits at once, prints its pid, then becomes `sleep`,
 * which never reaps it.
 */
async function zombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const pid = await new Promise<number>((resolve) =>
    parent.stdout!.once("data", (b: Buffer) => resolve(Number(b.toString().trim()))),
  );
  for (let i = 0; i < 50; i++) {
    const state = execFileSync("sh", ["-c", `cat /proc/${pid}/stat 2>/dev/null || true`], {
      encoding: "utf8",
    });
    if (/\) Z /.test(state)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid, parent };
}

describe("the host-side folder cleanup (host-tmp.ts)", () => {
  const parent = mkdtempSync(join(tmpdir(), "diagbot-host-tmp-"));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(parent, { recursive: true, force: true });
  });

  it("keeps a running script's folder and removes an ended one's and a zombie's", async () => {
    const z = await zombie();
    children.push(z.parent);
    const live = join(parent, `batch.${process.pid}`);
    const dead = join(parent, `batch.${deadPid()}`);
    const zombieDir = join(parent, `report.${z.pid}`);
    for (const d of [live, dead, zombieDir]) mkdirSync(d);

    execFileSync("sh", ["-c", cleanupIn(parent)]);

    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(zombieDir)).toBe(false);
  });

  it("runs no process per folder: the state comes from /proc/PID/status", () => {
    expect(hostTmpCleanup().script).not.toMatch(/\bps\b/);
    expect(hostTmpCleanup().script).toContain("/proc/$n/status");
  });
});
