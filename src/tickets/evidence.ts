import { createHash } from "node:crypto";
import type { CollectedOutput } from "../model/collected.js";
import type { Report } from "../model/report.js";
import { bundleTarGz, redactedBundle, type StoredBundle } from "../queue/bundle.js";
import { redactDeep } from "../redact/index.js";
import { renderMarkdown } from "../render/markdown.js";
import { type TicketOutline, ticketOutline } from "../render/outline.js";
import { type Env, setting } from "./config.js";
import { signEvidenceLink } from "./sign.js";

/**
 * What every ticket sink sends, built once: the redacted report, its outline and Markdown, the
 * redacted bundle as `.tar.gz` (with `report.json`), and the bundle's SHA-256, which is the
 * idempotency key. The SHA-256 is taken over the redacted collector outputs (each
 * `<name>\0<sha256 of content>\n`, names sorted), not the archive bytes, so the same evidence
 * replayed later (new report times, new archive stamps) has the same key.
 */
export interface TicketEvidence {
  report: Report;
  outline: TicketOutline;
  markdown: string;
  bundle: Buffer;
  /** `diagbot-<host>-<first 12 hex of sha256>.tar.gz` */
  bundleName: string;
  sha256: string;
  /** Secrets the redactor replaced, in the report and the bundle together. */
  redactions: number;
  /**
   * Where the bundle can be fetched besides the ticket, which decides the line a comment gives
   * ({@link bundleLink}): `served` when `serve`'s store holds it under this SHA-256 (a worker
   * recorded it, so `/evidence/<sha256>` answers), `file` when it was saved on the machine that
   * made it (the CLI), undefined when it is kept nowhere.
   */
  kept?: { served: true } | { file: string; machine: string };
}

export async function prepareEvidence(
  report: Report,
  outputs: readonly CollectedOutput[],
): Promise<TicketEvidence> {
  const { value: clean, count } = redactDeep(report);
  const stored = redactedBundle(
    {
      host: clean.host,
      startedAt: clean.startedAt,
      symptom: clean.symptom,
      windowSeconds: clean.window.seconds,
    },
    outputs,
  );
  return storedEvidence(clean, stored, count + stored.redactions);
}

/**
 * The same evidence from what a worker kept in Redis: the redacted report and the redacted
 * bundle (`result:{id}`, `bundle:{id}`), with the count of secrets replaced in both.
 */
export async function storedEvidence(
  clean: Report,
  stored: StoredBundle,
  redactions: number,
): Promise<TicketEvidence> {
  const sha256 = outputsDigest(stored.files);
  const files = { ...stored.files, "report.json": `${JSON.stringify(clean, null, 2)}\n` };
  const folder = `diagbot-${safeName(clean.host)}-${sha256.slice(0, 12)}`;
  const stamp = Date.parse(clean.startedAt);
  const bundle = await bundleTarGz(
    { files, redactions: stored.redactions },
    folder,
    Number.isNaN(stamp) ? 0 : stamp,
  );
  const outline = ticketOutline(clean);
  return {
    report: clean,
    outline,
    markdown: renderMarkdown(outline),
    bundle,
    bundleName: `${folder}.tar.gz`,
    sha256,
    redactions,
  };
}

/** How long a signed evidence link stays valid. */
export const LINK_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * The line a comment gives about the bundle. A signed link to `serve`'s `/evidence/<sha256>` only
 * when the link will answer: `DIAGBOT_PUBLIC_URL` and `DIAGBOT_EVIDENCE_SECRET` are set and the
 * bundle is in `serve`'s store (`kept.served`, a worker's evidence). Otherwise no link, and the
 * line says where the bundle is: on the ticket (`attached`, Jira), in a file on the machine that
 * made it (the CLI), or nowhere.
 */
export function bundleLink(
  env: Env,
  evidence: TicketEvidence,
  now: Date = new Date(),
  options: { attached?: boolean } = {},
): { url?: string; line: string } {
  const what = `Evidence bundle ${evidence.bundleName} (sha256 ${evidence.sha256})`;
  const kept = evidence.kept;
  if (kept && "served" in kept) {
    const publicUrl = setting(env, "DIAGBOT_PUBLIC_URL");
    const secret = setting(env, "DIAGBOT_EVIDENCE_SECRET");
    if (publicUrl && secret) {
      const expires = new Date(now.getTime() + LINK_LIFETIME_MS);
      const url = signEvidenceLink(publicUrl, evidence.sha256, expires, secret);
      return { url, line: `${what}, until ${expires.toISOString()}: ${url}` };
    }
  }
  if (options.attached) return { line: `${what} is attached to this issue.` };
  if (kept && "file" in kept)
    return { line: `${what} is saved at ${kept.file} on ${kept.machine}.` };
  if (kept) {
    const missing = setting(env, "DIAGBOT_PUBLIC_URL")
      ? "DIAGBOT_EVIDENCE_SECRET"
      : "DIAGBOT_PUBLIC_URL";
    return { line: `${what} is not linked: ${missing} is not set.` };
  }
  return { line: `${what} is not linked: it is kept nowhere diagbot serve answers for.` };
}

function outputsDigest(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    if (!name.endsWith(".out")) continue;
    const sum = createHash("sha256").update(files[name], "utf8").digest("hex");
    hash.update(`${name}\0${sum}\n`);
  }
  return hash.digest("hex");
}

function safeName(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64) || "host";
}
