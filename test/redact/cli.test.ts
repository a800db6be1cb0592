import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "../helpers/cli.js";

/** `diagbot redact`: a file, usage errors (exit 2), and the modes of what it writes. */
const dir = mkdtempSync(join(tmpdir(), "diagbot-redact-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("diagbot redact", () => {
  it("redacts a file to standard output and counts each class on stderr", async () => {
    const file = join(dir, "ps.txt");
    writeFileSync(
      file,
      "app 1 0.0 0.1 1 1 ? S 0:00 mysql -uroot -pS3cretPass shop\nDB_PASSWORD=hunter22x curl -u a:b9Zk3QwP https://x\n",
    );
    const r = await runCli(["redact", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "app 1 0.0 0.1 1 1 ? S 0:00 mysql -uroot -p[REDACTED] shop\nDB_PASSWORD=[REDACTED] curl -u a:[REDACTED] https://x\n",
    );
    expect(r.stderr).toBe(
      "diagbot redact: 3 values replaced: 1 user-password, 1 option, 1 env-assignment\n",
    );
  });

  it("writes a file's copy 0600 with --out", async () => {
    const file = join(dir, "env.txt");
    const out = join(dir, "env.redacted");
    writeFileSync(file, "export GH_TOKEN=ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n");
    const r = await runCli(["redact", file, "--out", out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("export GH_TOKEN=[REDACTED]\n");
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("exits 2 for a missing path, a directory without --out, or an --out that is not empty", async () => {
    const missing = await runCli(["redact", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope: no such file/);
    const noOut = await runCli(["redact", dir]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/is a directory and --out is not given/);
    const busy = await runCli(["redact", dir, "--out", dir]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/is the bundle itself/);
  });

  it("never overwrites: an existing --out file, the input itself, a folder inside the bundle", async () => {
    const file = join(dir, "pw.txt");
    writeFileSync(file, "password=hunter2\n");
    const itself = await runCli(["redact", file, "--out", file]);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toContain(`redact: --out ${file}: it exists; nothing was overwritten`);
    expect(readFileSync(file, "utf8")).toBe("password=hunter2\n");
    const bundle = join(dir, "bundle-in");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "uptime.out"), "  100.00 50.00\n");
    const inside = await runCli(["redact", bundle, "--out", join(bundle, "sub")]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain("is inside the bundle being redacted");
    expect(existsSync(join(bundle, "sub"))).toBe(false);
    // A bundle's --out that is a file, or under one, says so in words.
    const onFile = await runCli(["redact", bundle, "--out", file]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`--out ${file}: it exists and is not a folder (EEXIST)`);
    const underFile = await runCli(["redact", bundle, "--out", join(file, "x")]);
    expect(underFile.stderr).toContain("a part of the path is a file, not a folder (ENOTDIR)");
    expect(readFileSync(file, "utf8")).toBe("password=hunter2\n");
  });

  it("refuses binary input, exit 2, writing nothing: an archive, random bytes on standard input", async () => {
    const folder = join(dir, "to-pack");
    mkdirSync(folder);
    writeFileSync(
      join(folder, "dmesg.out"),
      "[    1.000000] token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
    );
    const archive = join(dir, "bundle.tar.gz");
    execFileSync("tar", ["-czf", archive, "-C", folder, "."]);
    const out = join(dir, "bundle-redacted.tar.gz");
    const packed = await runCli(["redact", archive, "--out", out]);
    expect(packed.code).toBe(2);
    expect(packed.stderr).toContain(`redact: ${archive}: binary data, not text`);
    expect(packed.stderr).toMatch(/hint: redact reads text: .*extract an archive first/);
    expect(existsSync(out)).toBe(false);
    const random = spawnSync(
      "bash",
      ["-c", `head -c 2000000 /dev/urandom | node '${BIN}' redact -`],
      {
        encoding: "buffer",
      },
    );
    expect(random.status).toBe(2);
    expect(random.stdout.length).toBe(0);
    expect(random.stderr.toString()).toContain("redact: standard input: binary data, not text");
  });

  it("refuses an endless input at once, with bounded memory (/dev/zero)", () => {
    const r = spawnSync("/usr/bin/time", ["-f", "%M", "node", BIN, "redact", "/dev/zero"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("redact: /dev/zero: binary data, not text");
    const rssKb = Number(r.stderr.trim().split("\n").at(-1));
    expect(rssKb).toBeLessThan(150_000);
  });

  it("refuses a bundle holding a symbolic link, writing nothing and quoting nothing of its target", async () => {
    const bundle = join(dir, "linked-bundle");
    mkdirSync(bundle);
    const secret = join(dir, "outside-the-bundle");
    writeFileSync(secret, "BYTES-FROM-OUTSIDE-THE-BUNDLE\n");
    writeFileSync(join(bundle, "uptime.out"), "0.1 0.2 0.3 1/100 5\n");
    symlinkSync(secret, join(bundle, "dmesg.out"));
    const out = join(dir, "linked-bundle-redacted");
    const r = await runCli(["redact", bundle, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(bundle, "dmesg.out")}: a symbolic link: refused`);
    expect(r.stderr + r.stdout).not.toContain("FROM-OUTSIDE");
    expect(existsSync(out)).toBe(false);
  });

  it("ends quietly with its own exit code when the reader of standard output goes", () => {
    const file = join(dir, "long.txt");
    writeFileSync(file, "token=abc\n".repeat(200_000));
    const bash = spawnSync(
      "bash",
      ["-c", `set -o pipefail; node "${BIN}" redact "${file}" | head -c 10 >/dev/null`],
      { encoding: "utf8" },
    );
    expect(bash.stderr).not.toMatch(/EPIPE|unexpected error|at /);
    expect(bash.status).toBe(0);
  });
});
