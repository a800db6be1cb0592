import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEvidence } from "../../src/evidence/index.js";
import { readText } from "./helpers.js";

/** Garbage and hostile inputs: each gets a clear result, in bounded memory, without a crash. */
describe("garbage and hostile inputs to --from", () => {
  it("names why a file cannot be read, as a usage error: permission, a stream, a directory", async () => {
    const refused = (path: string) =>
      readEvidence(path).then(
        () => undefined,
        (err: Error & { kind?: { exit: number } }) => ({
          message: err.message,
          exit: err.kind?.exit,
        }),
      );
    expect(await refused("/proc/1/pagemap")).toEqual({
      message: "cannot read /proc/1/pagemap: permission denied",
      exit: 2,
    });
    expect(await refused("/proc/self/mem")).toEqual({
      message: "cannot read /proc/self/mem: an I/O error (the file cannot be read as a stream)",
      exit: 2,
    });
    expect(await refused(join(tmpdir(), "diagbot-no-such-evidence"))).toMatchObject({
      message: expect.stringMatching(/: no such file$/),
      exit: 2,
    });
  });

  it("says an empty input is empty, and a bundle's manifest is not the bundle", async () => {
    await expect(readEvidence("/dev/null")).rejects.toThrow(
      "/dev/null is empty: there is nothing to diagnose",
    );
    const dir = mkdtempSync(join(tmpdir(), "diagbot-hostile-manifest-"));
    writeFileSync(join(dir, "blank.txt"), " \n\t\n");
    await expect(readEvidence(join(dir, "blank.txt"))).rejects.toThrow(/blank\.txt is empty/);
    writeFileSync(join(dir, "bundle.json"), '{"version":1}');
    await expect(readEvidence(join(dir, "bundle.json"))).rejects.toMatchObject({
      message: `${join(dir, "bundle.json")} is a bundle's manifest, not evidence itself`,
      hint: `give the bundle's folder: --from ${dir}`,
    });
  });

  it("refuses binary data with what to give instead", async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    await expect(readText(bytes)).rejects.toThrow(/binary data, not text/);
  });

  it("reads 50 MB of text up to its cap, in bounded memory", async () => {
    const line = "[ 1234.567890] EXT4-fs (sda1): mounted filesystem with ordered data mode\n";
    const text = line.repeat(Math.ceil((50 << 20) / line.length));
    const before = process.memoryUsage().rss;
    const read = await readText(text);
    const grown = process.memoryUsage().rss - before;
    expect(read.outputs.map((o) => o.id)).toEqual(["dmesg"]);
    expect(read.notes.join("\n")).toMatch(/only its first 32 MiB were read/);
    expect(grown).toBeLessThan(1200 << 20);
  });

  it("lists a paste of prompts only, with nothing read", async () => {
    const read = await readText("$ \n[root@h ~]# \nroot@h:~# free -m\n$ uptime\n");
    expect(read.outputs).toEqual([]);
    expect(read.ignored.join("\n")).toMatch(/no output follows it/);
  });

  it("is not fooled by prompt-like lines and Slack mrkdwn inside outputs", async () => {
    const text = [
      "*Here is the conf* _as asked_ <https://example.com|link>",
      "```",
      "$ sysctl -a | grep somaxconn",
      "net.core.somaxconn = 128",
      "# net.core.somaxconn = 4096 was in /etc/sysctl.conf",
      "$ echo '$ rm -rf /'",
      "$ rm -rf /",
      "```",
    ].join("\n");
    const read = await readText(text);
    expect(read.outputs.map((o) => o.id)).toEqual(["sysctl"]);
    expect(read.outputs[0].out!.toString()).toContain("net.core.somaxconn = 128");
    expect(read.ignored.join("\n")).toMatch(/`echo '\$ rm -rf \/'`: no output follows it/);
  });

  it("refuses a .tar.xz's path traversal and symlink, extracts nothing outside its private folder", async () => {
    const work = mkdtempSync(join(tmpdir(), "diagbot-evil-"));
    const root = join(work, "sosreport-evil");
    mkdirSync(join(root, "sos_commands", "memory"), { recursive: true });
    mkdirSync(join(root, "proc"), { recursive: true });
    writeFileSync(join(root, "proc", "meminfo"), readFileSync("/proc/meminfo"));
    writeFileSync(join(root, "sos_commands", "memory", "free"), execFileSync("free"));
    symlinkSync("/etc/shadow", join(root, "proc", "stat"));
    writeFileSync(join(work, "escaped"), "outside\n");
    const archive = join(work, "evil.tar.xz");
    // GNU tar keeps `..` in a member name given with --transform; -P keeps it on create.
    execFileSync("tar", [
      "-cJPf",
      archive,
      "-C",
      work,
      "--transform",
      "s,^escaped,sosreport-evil/../../escaped-by-tar,",
      "sosreport-evil",
      "escaped",
    ]);
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("diagbot-sos-")).length;
    const read = await readEvidence(archive);
    expect(read.outputs.map((o) => o.id).sort()).toEqual(["free", "meminfo"]);
    const ignored = read.ignored.join("\n");
    expect(ignored).toMatch(/a symbolic link, not extracted \(sosreport-evil\/proc\/stat/);
    expect(ignored).toMatch(/a path with `\.\.`, not extracted/);
    expect(existsSync(join(tmpdir(), "escaped-by-tar"))).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("diagbot-sos-")).length).toBe(before);
  });

  it("refuses an archive that holds no sos report", async () => {
    const work = mkdtempSync(join(tmpdir(), "diagbot-notsos-"));
    writeFileSync(join(work, "a.txt"), "hello\n");
    execFileSync("tar", ["-cJf", join(work, "a.tar.xz"), "-C", work, "a.txt"]);
    await expect(readEvidence(join(work, "a.tar.xz"))).rejects.toThrow(/without a sos report/);
  });
});
