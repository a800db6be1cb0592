import { inspect } from "node:util";
import { DiagbotError } from "../errors.js";
import { linesOfFile } from "../parsers/lines.js";
import { loadParser, PARSERS } from "../parsers/index.js";

/**
 * `diagbot parse <collector-id> [FILE|-] [--json]`: prints
 * `{ collector, facts, problems }`. Exit 0 when the output was read (header-only output is
 * valid), 1 when nothing of the expected format was found, 2 for an unknown id or file.
 * Only the one parser needed is loaded; the file is streamed.
 */
export async function runParse(id: string, file: string, opts: { json: boolean }): Promise<number> {
  const parser = await loadParser(id);
  if (!parser) {
    throw new DiagbotError("unknown-collector", `no parser for collector id ${JSON.stringify(id)}`, {
      hint: `known ids: ${Object.keys(PARSERS).sort().join(", ")}`,
    });
  }
  let lines: Iterable<string>;
  if (file === "-") {
    lines = linesOfFile(0);
  } else {
    lines = linesOfFile(file);
  }
  let result: ReturnType<typeof parser>;
  try {
    result = parser(lines);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      throw new DiagbotError("usage", `cannot read ${file}: ${(err as Error).message}`);
    }
    throw err;
  }
  const doc = { collector: id, facts: result.facts, problems: result.problems };
  const json = opts.json || !process.stdout.isTTY;
  process.stdout.write(
    json ? `${JSON.stringify(doc, null, 2)}\n` : `${inspect(doc, { depth: 6, colors: true })}\n`,
  );
  return 0;
}
