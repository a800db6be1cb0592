import type { FindingTicketer } from "../model/answer.js";
import type { TicketKey } from "../model/ticket.js";
import { redactDeep } from "../redact/index.js";
import { bundleMarker } from "../render/outline.js";
import { baseUrl, type Env, required } from "./config.js";
import { bundleLink } from "./evidence.js";
import { type CallContext, fetchText, type RetryPolicy, withRetry } from "./retry.js";
import { policyOf, type SinkOptions, type TicketSink } from "./sink.js";

/*
 * Plain fetch, not @pagerduty/pdjs (2.2.4, the last release): its `event()` builds
 * `https://<server>/v2/enqueue`, so neither DIAGBOT_PAGERDUTY_URL's scheme nor a port can be
 * given, and its request layer retries every 429 after a fixed 20 s, ignoring `Retry-After`,
 * with no way to turn that off under our own bounded retry.
 */

type PagerdutyKey = Extract<TicketKey, { system: "pagerduty" }>;

/** PagerDuty refuses note content over 25,000 characters (REST "Create a note on an incident"). */
export const NOTE_LIMIT = 25_000;

const REST_HEADERS = (token: string) => ({
  Authorization: `Token token=${token}`,
  Accept: "application/vnd.pagerduty+json;version=2",
  "Content-Type": "application/json",
});

/**
 * An incident note (`POST /incidents/{id}/notes`, with the `From` header PagerDuty requires:
 * the email of a user of the account, `DIAGBOT_PAGERDUTY_FROM`) holding the summary, the top
 * hypothesis, the bundle link and the marker. The incident's notes are listed first.
 */
export function pagerdutySink(options: SinkOptions): TicketSink<PagerdutyKey> {
  const { env } = options;
  const api = baseUrl(env, "DIAGBOT_PAGERDUTY_URL", "https://api.pagerduty.com");
  const token = required(env, "DIAGBOT_PAGERDUTY_TOKEN", "PagerDuty needs a REST API key");
  const from = required(
    env,
    "DIAGBOT_PAGERDUTY_FROM",
    "PagerDuty notes need the From email of a user",
  );
  const policy = policyOf(options);
  return {
    async attach(key, evidence) {
      const ctx = (action: string): CallContext => ({
        system: "PagerDuty",
        action: `${action} incident ${key.incident}`,
        tokenSetting: "DIAGBOT_PAGERDUTY_TOKEN",
        urlSetting: "DIAGBOT_PAGERDUTY_URL",
        key: `pagerduty:${key.incident}`,
      });
      const notesUrl = `${api}/incidents/${encodeURIComponent(key.incident)}/notes`;
      const incidentUrl = `${api}/incidents/${encodeURIComponent(key.incident)}`;
      const marker = bundleMarker(evidence.sha256);
      const listed = await withRetry(
        () => fetchText(notesUrl, { headers: REST_HEADERS(token) }),
        ctx("listing the notes of"),
        policy,
      );
      const notes = (JSON.parse(listed.text) as { notes?: { content?: string }[] }).notes ?? [];
      if (notes.some((n) => n.content?.includes(marker))) {
        return { status: "already-attached", url: incidentUrl };
      }
      const o = evidence.outline;
      const lines = [
        `diagbot on ${o.host} (${o.symptom}): ${o.summary}`,
        ...(o.top
          ? [`Evidence: ${o.top.evidence.map((e) => `${e.collector}: ${e.excerpt}`).join(" | ")}`]
          : []),
        bundleLink(env, evidence, options.now?.()).line,
      ];
      const content = `${lines.join("\n").slice(0, NOTE_LIMIT - marker.length - 1)}\n${marker}`;
      await withRetry(
        () =>
          fetchText(notesUrl, {
            method: "POST",
            headers: { ...REST_HEADERS(token), From: from },
            body: JSON.stringify({ note: { content } }),
          }),
        ctx("adding a note to"),
        policy,
      );
      return { status: "attached", url: incidentUrl };
    },
  };
}

