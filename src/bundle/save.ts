import { constants, existsSync } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, realpath, rmdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
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
  meta: { host: string; startedAt: string; symptom: string; windowSeconds?: number },
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
 * nothing and a refused one changes nothing. Refused (nothing touched): a folder that is,
 * holds or lies inside the `evidence` being read (`--from`, a replay host's bundle), compared
 * by real path (symbolic links followed); a path that exists and is not a folder; a folder that
 * is not empty (an earlier bundle or anything else: nothing is ever deleted or mixed in); a
 * folder of another user or one the group or others may write to; a link to nothing; a path
 * where no folder can be created. Then a missing folder (and any missing parent) is created with mode 0700, and an
 * empty one that the group or others may only read or enter is tightened to 0700.
 * @param evidence the path of the evidence being read, when it is a file or folder.
 * @returns the folder: a note for the operator when its mode was tightened, and a way to remove
 *   it again when nothing was saved in it (only a folder this call created).
 * @throws DiagbotError "usage" naming the path, the reason and what to do.
 */
export async function prepareBundleDir(dir: string, evidence?: string): Promise<SaveFolder> {
  if (evidence !== undefined) await refuseOverlap(dir, evidence);
  const refuse = (why: string, hint: string) =>
    new DiagbotError("usage", `--save ${dir}: ${why}`, { hint });
  const elsewhere = "give a path to a new folder (diagbot creates it with mode 0700)";
  let names: string[] | undefined;
  try {
    if (!(await stat(dir)).isDirectory())
      throw refuse("it exists and is not a folder", `${elsewhere}, not a file`);
    names = await readdir(dir);
  } catch (err) {
    if (err instanceof DiagbotError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw refuse(fsReason(err as NodeJS.ErrnoException), elsewhere);
    if ((await lstat(dir).catch(() => undefined))?.isSymbolicLink())
      throw refuse("it is a symbolic link to a path that does not exist", elsewhere);
  }
  if (names && names.length > 0) {
    throw refuse(
      names.includes("bundle.json")
        ? "it already holds an evidence bundle (bundle.json); saving there would delete that capture"
        : `the folder is not empty (it holds ${names.length === 1 ? names[0] : `${names.length} entries`})`,
      `${elsewhere}, or an empty one`,
    );
  }
  // The highest folder of the path that does not exist yet: what this call creates.
  let top: string | undefined;
  for (let p = resolve(dir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) top = p;
  let note: string | undefined;
  try {
    note = await secureDirectory(dir);
  } catch (err) {
    if (err instanceof DiagbotError) throw err;
    throw refuse(fsReason(err as NodeJS.ErrnoException), `${elsewhere} on a writable disk`);
  }
  return {
    note,
    // rmdir removes only an empty folder: whatever was written in the meantime stays.
    discardIfEmpty: async () => {
      if (top === undefined) return;
      for (let p = resolve(dir); ; p = dirname(p)) {
        if (
          !(await rmdir(p).then(
            () => true,
            () => false,
          )) ||
          p === top
        )
          return;
      }
    },
  };
}

/** A `--save` folder made ready by {@link prepareBundleDir}. */
export interface SaveFolder {
  /** For the operator, when the folder's mode was tightened to 0700. */
  note?: string;
  /** Removes the folders this run created (the `--save` folder and its new parents) while empty. */
  discardIfEmpty(): Promise<void>;
}

/**
 * What a failed stat, readdir or mkdir of a folder to write (`--save`, `redact --out`) means for
 * the operator, with the error's code (EACCES, EROFS, ENOTDIR, EEXIST, ENOENT, ENOSPC) for a
 * search.
 */
export function fsReason(err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    EEXIST: "it exists and is not a folder",
    EACCES: "permission denied: you may not create or read a folder there",
    EPERM: "permission denied: you may not create or read a folder there",
    EROFS: "the file system is read-only",
    ENOTDIR: "a part of the path is a file, not a folder",
    // mkdir under /proc or /sys fails with ENOENT although the parent exists.
    ENOENT: "no folder can be created there (its parent takes no new folders, as /proc and /sys)",
    ENOSPC: "no space left on the device",
  };
  return `${why[err.code ?? ""] ?? err.message} (${err.code ?? "error"})`;
}

/**
 * How path `a` stands to path `b`, compared by real path (symbolic links followed, the missing
 * tail of a new path kept as written): `is` the same, `is inside` it, `holds` it, or undefined.
 */
export async function overlapOf(
  a: string,
  b: string,
): Promise<"is" | "is inside" | "holds" | undefined> {
  const [x, y] = await Promise.all([realPath(a), realPath(b)]);
  const inside = (p: string, q: string) => p.startsWith(q.endsWith(sep) ? q : `${q}${sep}`);
  if (x === y) return "is";
  if (inside(x, y)) return "is inside";
  if (inside(y, x)) return "holds";
  return undefined;
}

/**
 * Refuses a `--save` folder that is the evidence being read, lies inside it, or holds it:
 * saving would delete or mix into the evidence (see {@link overlapOf}).
 * @throws DiagbotError "usage" naming both paths.
 */
async function refuseOverlap(dir: string, evidence: string): Promise<void> {
  const how = await overlapOf(dir, evidence);
  if (how === undefined) return;
  throw new DiagbotError(
    "usage",
    `--save ${dir} ${how} the evidence being read (${evidence}); saving there would delete or mix into it`,
    { hint: `save elsewhere: give a new folder outside ${evidence}` },
  );
}

/** The real path of `path` (links followed); of a missing path, its nearest existing parent's. */
async function realPath(path: string): Promise<string> {
  const full = resolve(path);
  try {
    return await realpath(full);
  } catch {
    const parent = dirname(full);
    return parent === full ? full : join(await realPath(parent), basename(full));
  }
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
