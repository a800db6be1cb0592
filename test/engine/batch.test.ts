import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { batchScript, newNonce, splitBatch } from "../../src/engine/batch.js";

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
