import { loadParser } from "../sources/index.js";
import { type CleanLine, cleanPaste } from "./clean.js";
import { type Recognised, recognise } from "./commands.js";
import { bestParser } from "./detect.js";
import { shapeOutput } from "./shape.js";
import { type PastedCommand, splitTranscript } from "./split.js";
import type { EvidenceRead, PastedCount } from "./types.js";

/**
 * Reads a pasted transcript (commands behind shell prompts, each followed by its output) into
 * collector outputs: each command names its collector, filtered outputs are partial, counts
 * (`| wc -l`) are kept as numbers, and every command no collector reads is listed with the
 * reason. A paste without a single command is read as one output by the parser that reads it
 * best. Nothing in the text is ever run.
 */

/** Collectors whose outputs of several commands are read together, in paste order. */
const JOINED = new Set([
  "sysctl",
  "dmesg",
  "conntrack",
  "clocksource",
  "cgroup-cpu",
  "cgroup-memory",
  "cgroup-pids",
  "ulimit",
]);

interface Piece {
  id: string;
  command: string;
  line: number;
  lines: string[];
  partial: boolean;
}

export async function readTranscript(text: string, source: string): Promise<EvidenceRead> {
  const cleaned = cleanPaste(text);
  const { commands, loose } = splitTranscript(cleaned);
  const read: EvidenceRead = { outputs: [], ignored: [], notes: [], counts: [] };
  if (commands.length === 0) {
    const whole = cleaned.filter((l) => !l.fence).map((l) => l.text);
    const best = await bestParser(whole);
    if (!best) {
      read.ignored.push(
        `${source}: no shell prompt, and no parser recognised the text as a tool's output`,
      );
      return read;
    }
    read.outputs.push({
      id: best.id,
      status: "ok",
      out: Buffer.from(`${whole.join("\n")}\n`),
      durationMs: 0,
      recognisedAs: `${source}: text without prompts, read as ${best.id} output (${best.why})`,
    });
    return read;
  }
  const pieces: Piece[] = [];
  for (const c of commands) await readCommand(c, source, pieces, read);
  for (const run of loose) await readBlocks(run, pieces);
  pieces.sort((a, b) => a.line - b.line);
  await gather(pieces, read);
  return read;
}

async function readCommand(
  c: PastedCommand,
  source: string,
  pieces: Piece[],
  read: EvidenceRead,
): Promise<void> {
  const r: Recognised = recognise(c.command);
  const where = `${source} line ${c.line}: \`${c.command.slice(0, 120)}\``;
  const lines = c.output.map((l) => l.text);
  if (r.count) {
    readCount(r, c.command, lines, where, read);
    return;
  }
  if (lines.every((l) => l.trim() === "")) {
    read.ignored.push(`${where}: no output follows it`);
    return;
  }
  if (!r.id) {
    read.ignored.push(`${where}: ${r.why}`);
    // Output of another command may be glued after it without a prompt (a block of its own).
    await readBlocks(c.output, pieces);
    return;
  }
  pieces.push({
    id: r.id,
    command: c.command,
    line: c.line,
    lines: shapeOutput(r.id, c.command, lines),
    partial: r.partial,
  });
}

/**
 * A count: the number its output prints, or the one a comment after the command gives
 * (`lsof -u root | wc -l #prints '1738'`).
 */
function readCount(
  r: Recognised,
  command: string,
  lines: string[],
  where: string,
  read: EvidenceRead,
): void {
  const first = lines.find((l) => l.trim() !== "")?.trim() ?? "";
  const commented = /\s#\D{0,20}?(\d+)\D{0,3}$/.exec(command)?.[1];
  const value = /^\d+$/.test(first) ? first : lines.length === 0 ? commented : undefined;
  if (value === undefined) {
    read.ignored.push(
      `${where}: a count, but ${lines.length === 0 ? "no number follows it" : "its output is not a number"}`,
    );
    return;
  }
  const count: PastedCount = {
    command: r.main,
    filter: r.filters.join(" | "),
    value: Number(value),
  };
  if (r.id) count.collector = r.id;
  read.counts.push(count);
  read.notes.push(
    `pasted count: \`${r.main}${count.filter ? ` | ${count.filter}` : ""}\` = ${count.value}`,
  );
}

/**
 * Lines of no known command (prose around a paste, a block pasted without its prompt, outputs
 * glued after another command's): each run between blank lines that a parser clearly
 * recognises is read as that parser's output.
 */
async function readBlocks(run: CleanLine[], pieces: Piece[]): Promise<void> {
  let block: CleanLine[] = [];
  const flush = async () => {
    const lines = block.map((l) => l.text);
    const first = block[0]?.line ?? 0;
    block = [];
    if (lines.length < 2) return;
    const best = await bestParser(lines, { strict: true });
    if (best) pieces.push({ id: best.id, command: "", line: first, lines, partial: false });
  };
  for (const l of run) {
    if (l.text.trim() === "") await flush();
    else block.push(l);
  }
  await flush();
}

/**
 * Several pieces of one collector: joined (kernel log, sysctl values …), else the last one its
 * parser reads (two readings of a growing counter are not a window: the time between them is
 * unknown).
 */
async function gather(pieces: Piece[], read: EvidenceRead): Promise<void> {
  const byId = new Map<string, Piece[]>();
  for (const p of pieces) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  for (const [id, list] of byId) {
    const chosen = JOINED.has(id) ? list : [await lastReadable(id, list)];
    const names = chosen.map((p) =>
      p.command
        ? `\`${p.command.slice(0, 80)}\` (line ${p.line})`
        : `a block without a command (line ${p.line})`,
    );
    read.outputs.push({
      id,
      status: "ok",
      durationMs: 0,
      recognisedAs: `pasted ${names.join(", ")}`,
      out: Buffer.from(`${chosen.flatMap((p) => p.lines).join("\n")}\n`),
      partial: chosen.some((p) => p.partial) || undefined,
    });
    if (chosen.length < list.length)
      read.notes.push(
        `${id}: pasted ${list.length} times; the one at line ${chosen[0].line} was read`,
      );
    if (chosen.some((p) => p.partial))
      read.notes.push(
        `${id}: the paste holds only part of its output (filtered), so what is absent from it proves nothing`,
      );
  }
}

/** The last piece the collector's parser reads without error (else the last piece). */
async function lastReadable(id: string, list: Piece[]): Promise<Piece> {
  const parser = await loadParser(id);
  for (let i = list.length - 1; i >= 0 && parser; i--) {
    try {
      parser(list[i].lines);
      return list[i];
    } catch {
      // not this one
    }
  }
  return list[list.length - 1];
}
