import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * HMAC-SHA256 signatures: the expiring `/evidence/<id>` links `serve` hands out, and the
 * webhook's `X-Diagbot-Signature`. Both compare in constant time.
 */

function hmacHex(secret: string, data: string): string {
  return createHmac("sha256", secret).update(data, "utf8").digest("hex");
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Evidence ids are bundle SHA-256s (64 hex) or other URL-safe labels. */
const EVIDENCE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * `<publicUrl>/evidence/<id>?expires=<unix seconds>&sig=<hex>`, where `sig` is
 * HMAC-SHA256(secret, `<id>.<expires>`).
 */
export function signEvidenceLink(
  publicUrl: string,
  id: string,
  expiresAt: Date,
  secret: string,
): string {
  if (!EVIDENCE_ID.test(id)) throw new Error(`evidence id ${JSON.stringify(id)} is not URL-safe`);
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const sig = hmacHex(secret, `${id}.${expires}`);
  return `${publicUrl.replace(/\/+$/, "")}/evidence/${id}?expires=${expires}&sig=${sig}`;
}

/** Whether a link's `expires` and `sig` are valid for `id` at `now`: what the route checks. */
export function verifyEvidenceLink(
  id: string,
  expires: string,
  sig: string,
  secret: string,
  now: Date = new Date(),
): boolean {
  if (!EVIDENCE_ID.test(id) || !/^[0-9]{1,12}$/.test(expires)) return false;
  if (Number(expires) * 1000 <= now.getTime()) return false;
  return sameHex(hmacHex(secret, `${id}.${expires}`), sig);
}

/**
 * The webhook signature: `sha256=` + hex HMAC-SHA256(secret, `<timestamp>.<raw body>`), with
 * the timestamp (unix seconds) sent as `X-Diagbot-Timestamp`. Signing the timestamp with the
 * body, as Slack does (`v0:<timestamp>:<body>`), lets a receiver refuse replays.
 */
export function signWebhook(rawBody: string, timestamp: number, secret: string): string {
  return `sha256=${hmacHex(secret, `${timestamp}.${rawBody}`)}`;
}

/** A receiver's check: the signature matches and the timestamp is within `toleranceSeconds`. */
export function verifyWebhook(
  rawBody: string,
  timestamp: string,
  signature: string,
  secret: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (!/^[0-9]{1,12}$/.test(timestamp)) return false;
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  return sameHex(signWebhook(rawBody, Number(timestamp), secret), signature);
}
