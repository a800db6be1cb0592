import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const source = fileURLToPath(
  new URL("../../runbooks/examples/01-inode-exhaustion-nixos-root", import.meta.url),
);
const root = mkdtempSync(join(tmpdir(), "diagbot-save-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("--save", () => {
  it("refuses a path that cannot hold a bundle before doing any work", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    const r = await runCli(["diagnose", "x", "errors", "--from", source, "--save", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--save ${file}`);
    const notBundle = join(root, "not-a-bundle");
    mkdirSync(notBundle);
    writeFileSync(join(notBundle, "keep"), "");
    const r2 = await runCli(["diagnose", "x", "errors", "--from", source, "--save", notBundle]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/not empty and not a bundle/);
  });

  it("a replay of a saved bundle is dated when it was collected and names its host", async () => {
    const dir = join(root, "dated");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "uptime.out"),
      " 10:00:00 up 1 day,  1 user,  load average: 0.10, 0.20, 0.30\n",
    );
    writeFileSync(
      join(dir, "bundle.json"),
      JSON.stringify({
        version: 1,
        host: "db-7",
        startedAt: "2026-01-02T03:04:05.000Z",
        collectors: {},
      }),
    );
    const r = await runCli(["diagnose", "label", "health", "--from", dir, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.startedAt).toBe("2026-01-02T03:04:05.000Z");
    expect(r.json.host).toBe("db-7");
  });

  it("refuses a directory under /proc at once (recursive mkdir would spin there)", async () => {
    for (const dir of ["/proc/diagbot-nope", "/proc/1/diagbot-nope/x"]) {
      const r = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--save ${dir}`);
    }
    const nested = join(root, "a", "b", "c");
    const r = await runCli(["diagnose", "x", "errors", "--from", source, "--save", nested]);
    expect(r.code).toBe(0);
    expect(readdirSync(nested)).toContain("bundle.json");
  });

  it("replaces an earlier bundle in the same directory, leaving no stale output", async () => {
    const dir = join(root, "bundle");
    const first = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(join(dir, "iostat.out"), "stale\n");
    const again = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      "bundle.json",
      "df-inodes.out",
      "df.out",
      "report.json",
    ]);
  });
});
