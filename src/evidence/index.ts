import { closeSync, openSync } from "node:fs";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { loadBundle } from "../bundle/load.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { readSome } from "../parsers/lines.js";
import { notTextReason } from "../parsers/text.js";
import { sourceIds } from "../sources/index.js";
import { extractSosArchive, removeExtracted } from "./archive.js";
import { readSos, sosRoot } from "./sos.js";
import { readTranscript } from "./transcript.js";
import type { EvidenceRead } from "./types.js";

export type { EvidenceRead, PastedCount } from "./types.js";

/**
 * Evidence from anywhere (DESIGN.md "Evidence from anywhere"): `--from PATH` or `-` read by
 * content as
 * - an evidence bundle directory (`<collector-id>.out` files, optional bundle.json);
 * - a sos report directory, or its archive (`.tar.xz`, also gzip/bzip2), extracted safely;
 * - a pasted transcript (shell prompts, each followed by its output);
 * - a single output file, read by the parser that reads it best (or by its name, `<id>.out`).
 * Every input is listed with what it was read as (`collectors[].recognisedAs`); what was not
 * understood goes to `ignored` with the reason. Nothing in the input is ever run.
 */

/** Text is read up to this many bytes; the rest is reported as not read. */
export const MAX_TEXT_BYTES = 32 << 20;

const ARCHIVE_MAGIC: [string, Buffer][] = [
  ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ["gzip", Buffer.from([0x1f, 0x8b])],
  ["bzip2", Buffer.from("BZh")],
];

const FROM_HINT =
  "--from takes a bundle or sos report folder, a sos report .tar.xz, a pasted transcript, an output file, or - for standard input";

/** Reads `path` (`-` for standard input) into collector outputs. */
export async function readEvidence(path: string): Promise<EvidenceRead> {
  if (path === "-") return readBytes(notEmpty(0, "standard input"), "standard input");
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw unreadable(path, err);
  }
  if (isDir) {
    const root = await sosRoot(path);
    return root ? readSos(root, path) : readBundle(path);
  }
  if (basename(path) === "bundle.json") {
    throw new DiagbotError("bundle", `${path} is a bundle's manifest, not evidence itself`, {
      hint: `give the bundle's folder: --from ${dirname(path)}`,
    });
  }
  return readBytes(notEmpty(path, path), basename(path));
}

/**
 * {@link headOrRefuse}, refusing input with nothing but white space in it (`/dev/null`, an
 * empty file, a pipe that gave nothing) for what it is, rather than as a paste without prompts.
 */
function notEmpty(path: string | 0, name: string): { bytes: Buffer; more: boolean } {
  const head = headOrRefuse(path, name);
  if (!head.more && head.bytes.toString("latin1").trim() === "") {
    throw new DiagbotError("bundle", `${name} is empty: there is nothing to diagnose`, {
      hint: FROM_HINT,
    });
  }
  return head;
}

/** The usage error for evidence that cannot be read (exit 2), naming why. */
function unreadable(name: string, err: unknown): DiagbotError {
  return new DiagbotError("bundle", `cannot read ${name}: ${whyUnreadable(err)}`, {
    hint: FROM_HINT,
  });
}

/** {@link readHead}, its errors (permission, a directory on standard input, EIO) as {@link unreadable}. */
function headOrRefuse(path: string | 0, name: string): { bytes: Buffer; more: boolean } {
  try {
    return readHead(path);
  } catch (err) {
    throw unreadable(name, err);
  }
}

/** One piece of pasted evidence: a chat message's text or an attached file, and its name. */
export interface PastedPiece {
  name: string;
  bytes: Buffer;
}

/**
 * Reads pasted pieces (a message's text, attached files), each by content as `--from` reads a
 * file, into one read. A collector given by several pieces is read from the first; the others
 * are listed in `ignored`. The host is never taken from the pieces (a pasted prompt's host
 * name is not an inventory host).
 */
export async function readPasted(pieces: readonly PastedPiece[]): Promise<EvidenceRead> {
  const all: EvidenceRead = { outputs: [], ignored: [], notes: [], counts: [] };
  const from = new Map<string, string>();
  for (const piece of pieces) {
    const more = piece.bytes.length > MAX_TEXT_BYTES;
    const read = await readBytes(
      { bytes: more ? piece.bytes.subarray(0, MAX_TEXT_BYTES) : piece.bytes, more },
      piece.name,
    );
    for (const o of read.outputs) {
      const first = from.get(o.id);
      if (first === undefined) {
        from.set(o.id, piece.name);
        all.outputs.push(o);
      } else all.ignored.push(`${piece.name}: ${o.id} output also in ${first}; ${first}'s is read`);
    }
    all.ignored.push(...read.ignored);
    all.notes.push(...read.notes);
    all.counts.push(...read.counts);
  }
  return all;
}

