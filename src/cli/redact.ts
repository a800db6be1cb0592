import { readFileSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { isatty } from "node:tty";
import { redactBundleDir } from "../bundle/redact.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
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

async function redactFile(input: string | 0, out: string | undefined): Promise<RedactionCounts> {
  let data: Buffer;
  try {
    data = input === 0 ? readFileSync(0) : await readFile(input);
  } catch (err) {
    throw new DiagbotError(
      "usage",
      `redact: cannot read ${input === 0 ? "standard input" : input}: ${whyUnreadable(err)}`,
    );
  }
  if (notTextReason(data) !== undefined)
    throw new DiagbotError(
      "usage",
      `redact: ${input === 0 ? "standard input" : input}: binary data, not text (an archive, an image, a program)`,
      {
        hint: "redact reads text: a text file, standard input, or a bundle folder with --out DIR; extract an archive first (tar -xf FILE) and redact its folder",
      },
    );
  const r = redactText(data.toString("latin1"));
  const bytes = Buffer.from(r.text, "latin1");
  if (out) await writeFile(out, bytes, { mode: 0o600 });
  else
    await new Promise<void>((done, fail) =>
      process.stdout.write(bytes, (err) => (err ? fail(err) : done())),
    );
  return r.counts;
}
