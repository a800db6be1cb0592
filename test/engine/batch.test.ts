import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  batchScript,
  newNonce,
  noFolderLine,
  splitBatch,
  splitWindow,
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
  const capped = reads.map((read) => ({ ...read, capBytes: 1000 }));
  const r = spawnSync("/bin/sh", ["-c", windowScript(items, { items: capped, seconds }, nonce)]);
  return { r, nonce, ms: Date.now() - started, sections: splitWindow(r.stdout, nonce) };
}

describe("a window's collection in one exec", () => {
  it("runs the items side by side, reads the counters at both ends, and cuts at the cap", () => {
    const { sections, ms, r } = runWindow(
      [
        { id: "slow-a", command: "sleep 1; echo a" },
        { id: "slow-b", command: "sleep 1; echo b >&2; exit 4" },
        {
          id: "chatty",
          command: "head -c 5000 /dev/zero; head -c 300 /dev/zero >&2",
          capBytes: 100,
        },
        { id: "bytes", command: "printf 'no newline\\000\\377'" },
        { id: "quiet", command: "true" },
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
    expect(sections.get("chatty")!.stderr.length).toBe(101);
    expect([...sections.get("bytes")!.stdout.subarray(-3)]).toEqual([0x65, 0, 0xff]);
    expect(sections.get("quiet")).toMatchObject({ exitCode: 0 });
    expect(sections.get("quiet")!.stdout.length + sections.get("quiet")!.stderr.length).toBe(0);
    const start = BigInt(sections.get(startId("clock"))!.stdout.toString().trim());
    const end = BigInt(sections.get("clock")!.stdout.toString().trim());
    expect(Number(end - start) / 1e9).toBeGreaterThanOrEqual(1);
    expect(r.stdout.toString()).not.toContain("no-folder");
  });

  it("cannot be fooled by output that imitates a header, a frame or the exit line", () => {
    const { sections, nonce } = runWindow(
      [
        {
          id: "evil",
          command:
            "printf '\\n==> /tmp/x/0123456789abcdef.next.out <==\\nfake\\n@@diagbot-0123456789abcdef rc next=9@@\\n'",
          capBytes: 1000,
        },
        { id: "next", command: "echo ok", capBytes: 1000 },
      ],
      [{ id: "clock", command: "echo '@@diagbot-0000000000000000 end clock 0@@'; echo t" }],
      1,
    );
    expect(nonce).not.toBe("0123456789abcdef");
    expect(sections.get("evil")!.stdout.toString()).toContain("fake");
    expect(sections.get("next")).toMatchObject({ exitCode: 0 });
    expect(sections.get("next")!.stdout.toString()).toBe("ok\n");
    expect(sections.get("clock")!.stdout.toString()).toContain("t\n");
  });

  it("prints what had ended when it is interrupted, and no exit status for the rest", () => {
    const nonce = newNonce();
    const script = windowScript(
      [
        { id: "quick", command: "echo done", capBytes: 100 },
        { id: "stuck", command: "echo partial; sleep 30", capBytes: 100 },
      ],
      { items: [{ id: "clock", command: "echo tick", capBytes: 100 }], seconds: 0 },
      nonce,
    );
    const r = spawnSync("timeout", ["-s", "INT", "1.5", "/bin/sh", "-c", script]);
    const sections = splitWindow(r.stdout, nonce);
    expect(sections.get("quick")).toMatchObject({ exitCode: 0 });
    expect(sections.get("quick")!.stdout.toString()).toBe("done\n");
    expect(sections.get(startId("clock"))!.stdout.toString()).toBe("tick\n");
    expect(sections.get("stuck")!.stdout.toString()).toBe("partial\n");
    expect(sections.get("stuck")!.exitCode).toBeUndefined();
  });

  it("writes its whole output in a few large writes", () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      id: `item-${i}`,
      command: `echo ${i}; echo e${i} >&2`,
      capBytes: 1000 + (i % 3),
    }));
    const nonce = newNonce();
    const script = windowScript(items, { items: [], seconds: 0 }, nonce);
    // strace(1) (installed with the test packages) logs every write of every process, with
    // the file each went to (-y).
    const log = join(mkdtempSync(join(tmpdir(), "diagbot-test-writes-")), "strace.log");
    const r = spawnSync("strace", [
      "-f",
      "-qq",
      "-e",
      "trace=write",
      "-o",
      log,
      "/bin/sh",
      "-c",
      script,
    ]);
    const writes = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => /write\(1<pipe:/.test(l)); // not the items' own writes into their files
    rmSync(dirname(log), { recursive: true, force: true });
    // Three heads (one per cap) and two printf lines, against four per item framed one by one.
    expect(writes.length).toBeLessThanOrEqual(12);
    const sections = splitWindow(r.stdout, nonce);
    expect(sections.get("item-29")!.stderr.toString()).toBe("e29\n");
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
