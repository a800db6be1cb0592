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
  /**
   * `SYSTEM:KEY` this requester asked the evidence to go to (`/diagnose … --ticket`, the
   * *Attach to ticket* button), canonical as `parseTicket` (./request.ts) writes it.
   */
  ticket?: string;
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

/** Where an answer was posted as a message the bot may edit later (Slack: channel and ts). */
export interface PostedAnswer {
  channel: string;
  ts: string;
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
  /**
   * Posts the answer in the thread (or through response_url) and edits the root message.
   * @returns where the answer message is, when it can be edited (not through response_url)
   */
  answer(
    target: ReplyTarget,
    result: StoredResult,
    requesters: string[],
  ): Promise<PostedAnswer | undefined>;
  /**
   * Adds a checked LLM narrative (`result.report.narrative`) to an answer posted earlier:
   * `posted` is what {@link answer} returned for `target`. Absent: narratives are not shown.
   */
  addNarrative?(
    target: ReplyTarget,
    result: StoredResult,
    posted: PostedAnswer | undefined,
    requesters: string[],
  ): Promise<void>;
  /** Posts that the diagnosis failed, and why. */
  failure(
    target: ReplyTarget,
    request: DiagnoseRequest,
    error: string,
    diagnosisId: string,
  ): Promise<void>;
  /**
   * Posts one short line in the target's thread (or through response_url): what became of a
   * ticket the requester named. The text is mrkdwn, already redacted.
   */
  note(target: ReplyTarget, text: string): Promise<void>;
  /**
   * Whether a post that threw may succeed later (the chat service down, unreachable or rate
   * limiting past the client's own retries): the answer then goes to the delivery queue. False
   * for what never will (the channel archived, the token revoked). Absent: every failure is
   * taken as transient.
   */
  isTransient?(err: unknown): boolean;
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

/** A sweep digest ready to post: Block Kit, and the whole digest as a file when cut. */
export interface DigestMessage {
  channel: string;
  /** Notification / fallback text. */
  text: string;
  blocks: Record<string, unknown>[];
  /** Uploaded into the digest's thread when the message could not hold everything. */
  file?: { filename: string; content: string };
}

/**
 * Posts a sweep digest (Slack today: `src/slack/digest.ts`), plugged into the sweep runner by
 * main/. Resolves to where it went (the message's `ts`); may throw.
 */
export type DigestPoster = (message: DigestMessage) => Promise<{ ts: string }>;

/**
 * Mutes finding keys of a sweep, as the digest's Mute menus ask (the menu carries a short
 * digest of the key: src/sweeps/digest.ts). Plugged into the Slack app by main/.
 */
export interface FindingMuter {
  /** The full key of `sweep` whose digest is `keyDigest`, or undefined when it has none (any more). */
  resolve(sweep: string, keyDigest: string): Promise<string | undefined>;
  /** Mutes `key` until `untilMs` (ms since the epoch); `by` is who asked. */
  mute(sweep: string, key: string, untilMs: number, by: string): Promise<void>;
}

/**
 * A ticket for a sweep's finding key (the sweep's `ticket` option), plugged into the sweep
 * runner by main/ (src/tickets/findings.ts: PagerDuty, Jira, GitHub, webhook). `open` for a
 * finding posted new, resolving to the ticket it opened (`jira:OPS-12`, `github:o/r#5`, ...);
 * `resolve` once it is resolved, with that ticket. The runner opens a key once while it is open.
 * Throws when the system did not take it (the run tries again next time).
 */
export type FindingTicketer = (
  event:
    | {
        action: "open";
        sweep: string;
        key: string;
        host: string;
        title: string;
        category: string;
        rule: string;
        /** 0..1 */
        confidence: number;
      }
    | { action: "resolve"; sweep: string; key: string; ticket?: string },
) => Promise<string | undefined>;
