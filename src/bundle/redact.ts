import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import {
  addCounts,
  emptyCounts,
  type RedactionCounts,
  redactDeep,
  redactText,
} from "../redact/index.js";
import { openBundleFile } from "./load.js";
import { type CollectorEntry, type Manifest, sha256hex } from "./manifest.js";
import { fsReason, overlapOf } from "./save.js";

/**
 * Writes a redacted copy of an evidence bundle, for attaching to a public bug report: every
 * file of `dir` redacted into `out` (created 0700, files 0600), and `bundle.json` updated so the
 * copy still replays and checks: its strings redacted, each collector's SHA-256 sums (and
 * `bytes`, when the manifest records sizes) those of the redacted files, and `redacted` (the
 * number of values replaced, as the bundles kept for Slack record it) with `redactions`
 * (per class). Files are read as bytes (latin1), so whatever holds no secret is copied byte for
 * byte.
 * @throws DiagbotError "usage" when `dir` is not a readable directory, or `out` is `dir` or a
 * non-empty directory; "bundle" when an entry is a symbolic link, not a regular file, or
 * unreadable (nothing is written then).
 */
export async function redactBundleDir(dir: string, out: string): Promise<RedactionCounts> {
  const names = await bundleFiles(dir);
  // Everything is read and redacted before anything is written: a file that cannot be read
  // stops the copy with nothing half-written.
  const counts = emptyCounts();
  const copies = new Map<string, Buffer>();
  for (const name of names) {
    if (name === "bundle.json") continue;
    const r = redactText((await readWhole(join(dir, name))).toString("latin1"));
    addCounts(counts, r.counts);
    copies.set(name, Buffer.from(r.text, "latin1"));
  }
  const sums = new Map<string, { sha256: string; bytes: number }>();
  for (const [name, data] of copies)
    sums.set(name, { sha256: sha256hex(data), bytes: data.length });
  let manifest: string | undefined;
  if (names.includes("bundle.json")) {
    const red = redactDeep(await readManifest(join(dir, "bundle.json")));
    addCounts(counts, red.counts);
    manifest = `${JSON.stringify(updateManifest(red.value, sums, counts), null, 2)}\n`;
  }
  await prepareOut(dir, out);
  for (const [name, data] of copies) await writeFile(join(out, name), data, { mode: 0o600 });
  if (manifest) await writeFile(join(out, "bundle.json"), manifest, { mode: 0o600 });
  return counts;
}

/**
 * The names of the bundle's entries, sorted. Each is opened by {@link readWhole}, which refuses
 * a symbolic link or anything not a regular file before a byte is written.
 * @throws DiagbotError `usage` when `dir` cannot be read.
 */
async function bundleFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    throw new DiagbotError("usage", `cannot read bundle ${dir}: ${whyUnreadable(err)}`, {
      hint: "give a directory written by `diagbot diagnose --save`",
    });
  }
}

/** A whole file of the bundle, opened as {@link openBundleFile} opens it. */
async function readWhole(path: string): Promise<Buffer> {
  const file = await openBundleFile(path);
  if (typeof file === "string") {
    throw new DiagbotError("bundle", `${path}: ${file}`, {
      hint: "a bundle holds only its own regular files, readable by this user: remove or fix this entry (copy in the file a link points at, if it belongs there) and redact again",
    });
  }
  try {
    return await file.readFile();
  } catch (err) {
    throw new DiagbotError("bundle", `${path}: ${whyUnreadable(err)}`);
  } finally {
    await file.close();
  }
}

async function prepareOut(dir: string, out: string): Promise<void> {
  const refuse = (why: string) =>
    new DiagbotError("usage", `--out ${out}: ${why}`, {
      hint: "give a new or empty directory for the redacted copy",
    });
  const how = await overlapOf(out, dir);
  if (how === "is") throw refuse("is the bundle itself");
  if (how) throw refuse(`${how} the bundle being redacted (${dir})`);
  try {
    await mkdir(out, { recursive: true, mode: 0o700 });
    if ((await readdir(out)).length > 0) throw refuse("not empty");
    await chmod(out, 0o700);
  } catch (err) {
    if (err instanceof DiagbotError) throw err;
    throw refuse(fsReason(err as NodeJS.ErrnoException));
  }
}

async function readManifest(path: string): Promise<Manifest> {
  const text = (await readWhole(path)).toString("utf8");
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Manifest;
    throw new Error("not a JSON object");
  } catch (err) {
    throw new DiagbotError("bundle", `${path}: ${(err as Error).message}`, {
      hint: "bundle.json must be the JSON object `diagbot diagnose --save` writes",
    });
  }
}

/** The manifest with the redacted files' sums and sizes, marked redacted; same shape. */
function updateManifest(
  manifest: Manifest,
  sums: Map<string, { sha256: string; bytes: number }>,
  counts: RedactionCounts,
): Manifest {
  const collectors: Record<string, CollectorEntry> = {};
  for (const [id, entry] of Object.entries(manifest.collectors ?? {})) {
    const out = sums.get(`${id}.out`);
    const start = sums.get(`${id}.start.out`);
    const next: CollectorEntry = { ...entry };
    if (entry.sha256)
      next.sha256 = {
        ...entry.sha256,
        ...(out && { out: out.sha256 }),
        ...(start && { start: start.sha256 }),
      };
    const bytes = (entry as { bytes?: unknown }).bytes;
    if (bytes && typeof bytes === "object")
      (next as { bytes: unknown }).bytes = {
        ...bytes,
        ...(out && { out: out.bytes }),
        ...(start && { start: start.bytes }),
      };
    collectors[id] = next;
  }
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  return {
    ...manifest,
    ...(manifest.collectors && { collectors }),
    redacted: total,
    redactions: counts,
  };
}
