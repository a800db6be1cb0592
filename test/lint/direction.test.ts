import { execFile } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The import direction (docs/ARCHITECTURE.md) is enforced by `npm run lint`: this copies src/
 * and biome.json into a scratch folder, plants a backward import or an import cycle, and runs
 * the project's own biome there.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const BIOME = join(ROOT, "node_modules/.bin/biome");
const run = promisify(execFile);

let scratch: string | undefined;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function copyOfRepo(): string {
  scratch = mkdtempSync(join(tmpdir(), "diagbot-lint-"));
  cpSync(join(ROOT, "src"), join(scratch, "src"), { recursive: true });
  // The scratch folder is no git work tree: the copy lints every file it holds.
  const config = JSON.parse(readFileSync(join(ROOT, "biome.json"), "utf8"));
  config.vcs = { enabled: false };
  writeFileSync(join(scratch, "biome.json"), JSON.stringify(config));
  return scratch;
}

async function lint(dir: string): Promise<{ code: number; output: string }> {
  try {
    const r = await run(BIOME, ["lint", "--max-diagnostics=200", "src"], { cwd: dir });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe("lint enforces the direction of imports", () => {
  it("passes on an unchanged copy of src/", async () => {
    const r = await lint(copyOfRepo());
    expect(r.output).not.toMatch(/noRestrictedImports|noImportCycles/);
    expect(r.code).toBe(0);
  });

  it("fails on a backward import (a parser importing the engine)", async () => {
    const dir = copyOfRepo();
    appendFileSync(
      join(dir, "src/parsers/uptime.ts"),
      'import { buildReport } from "../engine/diagnose.js";\nexport const planted = buildReport;\n',
    );
    const r = await lint(dir);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/src\/parsers\/uptime\.ts.*lint\/style\/noRestrictedImports/);
  });

  it("fails on an import cycle (inside one folder, so the direction alone allows it)", async () => {
    const dir = copyOfRepo();
    appendFileSync(
      join(dir, "src/engine/plan.ts"),
      'import { nothingRan } from "./diagnose.js";\nexport const planted = nothingRan;\n',
    );
    const r = await lint(dir);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/lint\/suspicious\/noImportCycles/);
    expect(r.output).not.toMatch(/noRestrictedImports/);
  });
});
