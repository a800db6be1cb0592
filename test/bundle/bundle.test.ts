import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadBundle } from "../../src/bundle/load.js";
import { saveBundle } from "../../src/bundle/save.js";
import { DiagbotError } from "../../src/model/errors.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "diagbot-bundle-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const known = new Set(["uptime", "nstat", "dmesg"]);

describe("evidence bundles", () => {
  it("round-trips outputs byte for byte with a manifest and SHA-256 sums", async () => {
    const dir = tempDir();
    const out = Buffer.from([0x31, 0x0a, 0xff, 0x00]);
    await saveBundle(
      dir,
      { host: "h1", startedAt: "2026-11-30T00:00:00.000Z", symptom: "latency", windowSeconds: 5 },
      [
        {
          id: "nstat",
          status: "ok",
          out,
          start: Buffer.from("start"),
          durationMs: 12,
          command: "nstat -asz",
          stream: "stdout",
        },
        {
          id: "dmesg",
          status: "failed",
          durationMs: 3,
          exitCode: 1,
          error: "exit 1: Operation not permitted",
        },
      ],
    );
    const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
    expect(manifest).toMatchObject({ host: "h1", symptom: "latency", window: { seconds: 5 } });
    expect(manifest.collectors.nstat.sha256.out).toMatch(/^[0-9a-f]{64}$/);
    const loaded = await loadBundle(dir, known);
    const nstat = loaded.outputs.find((o) => o.id === "nstat")!;
    expect([...nstat.out!]).toEqual([...out]);
    expect(nstat.start!.toString()).toBe("start");
    expect(loaded.outputs.find((o) => o.id === "dmesg")).toMatchObject({
      status: "failed",
      error: /not permitted/,
    });
    expect(loaded.notes).toEqual([]);
  });

  it("loads a hand-made bundle without bundle.json and lists unknown files as ignored", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "uptime.out"), "0.1 0.2 0.3 1/100 5\n");
    writeFileSync(join(dir, "made-up-tool.out"), "x\n");
    writeFileSync(join(dir, "notes.txt"), "x\n");
    const loaded = await loadBundle(dir, known);
    expect(loaded.outputs.map((o) => o.id)).toEqual(["uptime"]);
    expect(loaded.ignored).toEqual(["made-up-tool.out", "notes.txt"]);
  });

  it("notes a file edited after it was saved", async () => {
    const dir = tempDir();
    await saveBundle(dir, { host: "h", startedAt: "x", symptom: "health", windowSeconds: 5 }, [
      { id: "uptime", status: "ok", out: Buffer.from("a\n"), durationMs: 1 },
    ]);
    writeFileSync(join(dir, "uptime.out"), "b\n");
    expect((await loadBundle(dir, known)).notes[0]).toMatch(/edited after it was saved/);
  });

  it("says what is wrong with a missing, empty or broken bundle", async () => {
    await expect(loadBundle("/nonexistent/bundle", known)).rejects.toThrow(/cannot read bundle/);
    await expect(loadBundle(tempDir(), known)).rejects.toThrow(DiagbotError);
    const broken = tempDir();
    writeFileSync(join(broken, "bundle.json"), "{ not json");
    await expect(loadBundle(broken, known)).rejects.toThrow(
      /holds no output of a known collector and a bundle\.json it cannot use \(not valid JSON \(/,
    );
    const listsNone = tempDir();
    writeFileSync(join(listsNone, "bundle.json"), "{}");
    await expect(loadBundle(listsNone, known)).rejects.toThrow(
      /holds no output of a known collector and a bundle\.json that lists no collector/,
    );
  });

  it("reads the .out files when bundle.json is broken, and says so", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bundle.json"), "{ not json");
    writeFileSync(join(dir, "uptime.out"), "0.1 0.2 0.3 1/100 5\n");
    const loaded = await loadBundle(dir, known);
    expect(loaded.outputs.map((o) => o.id)).toEqual(["uptime"]);
    expect(loaded.notes[0]).toMatch(/bundle.json: not valid JSON .* ignored/);
  });

  it("marks an .out that is not a regular file failed instead of blocking on it", async () => {
    const dir = tempDir();
    execFileSync("mkfifo", [join(dir, "dmesg.out")]);
    writeFileSync(join(dir, "uptime.out"), "0.1 0.2 0.3 1/100 5\n");
    const loaded = await loadBundle(dir, known);
    expect(loaded.outputs.find((o) => o.id === "dmesg")).toMatchObject({
      status: "failed",
      error: /not a regular file/,
    });
    expect(loaded.outputs.find((o) => o.id === "uptime")?.status).toBe("ok");
  });

  it("refuses symbolic links inside a bundle instead of reading what they point at", async () => {
    const dir = tempDir();
    const outside = join(tempDir(), "private");
    writeFileSync(outside, "SECRET-BYTES of a file outside the bundle\n");
    writeFileSync(
      join(outside + ".json"),
      JSON.stringify({ hypotheses: [{ title: "SECRET-TITLE", rule: "r", confidence: 1 }] }),
    );
    symlinkSync(outside, join(dir, "dmesg.out"));
    symlinkSync(outside, join(dir, "nstat.start.out"));
    symlinkSync(`${outside}.json`, join(dir, "report.json"));
    symlinkSync(`${outside}.json`, join(dir, "bundle.json"));
    writeFileSync(join(dir, "uptime.out"), "0.1 0.2 0.3 1/100 5\n");
    writeFileSync(join(dir, "nstat.out"), "#kernel\nIpInReceives 10 0.0\n");
    const loaded = await loadBundle(dir, known);
    expect(loaded.outputs.find((o) => o.id === "dmesg")).toMatchObject({
      status: "failed",
      error: /dmesg.out: a symbolic link: refused/,
    });
    expect(loaded.outputs.find((o) => o.id === "nstat")?.start).toBeUndefined();
    expect(loaded.recorded).toBeUndefined();
    expect(loaded.notes.join("\n")).toMatch(/bundle.json: .*symbolic link/);
    expect(loaded.notes.join("\n")).toMatch(/nstat.start.out: a symbolic link/);
    expect(JSON.stringify(loaded)).not.toMatch(/SECRET/);
    expect(loaded.outputs.find((o) => o.id === "uptime")?.status).toBe("ok");
  });
});
