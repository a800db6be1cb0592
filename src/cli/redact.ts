import { closeSync, openSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { isatty } from "node:tty";
import { redactBundleDir } from "../bundle/redact.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { readSome } from "../parsers/lines.js";
import { notTextReason } from "../parsers/text.js";
import { describeCounts, type RedactionCounts, redactText } from "../redact/index.js";

/**
 * `diagbot redact [PATH|-] [--out DIR]`: the redactor that guards everything leaving the
 * worker, as a filter. Standard input (`-`, the default) or a file is written redacted to
 * standard output; a bundle directory is copied redacted into `--out DIR` (see
 * {@link redactBundleDir}). Prints on stderr how many values of each class were replaced.
 * Exit 0 when done, 2 for a usage error (no such path, a directory without `--out`, a terminal
 * as input, a file or standard input that is binary: see {@link notTextReason}; a compressed
 * archive rewritten would come out corrupt). Bytes are read as latin1, so text without secrets comes out byte for byte.
 */
export async function runRedact(path: string, opts: { out?: string }): Promise<number> {
  let counts: RedactionCounts;
  if (path === "-") {
    if (isatty(0))
      throw new DiagbotError("usage", "redact: no PATH, and standard input is a terminal", {
        hint: "give a file or bundle directory, or pipe text in (… | diagbot redact -)",
      });
    counts = await redactFile(0, opts.out);
  } else {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      throw new DiagbotError("usage", `redact: cannot read ${path}: ${whyUnreadable(err)}`, {
        hint: "give a file, a bundle directory, or - for standard input",
      });
    }
    if (isDir) {
      if (!opts.out)
        throw new DiagbotError("usage", `redact: ${path} is a directory and --out is not given`, {
          hint: `write the redacted copy of the bundle with --out DIR (diagbot redact ${path} --out ${path}-redacted)`,
        });
      counts = await redactBundleDir(path, opts.out);
    } else counts = await redactFile(path, opts.out);
  }
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  process.stderr.write(
    `diagbot redact: ${total} value${total === 1 ? "" : "s"} replaced${total ? `: ${describeCounts(counts)}` : ""}\n`,
  );
  return 0;
}

/** Largest file or standard input redacted in one piece: 256 MiB (a bundle is redacted file by file). */
const MAX_REDACT_BYTES = 256 << 20;
/** Bytes judged for binary data before more is read: the 64 KiB {@link notTextReason} reads. */
const HEAD_BYTES = 64 << 10;

/**
 * The bytes of `input` (a path, or 0 for standard input), read in 1 MiB pieces: the first
 * 64 KiB are judged for binary data before more is read, so `/dev/zero` or an archive is refused
 * at once, and more than {@link MAX_REDACT_BYTES} is refused rather than held in memory.
 * @throws DiagbotError `usage` for an unreadable, binary or too large input
 */
function readText(input: string | 0): Buffer {
  const name = input === 0 ? "standard input" : input;
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number | undefined;
  try {
    fd = input === 0 ? 0 : openSync(input, "r");
    for (;;) {
      const buf = Buffer.alloc(1 << 20);
      const n = readSome(fd, buf, 0);
      if (n === 0) break;
      const judged = total >= HEAD_BYTES;
      total += n;
      chunks.push(buf.subarray(0, n));
      if (!judged && total >= HEAD_BYTES) refuseBinary(Buffer.concat(chunks), name);
      if (total > MAX_REDACT_BYTES)
        throw new DiagbotError("usage", `redact: ${name} is over ${MAX_REDACT_BYTES >> 20} MiB`, {
          hint: "redact a bundle folder with --out DIR (file by file), or split the file (split -C 100M)",
        });
    }
    if (total < HEAD_BYTES) refuseBinary(Buffer.concat(chunks), name);
  } catch (err) {
    if (err instanceof DiagbotError) throw err;
    throw new DiagbotError("usage", `redact: cannot read ${name}: ${whyUnreadable(err)}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
  return Buffer.concat(chunks, total);
}

function refuseBinary(head: Buffer, name: string): void {
  if (notTextReason(head) === undefined) return;
  throw new DiagbotError(
    "usage",
    `redact: ${name}: binary data, not text (an archive, an image, a program)`,
    {
      hint: "redact reads text: a text file, standard input, or a bundle folder with --out DIR; extract an archive first (tar -xf FILE) and redact its folder",
    },
  );
}

async function redactFile(input: string | 0, out: string | undefined): Promise<RedactionCounts> {
  const data = readText(input);
  const r = redactText(data.toString("latin1"));
  const bytes = Buffer.from(r.text, "latin1");
  if (out) {
    await writeNew(out, bytes);
    return r.counts;
  }
  // A reader that has gone (`| head`) is no failure: the rest is dropped (see main/cli.ts).
  await new Promise<void>((done, fail) =>
    process.stdout.write(bytes, (err) =>
      err && (err as NodeJS.ErrnoException).code !== "EPIPE" ? fail(err) : done(),
    ),
  );
  return r.counts;
}

/**
 * Writes the redacted copy to `out`, a path that must not exist yet (mode 0600): an existing
 * file, the input itself among them, is never overwritten.
 * @throws DiagbotError `usage` when `out` exists or cannot be written
 */
async function writeNew(out: string, bytes: Buffer): Promise<void> {
  try {
    await writeFile(out, bytes, { mode: 0o600, flag: "wx" });
  } catch (err) {
    const exists = (err as NodeJS.ErrnoException).code === "EEXIST";
    throw new DiagbotError(
      "usage",
      `redact: --out ${out}: ${exists ? "it exists; nothing was overwritten" : whyUnreadable(err)}`,
      { hint: "give --out a path that does not exist yet" },
    );
  }
}
