import { inspect } from "node:util";
import { DiagbotError } from "../errors.js";
import { loadParser, PARSERS } from "../parsers/index.js";
import { linesOfFile } from "../parsers/lines.js";

/**
 * `diagbot parse <collector-id> [FILE|-] [--json]`: prints
 * `{ collector, facts, problems }`. Exit 0 when the output was read (header-only output is
 * valid), 1 when nothing of the expected format was found, 2 for an unknown id or file.
 * Only the one parser needed is loaded; the file is streamed.
 */
export async function runParse(id: string, file: string, opts: { json: boolean }): Promise<number> {
  const parser = await loadParser(id);
  if (!parser) {
    throw new DiagbotError(
      "unknown-collector",
      `no parser for collector id ${JSON.stringify(id)}`,
      {
        hint: `known ids: ${Object.keys(PARSERS).sort().join(", ")}`,
      },
    );
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
  if (json) await writeJson(doc, process.stdout);
  else process.stdout.write(`${inspect(doc, { depth: 6, colors: true })}\n`);
  return 0;
}

/** Elements of a large array serialised per `JSON.stringify` call. */
const BATCH = 1024;
/** Output is written in pieces of about this many characters. */
const PIECE = 1 << 20;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function"
  );
}

/**
 * Writes exactly `JSON.stringify(value, null, 2) + "\n"`, in pieces: plain objects are walked
 * key by key and arrays longer than {@link BATCH} are serialised a batch of elements at a time,
 * so a table of 300 000 sockets never exists as one 100 MB string. Waits for `drain` when the
 * stream asks to, so a slow reader does not make the output pile up in memory.
 */
export async function writeJson(value: unknown, out: NodeJS.WritableStream): Promise<void> {
  let pieces: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (pieces.length === 0) return;
    const text = pieces.join("");
    pieces = [];
    size = 0;
    if (!out.write(text)) await new Promise((resolve) => out.once("drain", resolve));
  };
  const push = (text: string): void => {
    pieces.push(text);
    size += text.length;
  };
  /** `JSON.stringify(v, null, 2)` as it appears nested `level` deep (its lines indented). */
  const nested = (v: unknown, level: number): string | undefined => {
    const text = JSON.stringify(v, null, 2) as string | undefined;
    if (text === undefined || level === 0 || !text.includes("\n")) return text;
    return text.replaceAll("\n", `\n${"  ".repeat(level)}`);
  };
  const emit = async (v: unknown, level: number): Promise<void> => {
    if (Array.isArray(v) && v.length > BATCH) {
      // A batch wrapped in `level` arrays puts its elements `level + 1` deep; the wrapping
      // brackets, (level + 1) * (level + 2) characters at each end, are cut off again.
      const cut = (level + 1) * (level + 2);
      push("[\n");
      for (let i = 0; i < v.length; i += BATCH) {
        if (i > 0) push(",\n");
        let batch: unknown = v.slice(i, i + BATCH);
        for (let k = 0; k < level; k++) batch = [batch];
        const text = JSON.stringify(batch, null, 2);
        push(text.slice(cut, text.length - cut));
        if (size >= PIECE) await flush();
      }
      push(`\n${"  ".repeat(level)}]`);
      return;
    }
    if (isPlainObject(v)) {
      const indent = "  ".repeat(level + 1);
      let first = true;
      for (const key of Object.keys(v)) {
        const item = v[key];
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        push(`${first ? "{" : ","}\n${indent}${JSON.stringify(key)}: `);
        first = false;
        await emit(item, level + 1);
      }
      push(first ? "{}" : `\n${"  ".repeat(level)}}`);
      return;
    }
    const text = nested(v, level);
    push(text ?? "null");
  };
  await emit(value, 0);
  push("\n");
  await flush();
}