/** An Events API v2 event for a sweep finding (developer.pagerduty.com, "Send an Alert Event"). */
export type FindingEvent =
  | {
      action: "trigger";
      /** The finding key (DESIGN "Sweeps"): one alert per key, deduplicated by PagerDuty. */
      key: string;
      /** At most 1,024 characters; longer is cut. */
      summary: string;
      /** The host. */
      source: string;
      severity: "critical" | "error" | "warning" | "info";
      /** The category, the rule, the confidence and the evidence lines. */
      details: Record<string, unknown>;
      link?: string;
    }
  | { action: "resolve"; key: string };

/**
 * Sends a trigger or resolve to `<DIAGBOT_PAGERDUTY_EVENTS_URL>/v2/enqueue` (default
 * `https://events.pagerduty.com`) with `DIAGBOT_PAGERDUTY_ROUTING_KEY`; `dedup_key` is the
 * finding key, so a second trigger for a finding updates the open alert instead of opening
 * another, and resolve closes it. Returns the `dedup_key` PagerDuty answers with.
 */
export async function sendFindingEvent(
  env: Env,
  event: FindingEvent,
  policy?: RetryPolicy,
): Promise<string> {
  const url = `${baseUrl(env, "DIAGBOT_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com")}/v2/enqueue`;
  const routingKey = required(
    env,
    "DIAGBOT_PAGERDUTY_ROUTING_KEY",
    "Events API v2 needs an integration key",
  );
  const body =
    event.action === "resolve"
      ? { routing_key: routingKey, event_action: "resolve", dedup_key: event.key }
      : {
          routing_key: routingKey,
          event_action: "trigger",
          dedup_key: event.key,
          payload: {
            summary: event.summary.slice(0, 1024),
            source: event.source,
            severity: event.severity,
            component: event.source,
            custom_details: event.details,
          },
          ...(event.link ? { links: [{ href: event.link, text: "diagbot evidence" }] } : {}),
          client: "diagbot",
        };
  const answer = await withRetry(
    () =>
      fetchText(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    {
      system: "PagerDuty Events",
      action: `${event.action} for ${event.key}`,
      tokenSetting: "DIAGBOT_PAGERDUTY_ROUTING_KEY",
      urlSetting: "DIAGBOT_PAGERDUTY_EVENTS_URL",
      key: event.key,
    },
    policy,
  );
  return (JSON.parse(answer.text) as { dedup_key?: string }).dedup_key ?? event.key;
}

/**
 * Sweep incidents (a sweep's `ticket: { system: pagerduty }`) over Events API v2: `open` is a
 * trigger, `resolve` a resolve, with the finding key as `dedup_key` (PagerDuty folds a second
 * trigger of an open key into its alert). Severity `error` at a confidence of 0.8 or more, else
 * `warning`. Everything sent passes the redactor.
 * @throws DiagbotError "config" when DIAGBOT_PAGERDUTY_ROUTING_KEY is missing: call it at start.
 */
export function pagerdutyTicketer(env: Env, policy?: RetryPolicy): FindingTicketer {
  required(env, "DIAGBOT_PAGERDUTY_ROUTING_KEY", "sweeps with a ticket trigger alerts through it");
  baseUrl(env, "DIAGBOT_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com");
  return async (event) => {
    if (event.action === "resolve") {
      await sendFindingEvent(env, { action: "resolve", key: event.key }, policy);
      return undefined;
    }
    const { value } = redactDeep({
      summary: `${event.title} on ${event.host} (diagbot sweep ${event.sweep})`,
      details: {
        sweep: event.sweep,
        category: event.category,
        rule: event.rule,
        confidence: event.confidence,
        title: event.title,
      },
    });
    await sendFindingEvent(
      env,
      {
        action: "trigger",
        key: event.key,
        summary: value.summary,
        source: event.host,
        severity: event.confidence >= 0.8 ? "error" : "warning",
        details: value.details,
      },
      policy,
    );
    return undefined;
  };
}
