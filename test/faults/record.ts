import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { categories, diagnoseLocal, tempDir } from "./helpers.js";

/**
 * `diagnoseLocal` for a fault, which also records the fault as a runbook example when
 * `DIAGBOT_FAULTS_RECORD=1`: the bundle (`--save`) goes to `runbooks/examples/fault-<name>/`
 * with an `expected.json`, so `diagbot runbooks test` replays it. Only a run that named the
 * expected category first is recorded; an earlier recording is replaced whole.
 *
 * The example keeps the files of the collectors in `keep` (the ones the family's rules read,
 * and those that would show a competing cause), byte-exact, and `bundle.json` lists just
 * those: a whole-host bundle is ~300 KB, mostly of collectors that say nothing about the
 * fault, and the examples ship with the package.
 */
const EXAMPLES = fileURLToPath(new URL("../../runbooks/examples/", import.meta.url));

export const RECORDING = process.env.DIAGBOT_FAULTS_RECORD === "1";

export interface Expected {
  category: string;
  also?: string[];
  /** Collector ids whose files the example keeps. */
  keep: string[];
}

export async function diagnoseFault(
  name: string,
  symptom: string,
  expected: Expected,
  extra: string[] = [],
): Promise<any> {
  if (!RECORDING) return diagnoseLocal(symptom, extra);
  const tmp = join(tempDir(`record-${name}`), "bundle");
  try {
    const report = await diagnoseLocal(symptom, [...extra, "--save", tmp]);
    const top = categories(report)[0];
    if (top === expected.category || expected.also?.includes(top)) {
      prune(tmp, new Set(expected.keep));
      writeFileSync(
        join(tmp, "expected.json"),
        `${JSON.stringify(
          {
            category: expected.category,
            also: expected.also ?? [],
            symptom,
            source: "diagbot live fault suite",
          },
          null,
          1,
        )}\n`,
      );
      const dest = join(EXAMPLES, `fault-${name}`);
      if (existsSync(dest)) rmSync(dest, { recursive: true });
      cpSync(tmp, dest, { recursive: true });
    }
    return report;
  } finally {
    rmSync(join(tmp, ".."), { recursive: true, force: true });
  }
}

function prune(dir: string, keep: Set<string>): void {
  for (const file of readdirSync(dir)) {
    const id = file.replace(/(\.start)?\.out$/, "");
    if (file !== "bundle.json" && !keep.has(id)) rmSync(join(dir, file));
  }
  const manifestPath = join(dir, "bundle.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  manifest.collectors = Object.fromEntries(
    Object.entries(manifest.collectors ?? {}).filter(([id]) => keep.has(id)),
  );
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}
