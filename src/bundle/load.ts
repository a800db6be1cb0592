import { constants } from "node:fs";
import { type FileHandle, lstat, open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import { oneLine } from "../parsers/text.js";
import { type Manifest, ManifestSchema, sha256hex } from "./manifest.js";

/**
 * Loads an evidence bundle directory for replay. Every `<id>.out` present becomes an `ok`
 * output (with `<id>.start.out` as its first snapshot); collectors the manifest records as
 * failed/missing/timeout keep that status; files for ids this version does not know are
 * returned in `ignored`. `bundle.json` is optional.
 *
 * Throws DiagbotError "bundle" when the directory is unreadable, holds no `.out` file and
 * no manifest, or the manifest is not valid JSON of the expected shape.
 */
export interface LoadedBundle {
  manifest: Manifest;
  outputs: CollectedOutput[];
  ignored: string[];
  notes: string[];
  /**
   * The top hypothesis `report.json` recorded when the bundle was collected: null when it
   * recorded no root cause, undefined when the bundle has no readable `report.json`.
   */
  recorded?: RecordedVerdict | null;
}

/**
 * Most bytes read from one `.out` file, above every collector's output cap (dmesg's 8 MiB is
 * the largest), so a saved bundle is always read whole; of a larger file, written by hand or
 * by something else, only this much is read (memory stays bounded) and the output is marked
 * truncated.
 */
export const REPLAY_CAP_BYTES = 16 << 20;
export interface RecordedVerdict {
  title: string;
  rule: string;
  confidence: number;
}

const RecordedReportSchema = z.object({
  hypotheses: z.array(z.object({ title: z.string(), rule: z.string(), confidence: z.number() })),
});

export async function loadBundle(
  dir: string,
  knownIds: ReadonlySet<string>,
): Promise<LoadedBundle> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error("not a directory");
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new DiagbotError("bundle", `cannot read bundle ${dir}: ${(err as Error).message}`, {
      hint: "--from takes a directory written by --save, or one holding <collector-id>.out files",
    });
  }
  const notes: string[] = [];
  const { manifest, problem } = await readManifest(dir, names, notes);
  const outputs: CollectedOutput[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    if (!name.endsWith(".out") || name.endsWith(".start.out")) {
      const known = name === "bundle.json" || name === "report.json" || name.endsWith(".start.out");
      if (!known) ignored.push(name);
      continue;
    }
    const id = name.slice(0, -".out".length);
    if (!knownIds.has(id)) {
      ignored.push(name);
      continue;
    }
    const entry = manifest.collectors?.[id];
    const read = await readRegularFile(join(dir, name));
    if (typeof read === "string") {
      outputs.push({ id, status: "failed", durationMs: 0, error: `${name}: ${read}` });
      continue;
    }
    const { bytes: out, size } = read;
    if (size > out.length) {
      notes.push(
        `${name} holds ${size} bytes, more than any collector writes: only the first ${out.length} were read`,
      );
    }
    const startName = `${id}.start.out`;
    const startRead = names.includes(startName)
      ? await readRegularFile(join(dir, startName))
      : undefined;
    const start = typeof startRead === "object" ? startRead.bytes : undefined;
    if (typeof startRead === "string")
      notes.push(`${startName}: ${startRead}; ${id} judged from one snapshot`);
    if (entry?.partial) {
      notes.push(
        `${id}: the bundle holds only part of its output (filtered), so what is absent from it proves nothing`,
      );
    }
    if (entry?.sha256?.out && entry.sha256.out !== sha256hex(out)) {
      notes.push(
        `${name} differs from the SHA-256 in bundle.json: it was edited after it was saved`,
      );
    }
    outputs.push({
      id,
      status: entry?.status && entry.status !== "ok" && out.length === 0 ? entry.status : "ok",
      out,
      start,
      exitCode: entry?.exitCode,
      durationMs: entry?.durationMs ?? 0,
      truncated: entry?.truncated || size > out.length || undefined,
      partial: entry?.partial || undefined,
      command: entry?.command,
      stream: entry?.stream,
      error: entry?.error,
    });
  }
  for (const [id, entry] of Object.entries(manifest.collectors ?? {})) {
    if (outputs.some((o) => o.id === id) || !knownIds.has(id) || !entry.status) continue;
    if (entry.status === "ok") continue;
    outputs.push({
      id,
      status: entry.status,
      durationMs: entry.durationMs ?? 0,
      error: entry.error,
    });
  }
  if (outputs.length === 0 && !manifest.collectors) {
    const none = ignored.length > 0 ? ` (ignored: ${ignored.slice(0, 10).join(", ")})` : "";
    const manifestIs = problem
      ? `a bundle.json it cannot use (${problem})`
      : names.includes("bundle.json")
        ? "a bundle.json that lists no collector"
        : "no bundle.json";
    throw new DiagbotError(
      "bundle",
      `${dir} holds no output of a known collector and ${manifestIs}${none}`,
      {
        hint: `name files after collector ids, e.g. dmesg.out, iostat.out (see: diagbot collectors)`,
      },
    );
  }
  const recorded = names.includes("report.json")
    ? await readRecorded(join(dir, "report.json"), notes)
    : undefined;
  return { manifest, outputs, ignored, notes, recorded };
}

