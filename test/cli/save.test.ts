import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
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

/** Permission bits of a path, as octal text ("0700"). */
function modeOf(path: string): string {
  return `0${(statSync(path).mode & 0o777).toString(8)}`;
}

describe("--save permissions (the outputs are unredacted)", () => {
  const save = (dir: string) =>
    runCli(["diagnose", "x", "errors", "--from", source, "--save", dir], { umask: "000" });

  it("under umask 000 creates every folder 0700 and every file 0600", async () => {
    const top = join(root, "perm-new");
    const dir = join(top, "inner", "bundle");
    const r = await save(dir);
    expect(r.code, r.stderr).toBe(0);
    for (const folder of [top, join(top, "inner"), dir])
      expect(modeOf(folder), folder).toBe("0700");
    const files = readdirSync(dir);
    expect(files).toContain("bundle.json");
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(modeOf(join(dir, f)), f).toBe("0600");
  });

  it("tightens an own folder that others may only read to 0700, and says so", async () => {
    const dir = join(root, "perm-readable");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const r = await save(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`--save ${dir}: permissions tightened from 0755 to 0700`);
    expect(modeOf(dir)).toBe("0700");
    for (const f of readdirSync(dir)) expect(modeOf(join(dir, f)), f).toBe("0600");
  });

  it("rewrites an earlier bundle's files 0600 even when they were loosened since", async () => {
    const dir = join(root, "perm-again");
    expect((await save(dir)).code).toBe(0);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    const r = await save(dir);
    expect(r.code, r.stderr).toBe(0);
    for (const f of readdirSync(dir)) expect(modeOf(join(dir, f)), f).toBe("0600");
  });

  it("refuses a folder the group or others may write to, writing nothing (exit 2)", async () => {
    for (const mode of [0o777, 0o770, 0o702, 0o1777]) {
      const dir = join(root, `perm-writable-${mode.toString(8)}`);
      mkdirSync(dir);
      chmodSync(dir, mode);
      const r = await save(dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--save ${dir}: the group or others may write to the folder`);
      expect(r.stderr).toMatch(/unredacted secrets/);
      expect(readdirSync(dir)).toEqual([]);
      expect(statSync(dir).mode & 0o7777).toBe(mode);
    }
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses a folder owned by another user, even a private one (exit 2)",
    async () => {
      const dir = join(root, "perm-foreign");
      mkdirSync(dir);
      chmodSync(dir, 0o700);
      chownSync(dir, 65534, 65534);
      const r = await save(dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--save ${dir}: the folder is owned by uid 65534`);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});
