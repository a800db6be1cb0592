import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Hypothesis, Report } from "../../src/model/report.js";
import { runCli } from "../helpers/cli.js";

/** Runs `diagbot diagnose local <symptom> --json` and returns the report. */
export async function diagnoseLocal(symptom: string, extra: string[] = []): Promise<Report> {
  const r = await runCli(["diagnose", "local", symptom, "--json", "--window", "3s", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.json, r.stdout.slice(0, 500)).toBeDefined();
  return r.json;
}

/** Categories of the hypotheses, best first. */
export function categories(report: Report): string[] {
  return report.hypotheses.map((h) => h.category);
}

/** All evidence text of a hypothesis, for "names the injected object" checks. */
export function evidenceText(hypothesis: Hypothesis): string {
  return JSON.stringify([hypothesis.title, hypothesis.evidence]);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `diagbot-${prefix}-`));
}

export function sh(command: string): string {
  return execFileSync("/bin/sh", ["-c", command], { encoding: "utf8" });
}

/** Starts a process in its own group; `stop()` kills the whole group. */
export function startGroup(
  command: string,
  args: string[],
): { child: ChildProcess; stop: () => void } {
  const child = spawn(command, args, { detached: true, stdio: "ignore" });
  return {
    child,
    stop: () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A small ext4 file system on a loop device (48 MiB, 2048 inodes, no reserved blocks), mounted
 * in a folder of its own. `fill()` writes it to the last block; `remove()` unmounts it, frees
 * the loop device and deletes the folder.
 */
export function loopFilesystem(prefix: string): {
  dir: string;
  mnt: string;
  mount: () => void;
  fill: () => void;
  remove: () => void;
} {
  const dir = tempDir(prefix);
  const image = join(dir, "disk.img");
  const mnt = join(dir, "mnt");
  let loop = "";
  return {
    dir,
    mnt,
    mount: () => {
      sh(`truncate -s 48M ${image} && mkfs.ext4 -q -F -N 2048 -m 0 ${image}`);
      loop = sh(`losetup -f --show ${image}`).trim();
      sh(`mkdir -p ${mnt} && mount ${loop} ${mnt}`);
    },
    fill: () => sh(`dd if=/dev/zero of=${mnt}/fill bs=1M 2>/dev/null || true; sync`),
    remove: () => {
      try {
        sh(`umount -l ${mnt}`);
      } finally {
        if (loop) sh(`losetup -d ${loop} || true`);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
