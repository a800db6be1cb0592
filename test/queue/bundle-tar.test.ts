import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { bundleTarGz, type StoredBundle } from "../../src/queue/bundle.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("writes a .tar.gz that GNU tar extracts byte for byte, names over 100 bytes included", async () => {
  const longId = `cgroup-memory-${"x".repeat(120)}`;
  const bundle: StoredBundle = {
    files: {
      "uptime.out": "0.52 0.58 0.59 2/1234 5678\n12345.67 23456.78\n",
      [`${longId}.out`]: "ünïcode and a tab\there\n",
      "bundle.json": '{"version":1}\n',
    },
    redactions: 0,
  };
  const folder = `diagbot-host-42-dg_${"a".repeat(40)}`;
  const archive = await bundleTarGz(bundle, folder);
  dir = mkdtempSync(join(tmpdir(), "diagbot-tar-"));
  writeFileSync(join(dir, "b.tar.gz"), archive);
  const listed = execFileSync("tar", ["tzf", "b.tar.gz"], { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n")
    .sort();
  expect(listed).toEqual(
    Object.keys(bundle.files)
      .map((n) => `${folder}/${n}`)
      .sort(),
  );
  expect(`${folder}/${longId}.out`.length).toBeGreaterThan(100);
  execFileSync("tar", ["xzf", "b.tar.gz"], { cwd: dir });
  for (const [name, text] of Object.entries(bundle.files)) {
    expect(readFileSync(join(dir, folder, name), "utf8")).toBe(text);
  }
});
