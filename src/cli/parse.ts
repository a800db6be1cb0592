import { isatty } from "node:tty";
import { inspect } from "node:util";
import { closestNames } from "../inventory/names.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { linesOfFile } from "../parsers/lines.js";
import { parseRefusing } from "../parsers/refuse.js";
import type { ParseResult } from "../parsers/types.js";
import { loadParser, sourceIds } from "../sources/index.js";
import { ParseDocumentWriter } from "./parse-document.js";
import { writeAll } from "./write-fd.js";

/**
 * `diagbot parse <collector-id> [FILE|-] [--json]`: prints
 * `{ collector, facts, problems }`, as compact JSON with `--json` or when the output is not a
 * terminal (rows are written to fd 1 while the input is read, see {@link ParseDocumentWriter}
 * and {@link writeAll}), else
 * as a coloured view for reading. Exit 0 when the output was read (header-only output is
 * valid), 1 when nothing of the expected format was found or the output is refused as not of
 * its format (binary, a line of 1 MiB or more, or under 1 % of lines recognised:
 * parsers/refuse.ts; an UnrecognisedOutputError, handled by the CLI), 2 for an unknown id or
 * a file that cannot be read (missing, a directory, not permitted). Only the one parser
 * needed is loaded; the file is streamed in bounded memory (parsers/lines.ts linesOfFile).
 */
export async function runParse(id: string, file: string, opts: { json: boolean }): Promise<number> {
  const parser = await loadParser(id);
  if (!parser) {
    throw new DiagbotError(
      "unknown-collector",
      `no parser for collector id ${JSON.stringify(id)}`,
      { hint: idHint(id) },
    );
  }
  if (file === "-" && isatty(0)) {
    throw new DiagbotError("usage", `parse ${id}: no FILE, and standard input is a terminal`, {
      hint: `give the output as a file (diagbot parse ${id} FILE) or pipe it in (… | diagbot parse ${id} -)`,
    });
  }
  const lines = linesOfFile(file === "-" ? 0 : file);
  const read = (run: () => ParseResult<unknown>): ParseResult<unknown> => {
    try {
      return run();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES" || code === "EISDIR" || code === "EIO") {
        throw new DiagbotError("usage", `parse ${id}: ${file}: ${whyUnreadable(err)}`, {
          hint: `give the file that holds the output of ${id} (diagbot parse ${id} FILE), or pipe it in (… | diagbot parse ${id} -)`,
        });
      }
      throw err;
    }
  };
  if (opts.json || !isatty(1)) {
    // A reader that has gone (`diagbot parse … | head`) drops the rest (writeAll); the input is
    // still read to the end, so the exit code is the one the whole input gives.
    const doc = new ParseDocumentWriter(id, (text) => writeAll(1, text));
    const { facts, problems } = read(() => parseRefusing(id, parser, lines, doc.row));
    doc.end(facts as object, problems);
  } else {
    const { facts, problems } = read(() => parseRefusing(id, parser, lines));
    const doc = { collector: id, facts, problems };
    process.stdout.write(`${inspect(doc, { depth: 6, colors: true })}\n`);
  }
  return 0;
}

/** The ids closest to a mistyped one (`iostt` → iostat), else every id. */
function idHint(id: string): string {
  const closest = closestNames(id, sourceIds(), 5);
  return closest.length > 0
    ? `closest ids: ${closest.join(", ")} (diagbot collectors lists them all)`
    : `known ids: ${sourceIds().sort().join(", ")}`;
}
