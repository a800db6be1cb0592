import { constants, existsSync } from "node:fs";
import { chmod, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import { buildBundle } from "./manifest.js";

/**
 * Modes of what `--save` writes: the outputs are byte-exact and unredacted (every token in a
 * process's command line, every secret in dmesg), so only the owner may read them. Set with
 * chmod after creation, so the umask cannot loosen them.
 */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** Permission bits that let the group or others write into (or replace files in) a folder. */
const WRITABLE_BY_OTHERS = 0o022;

/**
 * Writes an evidence bundle: `<id>.out` (byte-exact report stream), `<id>.start.out` (first
 * snapshot of a windowed counter), `bundle.json` and, when given, `report.json` (the verdict as
 * produced, so a later replay can say what changed), each mode 0600 in a folder of mode 0700
 * (see {@link prepareBundleDir}). Only a local save is byte-exact; nothing here is redacted.
 * @throws DiagbotError "usage" when the folder is not safe to hold secrets; else the fs error
 *   (EACCES, ENOSPC) unchanged.
 */
export async function saveBundle(
  dir: string,
  meta: { host: string; startedAt: string; symptom: string; windowSeconds: number },
  outputs: readonly CollectedOutput[],
  report?: object,
): Promise<void> {
  await secureDirectory(dir);
  const { files, manifest } = buildBundle(meta, outputs);
  for (const f of files) await writePrivate(join(dir, f.name), f.data);
  await writePrivate(join(dir, "bundle.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (report) await writePrivate(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * Makes sure `dir` can take a bundle before any collector runs, so a bad `--save` path costs
 * nothing: creates it (and any missing parent) with mode 0700 when missing; an existing bundle
 * (it holds `bundle.json`) has its old outputs removed so no stale file is replayed as if it
 * were new; any other non-empty directory, or a path that is not a writable directory, is
 * refused. An existing folder must be owned by the user running diagbot and writable by
 * nobody else (else it is refused: someone else could read, plant or swap files there); one
 * that the group or others may only read or enter is tightened to 0700.
 * @returns a note for the operator when the folder's mode was tightened, else undefined.
 * @throws DiagbotError "usage" naming the path and the reason.
 */
export async function prepareBundleDir(dir: string): Promise<string | undefined> {
  const refuse = (why: string) =>
    new DiagbotError("usage", `--save ${dir}: ${why}`, {
      hint: "give a new or empty directory, or one an earlier --save wrote",
    });
  let note: string | undefined;
  let names: string[];
  try {
    note = await secureDirectory(dir);
    names = await readdir(dir);
  } catch (err) {
    throw err instanceof DiagbotError ? err : refuse((err as Error).message);
  }
  if (names.length > 0 && !names.includes("bundle.json"))
    throw refuse("not empty and not a bundle");
  for (const name of names) {
    if (name === "bundle.json" || name === "report.json" || name.endsWith(".out"))
      await rm(join(dir, name), { force: true });
  }
  return note;
}

/**
 * Creates `dir` 0700 when missing; else checks that it is a folder owned by this user that
 * nobody else may write to, and takes away the group's and others' read and search bits.
 * @returns "permissions tightened from 0755 to 0700" when it changed the mode.
 * @throws DiagbotError "usage" for a folder of another user or one others may write to;
 *   the fs error when it cannot be created or read.
 */
async function secureDirectory(dir: string): Promise<string | undefined> {
  if (await makeDirectory(dir)) return undefined;
  const st = await stat(dir);
  const uid = process.getuid?.();
  const unsafe = (why: string, hint: string) =>
    new DiagbotError("usage", `--save ${dir}: ${why}; a bundle holds unredacted secrets`, {
      hint,
    });
  if (uid !== undefined && st.uid !== uid) {
    throw unsafe(
      `the folder is owned by uid ${st.uid}, not by the user running diagbot (uid ${uid})`,
      "give a folder of your own, or a new path (it is created with mode 0700)",
    );
  }
  const mode = st.mode & 0o777;
  if (mode & WRITABLE_BY_OTHERS) {
    throw unsafe(
      `the group or others may write to the folder (mode ${octal(mode)})`,
      `give a new path (it is created with mode 0700), or run chmod 700 ${dir} first`,
    );
  }
  if (mode === DIR_MODE) return undefined;
  await chmod(dir, DIR_MODE);
  return `--save ${dir}: permissions tightened from ${octal(mode)} to ${octal(DIR_MODE)} (the bundle is unredacted)`;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/**
 * Writes `data` to `path` with mode 0600 whatever the umask; an existing file is truncated and
 * its mode reset; a symbolic link is refused (ELOOP) rather than followed.
 */
async function writePrivate(path: string, data: string | Uint8Array): Promise<void> {
  const file = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    FILE_MODE,
  );
  try {
    await file.chmod(FILE_MODE);
    await file.writeFile(data);
  } finally {
    await file.close();
  }
}

/**
 * `mkdir -p` with mode 0700 for every folder it creates, one level at a time. Node 20's
 * `mkdir(dir, { recursive: true })` never returns for a path under /proc: mkdir there fails
 * with ENOENT although the parent exists, and it creates the parent again, forever. Here that
 * ENOENT is thrown.
 * @returns true when `dir` was created, false when it existed as a directory.
 * @throws the fs error: ENOENT (under /proc), EACCES, EROFS, ENOTDIR, EEXIST for a file.
 */
async function makeDirectory(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, DIR_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await stat(dir)).isDirectory()) return false;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir || existsSync(parent)) throw err;
    await makeDirectory(parent);
    await mkdir(dir, DIR_MODE);
  }
  // mkdir's mode is masked by the umask, which may take bits away but never add them.
  await chmod(dir, DIR_MODE);
  return true;
}
