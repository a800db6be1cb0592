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

/**
 * Reads taken at the start and at the end of a window, one after the other each time, with
 * the cap of each (the bytes the engine keeps of a stream).
 */
export interface WindowReads {
  items: readonly CappedBatchItem[];
  seconds: number;
}

/** The id of the section that holds an item's read at the start of the window. */
export function startId(id: string): string {
  return `start:${id}`;
}

/** Section ids name files on the host: letters, digits, `:`, `_` and `-` only (not `reads`). */
const SAFE_ID = /^[A-Za-z0-9:_-]+$/;

/**
 * The script (for `sh -c`, not yet quoted) of one window's collection in one exec, so a login
 * shell's start-up files (`.bashrc`) run once for all of it:
 *   1. every item started at once: a sampler (`vmstat 1 3`) needs its seconds of wall time
 *      whatever the load, so it starts first;
 *   2. the window's start reads, one after the other, framed as in {@link batchScript}
 *      (sections `start:<id>`);
 *   3. a sleep to the end of the window (whole seconds from the script's start), then the end
 *      reads (sections `<id>`);
 *   4. a wait for each item, in order;
 *   5. everything printed at once (`emit`, also run when the script is interrupted).
 * Until step 5 every output goes to files in a private folder on the host
 * (`/tmp/diagbot.<uid>/batch.<pid>`, see host-tmp.ts), named `<nonce>.<id>.out` and `.err`
 * (`<nonce>.reads.out` and `.err` for the reads). Step 5 prints them with `head -v -c <cap+1>`,
 * one `head` per distinct cap, so each stream is cut on the host at its cap + 1 bytes (a
 * reader sees that it was cut) and the whole output leaves in a few large writes instead of
 * hundreds of small ones. {@link splitWindow} reads it back:
 *
 *   \n==> <folder>/<nonce>.<id>.out <==\n<bytes>  (for each stream; head's own header, after
 *                                                 a newline printed before each head)
 *   \n@@diagbot-<nonce> rc <id>=<exit> ...@@\n    (the exit status of each item that ended)
 *
 * The folder goes on every way out (its trap; or, when the script is killed, the next script
 * that makes one). Without a folder the script prints only {@link noFolderLine} and runs
 * nothing.
 * @throws Error when an id has characters other than those of {@link SAFE_ID}.
 */
export function windowScript(
  items: readonly CappedBatchItem[],
  reads: WindowReads,
  nonce: string,
): string {
  const bad = [...items, ...reads.items].find(({ id }) => !SAFE_ID.test(id) || id === "reads");
  if (bad) throw new Error(`window section id ${JSON.stringify(bad.id)} is not a file name`);
  const tag = `@@diagbot-${nonce}`;
  // Both ends of every read append to the same two files, one read after the other.
  const readAll = (key: (id: string) => string) =>
    reads.items.length === 0
      ? []
      : [
          "{",
          ...reads.items.map(({ id, command }) =>
            section(tag, key(id), [`( ${command} ) </dev/null`, "rc=$?"]),
          ),
          `} >>${file("reads", "out")} 2>>${file("reads", "err")}`,
        ];
  const file = (id: string, stream: "out" | "err") => `"$f.${id}.${stream}"`;
  return [
    ...hostTmpPrologue("batch", "batch", [
      `printf '%s\\n' ${shellQuote([noFolderLine(nonce)])}`,
      "exit 0",
    ]),
    `f="$d/${nonce}"`,
    'rcs=""',
    ...emitFunction(items, reads, tag, file),
    // Once the channel is gone (an interrupt), printing fails at once instead of killing the
    // shell by SIGPIPE before it removes the folder.
    `trap 'trap "" PIPE; emit; rm -rf "$d"' EXIT`,
    "trap 'exit 130' HUP INT TERM",
    "t0=$(date +%s)",
    ...items.map(
      ({ id, command }, i) =>
        `( ${command} ) </dev/null >${file(id, "out")} 2>${file(id, "err")} & p${i}=$!`,
    ),
    ...readAll(startId),
    `left=$((t0 + ${reads.seconds} - $(date +%s)))`,
    'if [ "$left" -gt 0 ]; then sleep "$left"; fi',
    ...readAll((id) => id),
    ...items.map(({ id }, i) => `wait "$p${i}"; rcs="$rcs ${id}=$?"`),
  ].join("\n");
}

