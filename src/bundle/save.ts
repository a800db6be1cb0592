import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import { buildBundle } from "./manifest.js";

/**
 * Writes an evidence bundle: `<id>.out` (byte-exact report stream), `<id>.start.out` (first
 * snapshot of a windowed counter) and `bundle.json`. Only a local save is byte-exact; nothing
 * here is redacted. Throws the fs error (EACCES, ENOSPC) unchanged.
 */
export async function saveBundle(
  dir: string,
  meta: { host: string; startedAt: string; symptom: string; windowSeconds: number },
  outputs: readonly CollectedOutput[],
): Promise<void> {
  await makeDirectory(dir);
  const { files, manifest } = buildBundle(meta, outputs);
  for (const f of files) await writeFile(join(dir, f.name), f.data);
  await writeFile(join(dir, "bundle.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Makes sure `dir` can take a bundle before any collector runs, so a bad `--save` path costs
 * nothing: creates it when missing; an existing bundle (it holds `bundle.json`) has its old
 * outputs removed so no stale file is replayed as if it were new; any other non-empty
 * directory, or a path that is not a writable directory, is refused.
 * @throws DiagbotError "usage" naming the path and the reason.
 */
export async function prepareBundleDir(dir: string): Promise<void> {
  const refuse = (why: string) =>
    new DiagbotError("usage", `--save ${dir}: ${why}`, {
      hint: "give a new or empty directory, or one an earlier --save wrote",
    });
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  if (names.length === 0) return;
  if (!names.includes("bundle.json")) throw refuse("not empty and not a bundle");
  for (const name of names) {
    if (name === "bundle.json" || name.endsWith(".out")) await rm(join(dir, name), { force: true });
  }
}

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdir(dir, { recursive: true })` never returns
 * for a path under /proc: mkdir there fails with ENOENT although the parent exists, and it
 * creates the parent again, forever. Here that ENOENT is thrown.
 * @throws the fs error: ENOENT (under /proc), EACCES, EROFS, ENOTDIR, EEXIST for a file.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await stat(dir)).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir || existsSync(parent)) throw err;
    await makeDirectory(parent);
    await mkdir(dir);
  }
}