/** A folder that is not a sos report: a bundle (or a folder of outputs named by collector id). */
export async function isBundleDir(path: string): Promise<boolean> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir && (await sosRoot(path)) === undefined;
}

async function readBundle(dir: string): Promise<EvidenceRead> {
  const bundle = await loadBundle(dir, new Set(sourceIds()));
  for (const o of bundle.outputs) o.recognisedAs ??= `bundle file ${o.id}.out`;
  return {
    outputs: bundle.outputs,
    ignored: bundle.ignored,
    notes: bundle.notes,
    counts: [],
    host: bundle.manifest.host,
    startedAt: bundle.manifest.startedAt,
    windowSeconds: bundle.manifest.window?.seconds,
  };
}

/** The first MAX_TEXT_BYTES of a file or of fd 0, and whether there was more. */
function readHead(path: string | 0): { bytes: Buffer; more: boolean } {
  const fd = path === 0 ? 0 : openSync(path, "r");
  const buf = Buffer.allocUnsafe(MAX_TEXT_BYTES + 1);
  let have = 0;
  try {
    while (have < buf.length) {
      const n = readSome(fd, buf, have);
      if (n === 0) break;
      have += n;
    }
  } finally {
    if (path !== 0) closeSync(fd);
  }
  return { bytes: buf.subarray(0, Math.min(have, MAX_TEXT_BYTES)), more: have > MAX_TEXT_BYTES };
}

async function readBytes(
  input: { bytes: Buffer; more: boolean },
  name: string,
): Promise<EvidenceRead> {
  const kind = ARCHIVE_MAGIC.find(([, magic]) =>
    input.bytes.subarray(0, magic.length).equals(magic),
  );
  if (kind) {
    if (input.more)
      throw new DiagbotError(
        "bundle",
        `${name}: a ${kind[0]} archive over ${MAX_TEXT_BYTES >> 20} MiB`,
        { hint: "extract it yourself and give the folder to --from" },
      );
    return readArchive(input.bytes, name);
  }
  if (notTextReason(input.bytes) !== undefined)
    throw new DiagbotError(
      "bundle",
      `${name}: binary data, not text, a sos report archive or a bundle folder`,
      {
        hint: "give --from a pasted transcript or a tool's output as text, a sos report (.tar.xz or folder), or a bundle folder",
      },
    );
  const read = await readTranscript(input.bytes.toString("utf8"), name);
  if (input.more) read.notes.push(`${name}: only its first ${MAX_TEXT_BYTES >> 20} MiB were read`);
  return read;
}

/** An archive's bytes go to a private file, are listed, checked, extracted and removed. */
async function readArchive(bytes: Buffer, name: string): Promise<EvidenceRead> {
  const holder = await mkdtemp(join(tmpdir(), "diagbot-in-"));
  await chmod(holder, 0o700);
  const file = join(holder, "report.tar");
  try {
    await writeFile(file, bytes, { mode: 0o600 });
    const { dir, refused } = await extractSosArchive(file);
    try {
      const root = await sosRoot(dir);
      if (!root)
        throw new DiagbotError(
          "bundle",
          `${name}: an archive without a sos report in it (no sos_commands folder)`,
          {
            hint: "--from reads sos report archives; extract other archives and give the folder",
          },
        );
      const read = await readSos(root, name);
      read.ignored.push(...summariseRefused(name, refused));
      return read;
    } finally {
      await removeExtracted(dir);
    }
  } finally {
    await rm(holder, { recursive: true, force: true });
  }
}

/** Refused entries by reason: `12 entries: a symbolic link, not extracted (df, free, …)`. */
function summariseRefused(name: string, refused: { name: string; why: string }[]): string[] {
  const byWhy = new Map<string, string[]>();
  for (const r of refused) byWhy.set(r.why, [...(byWhy.get(r.why) ?? []), r.name]);
  return [...byWhy].map(([why, names]) => {
    const shown = names.slice(0, 5).join(", ");
    return `${name}: ${names.length} ${names.length === 1 ? "entry" : "entries"}: ${why} (${shown}${names.length > 5 ? ", …" : ""})`;
  });
}
