import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FACT_CATALOGUE } from "../derive/index.js";
import type { Runbook } from "./schema.js";

/**
 * The packaged rules, checked once when diagbot is built: `npm run build` writes
 * `dist/runbooks.compiled.json`, and loading the rules then costs one `JSON.parse` instead of
 * the YAML parse and the checks of load.ts (270 ms of CPU at every start, 83 rules, measured
 * on the benchmark machine of bench/README.md).
 *
 * The file is used only while its digest holds: the names and bytes of the folder's `*.yaml`
 * files, the code that gives a rule its meaning (load and schema, next to this module) and the
 * fact catalogue. Any change to one of them, or a folder of one's own (`DIAGBOT_RUNBOOKS`),
 * loads the folder as usual.
 */
export const COMPILED_RUNBOOKS = fileURLToPath(
  new URL("../runbooks.compiled.json", import.meta.url),
);

interface Compiled {
  digest: string;
  runbooks: readonly Runbook[];
}

/** The digest of a runbook folder as loaded by this build; null when a file cannot be read. */
export function runbookDigest(dir: string): string | null {
  const hash = createHash("sha256");
  try {
    const names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
    for (const name of names) {
      const path = join(dir, name);
      if (!statSync(path).isFile()) return null;
      hash.update(`${name}\0`).update(readFileSync(path)).update("\0");
    }
    const ext = extname(fileURLToPath(import.meta.url));
    for (const module of ["load", "schema"]) {
      hash.update(readFileSync(new URL(`./${module}${ext}`, import.meta.url))).update("\0");
    }
  } catch {
    return null;
  }
  return hash.update(JSON.stringify(FACT_CATALOGUE)).digest("hex");
}

/** The rules of `dir` from `file`, when its digest is that of the folder now; else null. */
export function readCompiled(dir: string, file: string = COMPILED_RUNBOOKS): Runbook[] | null {
  if (!existsSync(file)) return null;
  try {
    const compiled = JSON.parse(readFileSync(file, "utf8")) as Compiled;
    return compiled.digest === runbookDigest(dir) ? [...compiled.runbooks] : null;
  } catch {
    return null;
  }
}

/** Writes `runbooks` (already checked) as the compiled rules of `dir`. */
export function writeCompiled(
  dir: string,
  runbooks: readonly Runbook[],
  file: string = COMPILED_RUNBOOKS,
): void {
  const digest = runbookDigest(dir);
  if (!digest) throw new Error(`cannot read the runbook folder ${dir}`);
  writeFileSync(file, JSON.stringify({ digest, runbooks } satisfies Compiled));
}
