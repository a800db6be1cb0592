import { randomBytes } from "node:crypto";
import { shellQuote } from "../collectors/command.js";
import { hostTmpPrologue } from "../collectors/host-tmp.js";

/**
 * Several cheap commands in one exec (one SSH channel), each framed by markers on stdout and
 * stderr so their outputs can be split again byte for byte. The marker carries a random
 * nonce, so no output can forge one.
 *
 *   @@diagbot-<nonce> begin <id>@@\n<output>\n@@diagbot-<nonce> end <id> <exit>@@\n
 *
 * The `\n` before the end marker is always added and always removed, so the section is the
 * command's exact bytes whether or not its output ends in a newline.
 */
export interface BatchItem {
  id: string;
  command: string;
}

export interface BatchSection {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status from the end marker; undefined when the section never ended. */
  exitCode?: number;
}

export function newNonce(): string {
  return randomBytes(8).toString("hex");
}

/** The lines that frame one section: `begin`, then `body` (its output), then `end` with `$rc`. */
function section(tag: string, id: string, body: readonly string[]): string {
  const begin = shellQuote([`${tag} begin ${id}@@`]);
  const end = shellQuote([`${tag} end ${id}`]);
  return [
    `printf '%s\\n' ${begin}`,
    `printf '%s\\n' ${begin} >&2`,
    ...body,
    `printf '\\n%s %s@@\\n' ${end} "$rc"`,
    `printf '\\n%s %s@@\\n' ${end} "$rc" >&2`,
  ].join("; ");
}

/** The shell text for a batch, to run as `sh -c <text>` (already quoted). */
export function batchScript(items: readonly BatchItem[], nonce: string): string {
  const tag = `@@diagbot-${nonce}`;
  const body = items
    .map(({ id, command }) => section(tag, id, [`( ${command} ) </dev/null`, "rc=$?"]))
    .join("\n");
  return shellQuote(["sh", "-c", body]);
}

/** A batch item whose output is capped on the host, at `capBytes` + 1 bytes per stream. */
export interface CappedBatchItem extends BatchItem {
  capBytes: number;
}

/** What a parallel batch prints, alone, when the host gives it no folder for its outputs. */
export function noFolderLine(nonce: string): string {
  return `@@diagbot-${nonce} no-folder@@`;
}

/** Reads taken at the start and at the end of a window, one after the other each time. */
export interface WindowReads {
  items: readonly BatchItem[];
  seconds: number;
}

/** The id of the section that holds an item's read at the start of the window. */
export function startId(id: string): string {
  return `start:${id}`;
}

/**
 * The script (for `sh -c`, not yet quoted) of one window's collection in one exec, so a login
 * shell's start-up files (`.bashrc`) run once for all of it:
 *   1. the window's start reads, one after the other (sections `start:<id>`);
 *   2. every item started at once, each writing into its own files in a private folder on the
 *      host (`/tmp/diagbot.<uid>/batch.<pid>`, see host-tmp.ts);
 *   3. a sleep to the end of the window (whole seconds from the script's start), then the end
 *      reads (sections `<id>`);
 *   4. each item printed in order, framed as in {@link batchScript}, once it has ended, each
 *      stream cut on the host at `capBytes` + 1 bytes, so a reader sees that it was cut (an
 *      empty stream, as most stderr is, costs no `head`).
 * The folder goes on every way out (its trap; or, when the script is killed, the next script
 * that makes one). Without a folder the script prints only {@link noFolderLine} and runs
 * nothing.
 */
export function windowScript(
  items: readonly CappedBatchItem[],
  window: WindowReads,
  nonce: string,
): string {
  const tag = `@@diagbot-${nonce}`;
  const read = (id: string, command: string) =>
    section(tag, id, [`( ${command} ) </dev/null`, "rc=$?"]);
  const start = items.map(
    ({ command }, i) => `( ${command} ) </dev/null >"$d/${i}.out" 2>"$d/${i}.err" & p${i}=$!`,
  );
  const print = items.map(({ id, capBytes }, i) =>
    section(tag, id, [
      `wait "$p${i}"`,
      "rc=$?",
      `if [ -s "$d/${i}.out" ]; then head -c ${capBytes + 1} "$d/${i}.out"; fi`,
      `if [ -s "$d/${i}.err" ]; then head -c ${capBytes + 1} "$d/${i}.err" >&2; fi`,
    ]),
  );
  return [
    ...hostTmpPrologue("batch", "batch", [
      `printf '%s\\n' ${shellQuote([noFolderLine(nonce)])}`,
      "exit 0",
    ]),
    `trap 'rm -rf "$d"' EXIT`,
    "trap 'exit 130' HUP INT TERM",
    "t0=$(date +%s)",
    ...window.items.map(({ id, command }) => read(startId(id), command)),
    ...start,
    `left=$((t0 + ${window.seconds} - $(date +%s)))`,
    'if [ "$left" -gt 0 ]; then sleep "$left"; fi',
    ...window.items.map(({ id, command }) => read(id, command)),
    ...print,
  ].join("\n");
}

/** Splits one stream of a batch into sections by id. */
function splitStream(buf: Buffer, nonce: string): Map<string, { data: Buffer; exitCode?: number }> {
  const sections = new Map<string, { data: Buffer; exitCode?: number }>();
  const tag = Buffer.from(`@@diagbot-${nonce} `);
  let pos = buf.indexOf(tag);
  while (pos !== -1) {
    const lineEnd = buf.indexOf(0x0a, pos);
    const header = buf.subarray(pos + tag.length, lineEnd === -1 ? buf.length : lineEnd).toString();
    const begin = /^begin (\S+)@@$/.exec(header);
    if (!begin || lineEnd === -1) {
      pos = buf.indexOf(tag, pos + tag.length);
      continue;
    }
    const contentStart = lineEnd + 1;
    const next = buf.indexOf(tag, contentStart);
    const contentEnd = next === -1 ? buf.length : next;
    let data = buf.subarray(contentStart, contentEnd);
    let exitCode: number | undefined;
    if (next !== -1) {
      const endLine = buf.indexOf(0x0a, next);
      const endHeader = buf.subarray(next + tag.length, endLine === -1 ? buf.length : endLine);
      const end = /^end (\S+) (\d+)@@$/.exec(endHeader.toString());
      if (end && end[1] === begin[1]) {
        exitCode = Number(end[2]);
        // Drop the newline the script adds before the end marker.
        if (data.length > 0 && data[data.length - 1] === 0x0a) data = data.subarray(0, -1);
        pos = buf.indexOf(tag, endLine === -1 ? buf.length : endLine);
      } else {
        pos = next;
      }
    } else {
      pos = -1;
    }
    sections.set(begin[1], { data, exitCode });
  }
  return sections;
}

/** Splits a batch's stdout and stderr into one section per item that started. */
export function splitBatch(
  stdout: Buffer,
  stderr: Buffer,
  nonce: string,
): Map<string, BatchSection> {
  const out = splitStream(stdout, nonce);
  const err = splitStream(stderr, nonce);
  const result = new Map<string, BatchSection>();
  for (const [id, section] of out) {
    result.set(id, {
      stdout: section.data,
      stderr: err.get(id)?.data ?? Buffer.alloc(0),
      exitCode: section.exitCode,
    });
  }
  return result;
}
