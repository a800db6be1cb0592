import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
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
