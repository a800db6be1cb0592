import type { TicketKey } from "../model/ticket.js";
import { baseUrl, required } from "./config.js";
import { bundleLink, type TicketEvidence } from "./evidence.js";
import { fetchText, withRetry } from "./retry.js";
import { signWebhook } from "./sign.js";
import { policyOf, type SinkOptions, type TicketSink } from "./sink.js";

type WebhookKey = Extract<TicketKey, { system: "webhook" }>;

/** Bundles up to this size travel inside the payload as base64; larger ones only by link. */
export const INLINE_BUNDLE_BYTES = 1 << 20;

/**
 * The webhook payload (README "Tickets" documents it; `version` changes when a field does).
 * `id` is the bundle's SHA-256: the same evidence delivered twice has the same id, so the
 * receiver can drop repeats (the webhook cannot be asked what it already holds).
 */
export interface WebhookPayload {
  version: 1;
  type: "diagbot.evidence";
  id: string;
  label: string;
  host: string;
  symptom: string;
  startedAt: string;
  summary: string;
  top: { title: string; category: string; rule: string; confidence: number } | null;
  markdown: string;
  report: TicketEvidence["report"];
  bundle: { name: string; sha256: string; bytes: number; url?: string; base64?: string };
}

export function webhookPayload(
  label: string,
  evidence: TicketEvidence,
  url?: string,
): WebhookPayload {
  const { report, outline } = evidence;
  return {
    version: 1,
    type: "diagbot.evidence",
    id: evidence.sha256,
    label,
    host: report.host,
    symptom: report.symptom,
    startedAt: report.startedAt,
    summary: outline.summary,
    top: outline.top
      ? {
          title: outline.top.title,
          category: outline.top.category,
          rule: outline.top.rule,
          confidence: outline.top.confidence / 100,
        }
      : null,
    markdown: evidence.markdown,
    report,
    bundle: {
      name: evidence.bundleName,
      sha256: evidence.sha256,
      bytes: evidence.bundle.length,
      url,
      base64:
        evidence.bundle.length <= INLINE_BUNDLE_BYTES
          ? evidence.bundle.toString("base64")
          : undefined,
    },
  };
}

/**
 * POSTs the payload to `DIAGBOT_WEBHOOK_URL` with `X-Diagbot-Timestamp` (unix seconds),
 * `X-Diagbot-Signature: sha256=<hex HMAC-SHA256(DIAGBOT_WEBHOOK_SECRET, "<timestamp>.<raw body>")>`
 * and `X-Diagbot-Delivery` (the payload id). Each retry is signed anew.
 */
export function webhookSink(options: SinkOptions): TicketSink<WebhookKey> {
  const deliver = webhookDelivery(options);
  return {
    async attach(key, evidence) {
      const link = bundleLink(options.env, evidence, deliver.now());
      const body = JSON.stringify(webhookPayload(key.label, evidence, link.url));
      await deliver(body, evidence.sha256, key.label);
      return { status: "attached" };
    },
  };
}

/**
 * A signed `POST` of a JSON body to `DIAGBOT_WEBHOOK_URL` (see {@link webhookSink}), retried
 * under the policy, `id` as `X-Diagbot-Delivery`.
 * @throws DiagbotError "config" at once when a setting is missing; "ticket-refused" |
 *   "ticket-failed" from a delivery.
 */
export function webhookDelivery(options: SinkOptions): {
  (body: string, id: string, label: string): Promise<void>;
  now: () => Date;
} {
  const { env } = options;
  const url = baseUrl(env, "DIAGBOT_WEBHOOK_URL");
  const secret = required(env, "DIAGBOT_WEBHOOK_SECRET", "webhook payloads are signed");
  const policy = policyOf(options);
  const now = options.now ?? (() => new Date());
  const deliver = async (body: string, id: string, label: string) => {
    await withRetry(
      () => {
        const timestamp = Math.floor(now().getTime() / 1000);
        return fetchText(url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "User-Agent": "diagbot",
            "X-Diagbot-Timestamp": String(timestamp),
            "X-Diagbot-Signature": signWebhook(body, timestamp, secret),
            "X-Diagbot-Delivery": id,
          },
          body,
        });
      },
      {
        system: "The webhook",
        action: `delivering ${label} to ${shownUrl(url)}`,
        tokenSetting: "DIAGBOT_WEBHOOK_SECRET",
        urlSetting: "DIAGBOT_WEBHOOK_URL",
        key: `webhook:${label}`,
      },
      policy,
    );
  };
  return Object.assign(deliver, { now });
}

/** The endpoint as a message names it: origin and path, never credentials or the query. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
