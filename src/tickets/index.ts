import type { TicketKey, TicketSystem } from "../model/ticket.js";
import type { TicketEvidence } from "./evidence.js";
import { githubSink } from "./github.js";
import { jiraSink } from "./jira.js";
import { pagerdutySink } from "./pagerduty.js";
import type { AttachResult, SinkOptions, TicketSink } from "./sink.js";
import { webhookSink } from "./webhook.js";

export {
  formatTicketKey,
  parseTicketKey,
  TICKET_SYSTEMS,
  type TicketKey,
  type TicketSystem,
} from "../model/ticket.js";
/**
 * Evidence on incident tickets: a door of its own. What callers use:
 * - {@link parseTicketKey} for `SYSTEM:KEY`;
 * - {@link prepareEvidence} once per report (redacts, archives, hashes);
 * - {@link attachEvidence} to put it on the ticket (idempotent, retried, bounded);
 * - `findingTicketer` (./findings.ts) for sweeps: one ticket per finding key, in any system;
 * - {@link sendFindingEvent} for its PagerDuty alerts (Events API v2 trigger/resolve);
 * - {@link verifyEvidenceLink} for `serve`'s `/evidence/<id>` route.
 */
export { type Env, setting } from "./config.js";
export { bundleLink, prepareEvidence, type TicketEvidence } from "./evidence.js";
export { type FindingEvent, sendFindingEvent } from "./pagerduty.js";
export { DEFAULT_POLICY, type RetryClock, type RetryPolicy } from "./retry.js";
export { signEvidenceLink, signWebhook, verifyEvidenceLink, verifyWebhook } from "./sign.js";
export type { AttachResult, SinkOptions, TicketSink } from "./sink.js";
export { type WebhookPayload, webhookPayload } from "./webhook.js";

const SINKS: {
  [S in TicketSystem]: (options: SinkOptions) => TicketSink<Extract<TicketKey, { system: S }>>;
} = {
  jira: jiraSink,
  github: githubSink,
  pagerduty: pagerdutySink,
  webhook: webhookSink,
};

/**
 * The sink for a system, configured from `options.env`.
 * @throws DiagbotError "config" naming the missing or bad setting: call it before collecting.
 */
export function ticketSink<S extends TicketSystem>(
  system: S,
  options: SinkOptions,
): TicketSink<Extract<TicketKey, { system: S }>> {
  return SINKS[system](options);
}

/** Puts the evidence on the ticket `key` names. @throws DiagbotError "ticket-refused" | "ticket-failed" | "config". */
export function attachEvidence(
  key: TicketKey,
  evidence: TicketEvidence,
  options: SinkOptions,
): Promise<AttachResult> {
  return (ticketSink(key.system, options) as TicketSink).attach(key, evidence);
}
