import { randomBytes } from "node:crypto";
import { shellQuote } from "../collectors/command.js";

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

/** The shell text for a batch, to run as `sh -c <text>` (already quoted). */
export function batchScript(items: readonly BatchItem[], nonce: string): string {
  const tag = `@@diagbot-${nonce}`;
  const body = items
    .map(({ id, command }) => {
      const begin = shellQuote([`${tag} begin ${id}@@`]);
      const end = shellQuote([`${tag} end ${id}`]);
      return [
        `printf '%s\\n' ${begin}`,
        `printf '%s\\n' ${begin} >&2`,
        `( ${command} ) </dev/null`,
        "rc=$?",
        `printf '\\n%s %s@@\\n' ${end} "$rc"`,
        `printf '\\n%s %s@@\\n' ${end} "$rc" >&2`,
      ].join("; ");
    })
    .join("\n");
  return shellQuote(["sh", "-c", body]);
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
