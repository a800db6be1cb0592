import type { WebClient } from "@slack/web-api";
import { DiagbotError } from "../model/errors.js";
import type { PastedPieces } from "../queue/engine.js";
import type { SlackConfig } from "./config.js";

/**
 * Evidence pasted in Slack (DESIGN.md "Evidence from anywhere"): a message's text and the
 * snippets and text files attached to it, or what the paste modal was given, as named pieces
 * for the queue. Each file is fetched from `url_private` with the bot token (Slack's
 * `files:read` scope), from Slack's file host or the Web API's own origin (`SLACK_API_URL`)
 * only. Everything together is capped at `maxBytes` (the queue's DIAGBOT_RESULT_MAX_BYTES,
 * the size a diagnosis's bundle is kept to): a file over it is refused by its announced size
 * before a byte is fetched, or as soon as its bytes pass the cap. Nothing is run.
 */

/** A file as Slack describes it in a message or a `file_input`'s state (the fields read). */
export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  /** Bytes. */
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

/** Slack's file host: `url_private` points there. */
const SLACK_FILES_ORIGIN = "https://files.slack.com";

/** `53687091` → `51.2 MiB`. */
function sizeText(bytes: number): string {
  return bytes < 1 << 20
    ? `${Math.ceil(bytes / 1024)} KiB`
    : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/**
 * Undoes Slack's message formatting (https://api.slack.com/reference/surfaces/formatting):
 * links `<http://x|label>` → `label`, `<http://x>` → `http://x`, mentions `<@U1>` → `@U1`,
 * `<#C1|name>` → `#name`, `<!here>` → `@here`, `<!subteam^S1|@ops>` → `@ops`; then the three entities Slack escapes
 * (`&lt;`, `&gt;`, `&amp;`, in that order of need: `&amp;` last); and code fences written
 * on a line with text (```` ```df -h ````) are put on lines of their own, where the transcript
 * reader looks for them.
 */
export function unslack(text: string): string {
  return text
    .replace(/<([^<>\s|]+)(?:\|([^<>]*))?>/g, (_whole, target: string, label?: string) => {
      if (target.startsWith("@")) return label ? `@${label}` : target;
      if (target.startsWith("#")) return label ? `#${label}` : target;
      if (target.startsWith("!")) return label ?? `@${target.slice(1).split("^")[0]}`;
      return label ?? target;
    })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/```/g, "\n```\n");
}

/** What a piece's name says in messages and the report: the file's name, or its id. */
function fileName(f: SlackFile): string {
  return (f.name || f.title || f.id || "file").slice(0, 120);
}

/**
 * The refusal of a file that would take the paste over `maxBytes`: its size when it is known
 * and over the cap alone, else what it takes the paste to.
 */
function overCap(name: string, bytes: number | undefined, maxBytes: number): DiagbotError {
  const size =
    bytes !== undefined && bytes > maxBytes ? ` is ${sizeText(bytes)}:` : " takes the paste";
  return new DiagbotError(
    "usage",
    `${name}${size} over the ${sizeText(maxBytes)} that pasted evidence is read up to`,
    {
      hint: "attach the part around the incident, or run diagbot diagnose LABEL --from FILE where the file is",
    },
  );
}

/**
 * The pieces of a paste: `text` (a message's, in Slack's formatting, or a modal's plain text)
 * and `files`. Files with no `url_private` (a Slack Connect message hides them) are looked up
 * with `files.info`.
 * @throws DiagbotError `usage` for a file over the cap, one not stored in Slack, or one Slack
 *   would not give; `usage` when there is nothing to read
 */
export async function pastedPieces(
  input: { text?: string; slackText?: string; files: readonly SlackFile[] },
  slack: SlackConfig,
  client: WebClient,
  maxBytes: number,
): Promise<PastedPieces> {
  const pieces: PastedPieces = [];
  const text = input.slackText !== undefined ? unslack(input.slackText) : (input.text ?? "");
  if (text.trim()) pieces.push({ name: "the message", bytes: Buffer.from(text) });
  let left = maxBytes - (pieces[0]?.bytes.length ?? 0);
  const files = await Promise.all(input.files.map((f) => described(f, client)));
  checkSizes(files, left, maxBytes);
  for (const f of files) {
    const bytes = await fetchFile(f, slack, left, maxBytes);
    left -= bytes.length;
    pieces.push({ name: fileName(f), bytes });
  }
  if (pieces.length === 0)
    throw new DiagbotError("usage", "there is no text or file to read here", {
      hint: "paste commands with their output (for example `$ df -h` and its table), or attach a snippet or a .log/.txt file",
    });
  return pieces;
}

/**
 * Refuses, by the sizes Slack announces and before a byte is fetched, files that would take a
 * paste over `maxBytes` when `left` bytes of it remain.
 * @throws DiagbotError `usage` naming the first such file, its size and the cap
 */
export function checkSizes(files: readonly SlackFile[], left: number, maxBytes: number): void {
  let sum = 0;
  for (const f of files) {
    sum += f.size ?? 0;
    if (sum > left) throw overCap(fileName(f), f.size, maxBytes);
  }
}

/** The file with its `url_private`: as given, or from `files.info`. */
async function described(f: SlackFile, client: WebClient): Promise<SlackFile> {
  if (f.url_private || f.url_private_download || !f.id) return f;
  const info = await client.files.info({ file: f.id });
  return { ...f, ...(info.file as SlackFile) };
}

/** Redirects followed for a file, each to Slack's own origins only. */
const MAX_REDIRECTS = 3;

/** The origin of `url` when it is one of Slack's (its file host, or `SLACK_API_URL`'s). */
function slackOrigin(url: string | undefined, slack: SlackConfig): boolean {
  try {
    const origin = url ? new URL(url).origin : "";
    return origin === SLACK_FILES_ORIGIN || origin === new URL(slack.apiUrl).origin;
  } catch {
    return false;
  }
}

/**
 * GETs `url` with the bot token, following redirects by hand so that the token only ever goes
 * to one of Slack's origins.
 * @throws DiagbotError `usage` for a URL elsewhere, or a request that failed
 */
async function fetchFromSlack(
  url: string | undefined,
  slack: SlackConfig,
  name: string,
): Promise<Response> {
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!url || !slackOrigin(url, slack))
      throw new DiagbotError("usage", `${name} is not stored in Slack (no file URL of Slack's)`, {
        hint: "paste its text, or upload the file itself",
      });
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${slack.botToken}` },
      redirect: "manual",
    }).catch((err: Error) => {
      throw new DiagbotError("usage", `${name} could not be fetched from Slack: ${err.message}`, {
        hint: "try again in a minute",
      });
    });
    const next = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !next) return res;
    await res.body?.cancel().catch(() => undefined);
    url = new URL(next, url).href;
  }
  throw new DiagbotError("usage", `${name}: Slack redirected more than ${MAX_REDIRECTS} times`, {
    hint: "try again in a minute",
  });
}

/**
 * The bytes of a Slack file, up to `left` bytes.
 * @throws DiagbotError `usage` naming the file and what went wrong
 */
async function fetchFile(
  f: SlackFile,
  slack: SlackConfig,
  left: number,
  maxBytes: number,
): Promise<Buffer> {
  const name = fileName(f);
  const res = await fetchFromSlack(f.url_private_download ?? f.url_private, slack, name);
  // Without the files:read scope Slack answers with its sign-in page, not the file.
  if (!res.ok || (res.headers.get("content-type") ?? "").startsWith("text/html")) {
    await res.body?.cancel().catch(() => undefined);
    throw new DiagbotError("usage", `Slack did not give ${name} (HTTP ${res.status})`, {
      hint: "the app needs the files:read scope: reinstall it from deploy/slack-app-manifest.yaml",
    });
  }
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of res.body ?? []) {
    have += chunk.length;
    if (have > left) {
      await res.body?.cancel().catch(() => undefined);
      throw overCap(name, f.size, maxBytes);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
