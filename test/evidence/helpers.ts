import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEvidence } from "../../src/evidence/index.js";
import type { EvidenceRead } from "../../src/evidence/types.js";
import { fixturePath } from "../helpers/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "diagbot-evidence-test-"));
let n = 0;

/** Writes `text` to a file of its own and reads it with --from's reader. */
export async function readText(text: string | Buffer): Promise<EvidenceRead> {
  const file = join(dir, `paste-${++n}.txt`);
  writeFileSync(file, text);
  return readEvidence(file);
}

/** The collector ids of test/fixtures/MANIFEST.tsv, each with one fixture (this machine's first). */
export function fixtureByCollector(): Map<string, string> {
  const rows = readFileSync(fixturePath("MANIFEST.tsv"), "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split("\t"))
    .map(([file, , collector]) => ({ file, collector }));
  const out = new Map<string, string>();
  for (const r of rows)
    if (r.file.includes("vm-debian12") && !out.has(r.collector)) out.set(r.collector, r.file);
  for (const r of rows) if (!out.has(r.collector)) out.set(r.collector, r.file);
  return out;
}