/** The recorded top hypothesis of `report.json`; a broken file is a note. */
async function readRecorded(
  path: string,
  notes: string[],
): Promise<RecordedVerdict | null | undefined> {
  try {
    const parsed = RecordedReportSchema.safeParse(JSON.parse(await readText(path)));
    if (parsed.success) return parsed.data.hypotheses[0] ?? null;
    notes.push(`${path}: not a diagbot report; the recorded verdict was not compared`);
  } catch (err) {
    notes.push(`${path}: ${(err as Error).message}; the recorded verdict was not compared`);
  }
  return undefined;
}

/**
 * Reads `bundle.json`. A broken one is a note, not an error: the `.out` files diagnose
 * without it (DESIGN.md).
 * @returns the manifest (empty when there is none or it cannot be used), and why it cannot.
 */
async function readManifest(
  dir: string,
  names: string[],
  notes: string[],
): Promise<{ manifest: Manifest; problem?: string }> {
  if (!names.includes("bundle.json")) return { manifest: {} };
  const path = join(dir, "bundle.json");
  const unusable = (problem: string) => {
    notes.push(`${path}: ${problem}; ignored, the .out files were read without it`);
    return { manifest: {}, problem };
  };
  const read = await readRegularFile(path);
  if (typeof read === "string") return unusable(read);
  let raw: unknown;
  try {
    raw = JSON.parse(read.bytes.toString("utf8"));
  } catch (err) {
    return unusable(`not valid JSON (${oneLine((err as Error).message)})`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return unusable(`${issue.path.join(".")}: ${issue.message}`);
  }
  return { manifest: parsed.data };
}

/**
 * Opens a file of a bundle for reading, or says why not. A symbolic link is refused, not
 * followed: a bundle holds its files itself, and one received from elsewhere could otherwise
 * point at any file this user can read (`dmesg.out -> /etc/shadow`) and put it in a
 * report or a redacted copy. `O_NOFOLLOW` keeps a link swapped in after the check from being
 * followed either; `O_NONBLOCK`, a FIFO from blocking the open.
 */
export async function openBundleFile(path: string): Promise<FileHandle | string> {
  try {
    const link = await lstat(path);
    if (link.isSymbolicLink()) return "a symbolic link: refused, a bundle holds its files itself";
    if (!link.isFile()) return "not a regular file";
    const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if ((await file.stat()).isFile()) return file;
    await file.close();
    return "not a regular file";
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

/**
 * The first {@link REPLAY_CAP_BYTES} bytes of a regular file and its size, or a sentence saying
 * why it could not be read ({@link openBundleFile}): one bad file must not stop the replay.
 */
async function readRegularFile(path: string): Promise<{ bytes: Buffer; size: number } | string> {
  const file = await openBundleFile(path);
  if (typeof file === "string") return file;
  try {
    const { size } = await file.stat();
    const bytes = Buffer.alloc(Math.min(size, REPLAY_CAP_BYTES));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size };
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  } finally {
    await file.close();
  }
}

/** A small file of the bundle as text, read as {@link readRegularFile} reads; throws why not. */
async function readText(path: string): Promise<string> {
  const read = await readRegularFile(path);
  if (typeof read === "string") throw new Error(read);
  return read.bytes.toString("utf8");
}
