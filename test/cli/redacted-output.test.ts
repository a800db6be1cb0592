import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/**
 * What a person reads on the CLI (the terminal report and `--json`) is redacted; `--no-redact`
 * shows the host's text as it is. A GitHub token planted in a kernel log line that the report
 * cites is the probe.
 */
const TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const dir = mkdtempSync(join(tmpdir(), "diagbot-redacted-output-"));
writeFileSync(
  join(dir, "dmesg.out"),
  [
    "[  100.000000] Out of memory: Killed process 4242 (java) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:100kB oom_score_adj:0",
    `[  101.000000] EXT4-fs error (device sda1): token=${TOKEN} bad`,
    "",
  ].join("\n"),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("diagnose output is redacted", () => {
  it("--json holds no planted token, and stderr says how many were replaced", async () => {
    const r = await runCli(["diagnose", "x", "errors", "--from", dir, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN.slice(0, 12));
    expect(r.stdout).toContain("[REDACTED]");
    expect(r.stderr).toMatch(/1 secret shown as \[REDACTED\] \(--no-redact shows them\)/);
  });

  it("the terminal report holds no planted token", async () => {
    const r = await runCli(["diagnose", "x", "errors", "--from", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN.slice(0, 12));
  });

  it("--no-redact shows the host's text as it is", async () => {
    const r = await runCli(["diagnose", "x", "errors", "--from", dir, "--json", "--no-redact"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(TOKEN);
    expect(r.stderr).not.toMatch(/REDACTED/);
  });
});
