import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CollectedOutput } from "../diagnosis/collect.js";
import { DiagbotError } from "../errors.js";
import { type CollectorEntry, type Manifest, STDERR_EXCERPT_BYTES, sha256hex } from "./manifest.js";

/**
 * Writes an evidence bundle: `<id>.out` (byte-exact report stream), `<id>.start.out` (first
 * snapshot of a windowed counter), `bundle.json` and, when given, `report.json` (the verdict as
 * produced, so a later replay can say what changed). Only a local save is byte-exact; nothing
 * here is redacted. Throws the fs error (EACCES, ENOSPC) unchanged.
 */
export async function saveBundle(
  dir: string,
  meta: { host: string; startedAt: string; symptom: string; windowSeconds: number },
  outputs: readonly CollectedOutput[],
  report?: object,
): Promise<void> {
  await makeDirectory(dir);
  const collectors: Record<string, CollectorEntry> = {};
  for (const o of outputs) {
    const sha256: CollectorEntry["sha256"] = {};
    if (o.out !== undefined) {
      await writeFile(join(dir, `${o.id}.out`), o.out);
      sha256.out = sha256hex(o.out);
    }
    if (o.start !== undefined) {
      await writeFile(join(dir, `${o.id}.start.out`), o.start);
      sha256.start = sha256hex(o.start);
    }
    collectors[o.id] = {
      status: o.status,
      command: o.command,
      stream: o.stream,
      exitCode: o.exitCode,
      durationMs: o.durationMs,
      stderr: o.stderr?.subarray(0, STDERR_EXCERPT_BYTES).toString("utf8") || undefined,
      truncated: o.truncated,
      error: o.error,
      sha256: o.out || o.start ? sha256 : undefined,
    };
  }
  const manifest: Manifest = {
    version: 1,
    host: meta.host,
    startedAt: meta.startedAt,
    symptom: meta.symptom,
    window: { seconds: meta.windowSeconds },
    collectors,
  };
  await writeFile(join(dir, "bundle.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (report) await writeFile(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
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
    if (name === "bundle.json" || name === "report.json" || name.endsWith(".out"))
      await rm(join(dir, name), { force: true });
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
