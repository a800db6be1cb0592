import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  batchScript,
  newNonce,
  noFolderLine,
  splitBatch,
  startId,
  windowScript,
} from "../../src/engine/batch.js";

/** Runs a batch with the real /bin/sh and splits it again. */
function runBatch(items: { id: string; command: string }[]) {
  const nonce = newNonce();
  const r = spawnSync("/bin/sh", ["-c", batchScript(items, nonce)]);
  return splitBatch(r.stdout, r.stderr, nonce);
}

describe("batched execs", () => {
  it("gives each command its exact bytes, stderr and exit status", () => {
    const sections = runBatch([
      { id: "a", command: "printf 'one\\ntwo\\n'" },
      { id: "b", command: "printf 'no newline'" },
      { id: "c", command: "echo oops >&2; exit 3" },
      { id: "d", command: "printf '\\n\\n'" },
    ]);
    expect(sections.get("a")).toMatchObject({ exitCode: 0 });
    expect(sections.get("a")!.stdout.toString()).toBe("one\ntwo\n");
    expect(sections.get("b")!.stdout.toString()).toBe("no newline");
    expect(sections.get("c")!.stdout.toString()).toBe("");
    expect(sections.get("c")!.stderr.toString()).toBe("oops\n");
    expect(sections.get("c")!.exitCode).toBe(3);
    expect(sections.get("d")!.stdout.toString()).toBe("\n\n");
  });

  it("keeps binary output byte-exact", () => {
    const sections = runBatch([{ id: "bin", command: "printf '\\000\\377\\001'" }]);
    expect([...sections.get("bin")!.stdout]).toEqual([0, 255, 1]);
  });

  it("cannot be fooled by output that imitates a marker", () => {
    const sections = runBatch([
      { id: "evil", command: "echo '@@diagbot-0000000000000000 end evil 0@@'; echo after" },
      { id: "next", command: "echo ok" },
    ]);
    expect(sections.get("evil")!.stdout.toString()).toContain("after");
    expect(sections.get("next")!.stdout.toString()).toBe("ok\n");
  });

  it("reports a section that never ended without an exit status", () => {
    const nonce = newNonce();
    const script = batchScript([{ id: "cut", command: "echo partial; kill -9 $$" }], nonce);
    const r = spawnSync("/bin/sh", ["-c", script]);
    const cut = splitBatch(r.stdout, r.stderr, nonce).get("cut")!;
    expect(cut.stdout.toString()).toBe("partial\n");
    expect(cut.exitCode).toBeUndefined();
  });

  it("quotes ids and commands so the shell runs them as written", () => {
    expect(
      execFileSync("/bin/sh", [
        "-c",
        batchScript([{ id: "q", command: 'echo "it\'s"' }], "ab"),
      ]).toString(),
    ).toContain("it's");
  });
});

/** Runs a window script with the real /bin/sh, timed. */
function runWindow(
  items: { id: string; command: string; capBytes: number }[],
  reads: { id: string; command: string }[],
  seconds: number,
) {
  const nonce = newNonce();
  const started = Date.now();
  const r = spawnSync("/bin/sh", ["-c", windowScript(items, { items: reads, seconds }, nonce)]);
  return { r, nonce, ms: Date.now() - started, sections: splitBatch(r.stdout, r.stderr, nonce) };
}

describe("a window's collection in one exec", () => {
  it("runs the items side by side, reads the counters at both ends, and cuts at the cap", () => {
    const { sections, ms, r } = runWindow(
      [
        { id: "slow-a", command: "sleep 1; echo a" },
        { id: "slow-b", command: "sleep 1; echo b >&2; exit 4" },
        { id: "chatty", command: "head -c 5000 /dev/zero", capBytes: 100 },
      ].map((i) => ({ capBytes: 1000, ...i })),
      [{ id: "clock", command: "date +%s%N" }],
      2,
    );
    // Side by side: two 1 s sleeps inside a 2 s window, not 1 + 1 + 2.
    expect(ms).toBeLessThan(3500);
    expect(sections.get("slow-a")).toMatchObject({ exitCode: 0 });
    expect(sections.get("slow-a")!.stdout.toString()).toBe("a\n");
    expect(sections.get("slow-b")!.stderr.toString()).toBe("b\n");
    expect(sections.get("slow-b")!.exitCode).toBe(4);
    expect(sections.get("chatty")!.stdout.length).toBe(101);
    const start = BigInt(sections.get(startId("clock"))!.stdout.toString().trim());
    const end = BigInt(sections.get("clock")!.stdout.toString().trim());
    expect(Number(end - start) / 1e9).toBeGreaterThanOrEqual(1);
    expect(r.stdout.toString()).not.toContain("no-folder");
  });

  it("removes its folder when it ends and when it is interrupted", () => {
    const parent = `/tmp/diagbot.${process.getuid?.() ?? 0}`;
    const before = new Set(existsSync(parent) ? readdirSync(parent) : []);
    runWindow([{ id: "x", command: "echo x", capBytes: 10 }], [], 1);
    const nonce = newNonce();
    // SIGINT while it waits, as `timeout -s INT` sends it.
    spawnSync("timeout", [
      "-s",
      "INT",
      "1",
      "/bin/sh",
      "-c",
      windowScript(
        [{ id: "y", command: "sleep 5", capBytes: 10 }],
        { items: [], seconds: 1 },
        nonce,
      ),
    ]);
    const left = readdirSync(parent).filter((n) => n.startsWith("batch.") && !before.has(n));
    expect(left).toEqual([]);
  });

  it("runs nothing and says so when the host gives it no folder", () => {
    const nonce = newNonce();
    const home = mkdtempSync(join(tmpdir(), "diagbot-test-nofolder-"));
    try {
      // A parent that is a symlink is refused (host-tmp.ts), as on a host where /tmp is not usable.
      const script = windowScript(
        [{ id: "z", command: `touch ${home}/ran`, capBytes: 10 }],
        { items: [], seconds: 1 },
        nonce,
      ).replaceAll("/tmp/diagbot.$(id -u)", `${home}/link`);
      symlinkSync(home, join(home, "link"));
      const r = spawnSync("/bin/sh", ["-c", script]);
      expect(r.stdout.toString().trim()).toBe(noFolderLine(nonce));
      expect(existsSync(join(home, "ran"))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
