import type { Progress } from "./progress.js";
import type { Report } from "./report.js";
import type { DiagnoseRequest } from "./request.js";

/**
 * Where answers go, as the queue sees it: the queue runs the engine and hands each outcome to
 * the {@link Replier} that process wiring (`src/main/`) plugged in (Slack today), so the queue
 * never imports a door.
 */

/**
 * Where an answer goes. A thread (`channel` + `ts` of the root message to edit, answering in
 * `threadTs`), or, when the bot is not in the channel, only a `responseUrl`.
 */
export interface ReplyTarget {
  user: string;
  channel: string;
  /** The bot's root message ("diagnosing host-42 (latency)…"), edited with progress. */
  ts?: string;
  /** The thread the answer goes to (the root message's ts unless the request came from a thread). */
  threadTs?: string;
  /** Slack's response_url: used when the bot cannot post in the channel. */
  responseUrl?: string;
}

/** How a finished job ended, as late joiners learn it. */
export type Outcome =
  | { ok: true; diagnosisId: string }
  | { ok: false; diagnosisId: string; error: string };

/** A finished diagnosis as kept in Redis: the redacted report and what was asked. */
export interface StoredResult {
  diagnosisId: string;
  request: DiagnoseRequest;
  requestedBy: string;
  requestedAt: number;
  finishedAt: number;
  report: Report;
  /** Secrets replaced in the report and the bundle. */
  redactions: number;
  /** Bundle stored too (false when it was over the size cap). */
  bundle: boolean;
}

/**
 * Where answers go. The Slack implementation is `src/slack/replies.ts`; tests and other
 * doors can give their own. Every method may throw: the caller logs and goes on.
 */
export interface Replier {
  /**
   * Edits the root message with progress ("sampling: 3 s left of 5 s (iostat, vmstat), 12/26
   * collectors done", then the parse and evaluate phases).
   */
  progress(target: ReplyTarget, request: DiagnoseRequest, progress: Progress): Promise<void>;
  /** Posts the answer in the thread (or through response_url) and edits the root message. */
  answer(target: ReplyTarget, result: StoredResult, requesters: string[]): Promise<void>;
  /** Posts that the diagnosis failed, and why. */
  failure(
    target: ReplyTarget,
    request: DiagnoseRequest,
    error: string,
    diagnosisId: string,
  ): Promise<void>;
}

/**
 * Delivers a finished report and its raw outputs somewhere beyond the process that produced it
 * (a ticket): resolves to the exit code of that delivery (0 delivered, 5 failed after retries,
 * the evidence kept on disk). Plugged into a door by main/, so doors never import each other.
 */
export type EvidenceDelivery = (
  report: import("./report.js").Report,
  outputs: readonly import("./collected.js").CollectedOutput[],
) => Promise<number>;
