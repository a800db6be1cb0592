import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCompiled, runbookDigest, writeCompiled } from "../../src/runbooks/compiled.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

const PACKAGED = new URL("../../runbooks", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "diagbot-test-compiled-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the packaged rules (without examples) and a compiled file for it. */
async function compiledCopy(name: string) {
  const dir = join(work, name);
  cpSync(PACKAGED, dir, { recursive: true, filter: (src) => !src.includes("/examples") });
  const file = join(work, `${name}.json`);
  const rules = await loadRunbooks(dir, { compiled: false });
  writeCompiled(dir, rules, file);
  return { dir, file, rules };
}

describe("rules checked at build time", () => {
  it("are the rules that loading the folder gives", async () => {
    const { dir, file, rules } = await compiledCopy("same");
    expect(rules.length).toBeGreaterThan(40);
    expect(readCompiled(dir, file)).toEqual(rules);
  });

  it("are not used once a rule file changes, is added or goes", async () => {
    const { dir, file } = await compiledCopy("changed");
    const before = runbookDigest(dir);
    appendFileSync(join(dir, "cpu.yaml"), "\n# a comment is a change too\n");
    expect(runbookDigest(dir)).not.toBe(before);
    expect(readCompiled(dir, file)).toBeNull();
    const added = await compiledCopy("added");
    writeFileSync(join(added.dir, "zz-mine.yaml"), "");
    expect(readCompiled(added.dir, added.file)).toBeNull();
  });

  it("are not used when the file is missing or not what was written", async () => {
    const { dir, file } = await compiledCopy("broken");
    expect(readCompiled(dir, join(work, "missing.json"))).toBeNull();
    writeFileSync(file, "{ not json");
    expect(readCompiled(dir, file)).toBeNull();
    expect(runbookDigest(join(work, "no-such-folder"))).toBeNull();
  });
});