/**
 * The `emit` shell function of {@link windowScript}: one `head -v -c` per distinct cap over
 * the files of the items with that cap, one over the reads, then the line of exit statuses.
 */
function emitFunction(
  items: readonly CappedBatchItem[],
  reads: WindowReads,
  tag: string,
  file: (id: string, stream: "out" | "err") => string,
): string[] {
  const byCap = new Map<number, string[]>();
  for (const { id, capBytes } of items) {
    byCap.set(capBytes, [...(byCap.get(capBytes) ?? []), file(id, "out"), file(id, "err")]);
  }
  // The reads' files hold both ends of every read, each with its frame.
  const readsCap = reads.items.reduce((sum, i) => sum + 2 * (i.capBytes + 1) + 4096, 0);
  if (reads.items.length > 0) byCap.set(readsCap, [file("reads", "out"), file("reads", "err")]);
  return [
    "emit() {",
    ...[...byCap].map(
      ([cap, files]) => `  printf '\\n'; head -v -c ${cap + 1} ${files.join(" ")} 2>/dev/null`,
    ),
    `  printf '\\n%s rc%s@@\\n' ${shellQuote([tag])} "$rcs"`,
    "}",
  ];
}

/**
 * Reads back the output of a {@link windowScript}: each item's streams (cut at its cap + 1
 * bytes on the host) and exit status, and the sections of the reads. An item whose files were
 * never printed is absent; one printed without an exit status had not ended.
 */
export function splitWindow(stdout: Buffer, nonce: string): Map<string, BatchSection> {
  const tag = `@@diagbot-${nonce}`;
  const rcAt = stdout.lastIndexOf(`\n${tag} rc`);
  const end = rcAt === -1 ? stdout.length : rcAt;
  const exits = new Map<string, number>();
  if (rcAt !== -1) {
    const line = stdout.subarray(rcAt + tag.length + 4, stdout.indexOf(0x0a, rcAt + 1));
    for (const m of line.toString().matchAll(/([A-Za-z0-9:_-]+)=(\d+)/g)) {
      exits.set(m[1], Number(m[2]));
    }
  }
  const files = headFiles(stdout.subarray(0, end), nonce);
  const reads = splitBatch(
    files.get("reads.out") ?? Buffer.alloc(0),
    files.get("reads.err") ?? Buffer.alloc(0),
    nonce,
  );
  for (const [name, data] of files) {
    const m = /^(.+)\.out$/.exec(name);
    if (!m || m[1] === "reads") continue;
    reads.set(m[1], {
      stdout: data,
      stderr: files.get(`${m[1]}.err`) ?? Buffer.alloc(0),
      exitCode: exits.get(m[1]),
    });
  }
  return reads;
}

/**
 * The files that `head -v` printed, by name after `<nonce>.`: each header line
 * `==> <path>/<nonce>.<name> <==` is preceded by a newline that belongs to no file.
 */
function headFiles(buf: Buffer, nonce: string): Map<string, Buffer> {
  const headers: { lineStart: number; bodyStart: number; name: string }[] = [];
  const needle = `/${nonce}.`;
  const header = new RegExp(`^==> .*/${nonce}\\.([A-Za-z0-9:_-]+\\.(?:out|err)) <==$`);
  for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, at + needle.length)) {
    const lineStart = buf.lastIndexOf(0x0a, at) + 1;
    const lineEnd = buf.indexOf(0x0a, at);
    if (lineStart === 0 || lineEnd === -1) continue;
    const m = header.exec(buf.toString("utf8", lineStart, lineEnd));
    if (m) headers.push({ lineStart, bodyStart: lineEnd + 1, name: m[1] });
  }
  const files = new Map<string, Buffer>();
  headers.forEach((h, i) => {
    const next = i + 1 < headers.length ? headers[i + 1].lineStart - 1 : buf.length;
    files.set(h.name, buf.subarray(h.bodyStart, Math.max(h.bodyStart, next)));
  });
  return files;
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
