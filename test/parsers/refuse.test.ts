import { randomFillSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../src/parsers/lines.js";
import { binaryReason, parseRefusing } from "../../src/parsers/refuse.js";
import { RefusedOutputError } from "../../src/parsers/unrecognised.js";
import { isSourceId, loadParser } from "../../src/sources/index.js";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

/** `file` → `collector_id` of a MANIFEST.tsv, for the ids that have a parser. */
function manifest(path: string): [string, string][] {
  const rows = readFileSync(path, "utf8").trim().split("\n").slice(1);
  return rows
    .map((r) => r.split("\t"))
    .filter(([, , id]) => isSourceId(id))
    .map(([file, , id]) => [file, id]);
}

/** Parses `bytes` plainly and with refusal: a real output read plainly must not be refused. */
async function expectNotRefused(id: string, bytes: Buffer): Promise<boolean> {
  const parser = (await loadParser(id))!;
  const text = bytes.toString("utf8");
  try {
    parser(linesOf(text));
  } catch {
    return false; // not read even without refusal (an example of what the parser refuses)
  }
  expect(binaryReason(id, bytes)).toBeUndefined();
  expect(() => parseRefusing(id, parser, linesOf(text))).not.toThrow();
  return true;
}

describe("refusal threshold", () => {
  it("refuses binary data and outputs with under 1 % of lines recognised, with the real count", async () => {
    const parser = (await loadParser("dmesg"))!;
    const ls = readFileSync("/bin/ls");
    expect(binaryReason("dmesg", ls)).toMatch(/^not dmesg output: binary data \(a NUL byte/);
    expect(() => parseRefusing("dmesg", parser, linesOf(ls.toString("utf8")))).toThrow(
      /not dmesg output: binary data/,
    );
    // 1,000 lines that are no kernel log, 5 that are: 0.5 % recognised.
    const junk = Array.from({ length: 1000 }, (_, i) => `$ junk ${i}`);
    const real = Array.from({ length: 5 }, (_, i) => `[ ${i + 1}.000000] eth0: link up`);
    const run = () => parseRefusing("dmesg", parser, [...real, ...junk]);
    expect(run).toThrow(RefusedOutputError);
    expect(run).toThrow("not dmesg output: 99 % of lines unreadable (1000 of 1005)");
    // Invalid UTF-8 beyond 1 % of the characters, no NUL.
    const bad = Buffer.alloc(200_000, 0xff);
    for (let i = 0; i < bad.length; i += 50) bad[i] = 0x0a;
    expect(() => parseRefusing("dmesg", parser, linesOf(bad.toString("utf8")))).toThrow(
      /binary data \(\d+ % of the characters read are invalid UTF-8\)/,
    );
    // 10 % recognised is a messy paste, not a foreign file: read.
    const mixed = [...Array.from({ length: 100 }, (_, i) => `[ ${i}.5] x`), ...junk.slice(0, 900)];
    expect(() => parseRefusing("dmesg", parser, mixed)).not.toThrow();
  });

  it("diagbot parse dmesg /bin/ls exits 1 and says why", async () => {
    const r = await runCli(["parse", "dmesg", "/bin/ls", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not dmesg output: binary data/);
  });

  it("a replayed dmesg of random bytes fails with the reason and its rules are not evaluated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-test-garbage-"));
    try {
      writeFileSync(join(dir, "dmesg.out"), randomFillSync(Buffer.alloc(20 << 20)));
      const r = await runCli(["diagnose", "garbage", "--from", dir, "--json"]);
      const dmesg = r.json.collectors.find((c: { id: string }) => c.id === "dmesg");
      expect(dmesg.status).toBe("failed");
      expect(dmesg.error).toMatch(/^not dmesg output: binary data/);
      const verdicts = Object.fromEntries(
        r.json.checked.map((c: { rule: string; verdict: string }) => [c.rule, c.verdict]),
      );
      for (const rule of ["hung-task", "disk-errors-hardware", "kernel-bug-signature"]) {
        expect(verdicts[rule], rule).toBe("not-evaluated");
      }
      expect(r.json.hypotheses).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses no file of the shared corpus", async () => {
    const corpus = new URL("../../../shared/corpus", import.meta.url).pathname;
    let read = 0;
    for (const [file, id] of manifest(join(corpus, "MANIFEST.tsv"))) {
      if (await expectNotRefused(id, readFileSync(join(corpus, file)))) read++;
    }
    expect(read).toBeGreaterThan(100);
  });

  it("refuses no fixture under test/fixtures", async () => {
    let read = 0;
    for (const [file, id] of manifest(fixturePath("MANIFEST.tsv"))) {
      if (await expectNotRefused(id, readFileSync(fixturePath(file)))) read++;
    }
    expect(read).toBeGreaterThan(50);
  });
});
