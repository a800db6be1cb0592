import type { TicketKey } from "../model/ticket.js";
import type { Env } from "./config.js";
import type { TicketEvidence } from "./evidence.js";
import { DEFAULT_POLICY, type RetryPolicy } from "./retry.js";

/** What an attach did: `attached` a new comment or note, or found the bundle `already-attached`. */
export interface AttachResult {
  status: "attached" | "already-attached";
  /** The comment, note or delivery, when the system gives one. */
  url?: string;
}

/**
 * One ticket system. `attach` puts the evidence on the ticket the key names, once: it lists
 * what the ticket holds first and adds nothing when a comment carries the bundle's marker.
 * @throws DiagbotError "ticket-refused" (a setting or key to fix) or "ticket-failed" (retries spent).
 */
export interface TicketSink<K extends TicketKey = TicketKey> {
  attach(key: K, evidence: TicketEvidence): Promise<AttachResult>;
}

/** What every sink is built from: the environment and the retry policy (clock injectable). */
export interface SinkOptions {
  env: Env;
  policy?: RetryPolicy;
  now?: () => Date;
}

export function policyOf(options: SinkOptions): RetryPolicy {
  return options.policy ?? DEFAULT_POLICY;
}
