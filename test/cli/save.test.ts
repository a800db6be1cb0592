import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
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
    expect(r.stderr).toContain(`--save ${file}: it exists and is not a folder`);
    expect(r.stderr).toMatch(/hint: give a path to a new folder/);
    expect(r.stderr).not.toMatch(/EEXIST/);
    const under = join(file, "bundle");
    const r1 = await runCli(["diagnose", "x", "errors", "--from", source, "--save", under]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`--save ${under}: a part of the path is a file, not a folder`);
    const notBundle = join(root, "not-a-bundle");
    mkdirSync(notBundle);
    writeFileSync(join(notBundle, "keep"), "");
    const r2 = await runCli(["diagnose", "x", "errors", "--from", source, "--save", notBundle]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`--save ${notBundle}: the folder is not empty (it holds keep)`);
    const dangling = join(root, "link-to-nothing");
    symlinkSync(join(root, "nothing"), dangling);
    const r3 = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dangling]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain(
      `--save ${dangling}: it is a symbolic link to a path that does not`,
    );
  });

  it("checks the path before collecting: a live diagnose with a long window exits at once", async () => {
    const file = join(root, "a-file-live");
    writeFileSync(file, "x");
    const started = Date.now();
    const r = await runCli(["diagnose", "local", "--window", "60", "--save", file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--save ${file}: it exists and is not a folder`);
    expect(Date.now() - started).toBeLessThan(30_000);
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

  it("saves a paste's evidence as snapshots: no window, and the replay says so", async () => {
    const paste = join(root, "paste.txt");
    writeFileSync(
      paste,
      "$ uptime\n 10:00:00 up 1 day,  1 user,  load average: 0.10, 0.20, 0.30\n",
    );
    const saved = join(root, "from-paste");
    const r = await runCli(["diagnose", "x", "--from", paste, "--save", saved, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `diagbot: evidence saved to ${saved}: the outputs as collected, not redacted (folder 0700, files 0600)`,
    );
    expect(r.json.window.mode).toBe("since-boot");
    const manifest = JSON.parse(readFileSync(join(saved, "bundle.json"), "utf8"));
    expect(manifest.window).toBeUndefined();
    const replay = await runCli(["diagnose", "x", "--from", saved, "--json"]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.json.window.mode).toBe("since-boot");
  });

  it("refuses a directory under /proc at once (recursive mkdir would spin there)", async () => {
    for (const dir of ["/proc/diagbot-nope", "/proc/1/diagbot-nope/x"]) {
      const r = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--save ${dir}: no folder can be created there`);
      expect(r.stderr).toMatch(/hint: give a path to a new folder .* on a writable disk/);
    }
    const nested = join(root, "a", "b", "c");
    const r = await runCli(["diagnose", "x", "errors", "--from", source, "--save", nested]);
    expect(r.code).toBe(0);
    expect(readdirSync(nested)).toContain("bundle.json");
  });

  it("refuses a folder an earlier --save wrote, keeping that capture and the notes beside it", async () => {
    const dir = join(root, "bundle");
    const first = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(join(dir, "NOTES.md"), "notes\n");
    const before = readdirSync(dir).sort();
    const again = await runCli(["diagnose", "x", "errors", "--from", source, "--save", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--save ${dir}: it already holds an evidence bundle`);
    expect(again.stderr).toMatch(/hint: give a path to a new folder/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(before).toEqual(["NOTES.md", "bundle.json", "df-inodes.out", "df.out", "report.json"]);
  });
});

describe("--save when nothing could be saved", () => {
  it("removes the folder it made, and keeps one the operator made", async () => {
    const garbage = join(root, "garbage.bin");
    writeFileSync(garbage, Buffer.from([0, 1, 2, 0, 255]));
    const made = join(root, "made-by-diagbot", "and", "its-parents");
    const r = await runCli(["diagnose", "x", "--from", garbage, "--save", made]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("binary data");
    expect(readdirSync(root)).not.toContain("made-by-diagbot");
    const theirs = join(root, "made-by-the-operator");
    mkdirSync(theirs, { mode: 0o700 });
    const again = await runCli(["diagnose", "x", "--from", garbage, "--save", theirs]);
    expect(again.code).toBe(2);
    expect(readdirSync(theirs)).toEqual([]);
  });
});

describe("--save into the evidence being read", () => {
  /** A copy of the example bundle, and the sorted names it holds. */
  const copy = (name: string) => {
    const dir = join(root, name);
    cpSync(source, dir, { recursive: true });
    return { dir, names: readdirSync(dir).sort() };
  };

  it("refuses the --from folder itself, through a link, inside it or holding it, touching nothing", async () => {
    const { dir, names } = copy("read-from");
    chmodSync(dir, 0o755);
    const link = join(root, "read-from-link");
    symlinkSync(dir, link);
    const cases: [string, string][] = [
      [dir, "is"],
      [link, "is"],
      [join(link, "sub"), "is inside"],
      [root, "holds"],
    ];
    for (const [save, how] of cases) {
      const r = await runCli(["diagnose", "x", "errors", "--from", dir, "--save", save]);
      expect(r.code, save).toBe(2);
      expect(r.stderr).toContain(`--save ${save} ${how} the evidence being read (${dir})`);
      expect(r.stderr).toContain(`hint: save elsewhere: give a new folder outside ${dir}`);
    }
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(modeOf(dir)).toBe("0755");
  });

  it("refuses a replay host's own bundle", async () => {
    const { dir, names } = copy("replayed");
    const inventory = join(root, "replay.yaml");
    writeFileSync(inventory, "hosts:\n  r1:\n    transport: replay\n    bundle: ./replayed\n");
    const r = await runCli(["diagnose", "r1", "--save", dir], {
      env: { DIAGBOT_INVENTORY: inventory },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--save .*replayed is the evidence being read \(.*replayed\)/);
    expect(readdirSync(dir).sort()).toEqual(names);
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

  it("leaves a refused non-empty folder's mode as it was", async () => {
    const dir = join(root, "perm-not-empty");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "x\n");
    chmodSync(dir, 0o755);
    const r = await save(dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/tightened/);
    expect(modeOf(dir)).toBe("0755");
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
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
