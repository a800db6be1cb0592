import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Replier } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import { parseTicketKey } from "../model/ticket.js";
import type { Logger } from "../observability/log.js";
import type { StoredBundle } from "../queue/bundle.js";
import type { QueueConfig, RedisClient } from "../queue/config.js";
import type { ResultStore } from "../queue/store.js";
import { TICKETS_QUEUE, type TicketJobData, TicketJobDataSchema } from "../queue/tickets.js";
import { redactText } from "../redact/index.js";
import type { Env } from "./config.js";
import { storedEvidence, type TicketEvidence } from "./evidence.js";
import { attachEvidence } from "./index.js";
import { backoff, HttpFailure, REAL_CLOCK, waitAsked } from "./retry.js";

/**
 * The `tickets` queue's worker, run by `diagbot worker`: puts a finished diagnosis's evidence
 * (the redacted report and bundle kept in Redis) on the ticket a requester named. Each try is one
 * pass of the sink (no sleeping in the worker): 429, 5xx and network errors go back to the queue
 * for the wait the ticket system asked (`Retry-After`, `X-RateLimit-Reset`: src/tickets/retry.ts)
 * or 1 s, 2 s, 4 s..., up to `DIAGBOT_TICKET_ATTEMPTS` tries; 400/401/403/404 and a missing
 * setting end at once. The outcome is said in the requester's thread: the comment's link, or
 * why the ticket did not take it and which setting to fix.
 */
export function startTicketWorker(
  config: QueueConfig,
  deps: { redis: RedisClient; store: ResultStore; replier: Replier; log: Logger; env: Env },
): Worker<TicketJobData> {
  const { store, replier, log, env } = deps;
  const worker = new Worker<TicketJobData>(
    TICKETS_QUEUE,
    async (job: Job<TicketJobData>) => {
      const parsed = TicketJobDataSchema.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`malformed ticket job ${job.id}: ${parsed.error.message}`);
      const { diagnosisId, target } = job.data;
      const [result, bundle] = await Promise.all([
        store.loadResult(diagnosisId),
        store.loadBundle<StoredBundle>(diagnosisId),
      ]);
      if (!result || !bundle)
        throw new UnrecoverableError(
          `the evidence of ${diagnosisId} has expired from the store (DIAGBOT_RESULT_TTL) or was over DIAGBOT_RESULT_MAX_BYTES; run the diagnosis again`,
        );
      const stored = await storedEvidence(result.report, bundle, result.redactions);
      // Before the ticket links it: `serve`'s /evidence/<sha256> finds the bundle by this.
      await store.recordEvidence(stored.sha256, diagnosisId);
      const evidence: TicketEvidence = { ...stored, kept: { served: true } };
      const attached = await attachOnce(target.ticket, evidence, env, job.attemptsMade + 1);
      const what = attached.status === "attached" ? "attached to" : "already on";
      log.info({ diagnosisId, ticket: target.ticket, status: attached.status }, "ticket updated");
      await replier
        .note(
          target,
          redactText(
            `:paperclip: evidence ${what} \`${target.ticket}\`${attached.url ? `: ${attached.url}` : ""}`,
          ).text,
        )
        .catch((err) => log.warn({ err: (err as Error).message }, "ticket note failed"));
    },
    {
      connection: deps.redis,
      prefix: config.prefix,
      concurrency: 4,
      settings: {
        backoffStrategy: (attemptsMade, _type, err) =>
          err instanceof TicketRetry ? err.waitMs : backoff(attemptsMade),
      },
    },
  );
  worker.on("failed", (job, err) => {
    const last =
      err instanceof UnrecoverableError || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
    if (!job) return;
    const where = { diagnosisId: job.data.diagnosisId, ticket: job.data.target?.ticket };
    if (!last) {
      log.warn(
        { ...where, err: err.message, attempt: job.attemptsMade },
        "ticket call failed; retrying",
      );
      return;
    }
    log.error({ ...where, err: err.message, attempts: job.attemptsMade }, "ticket call gave up");
    const tries = `${job.attemptsMade} ${job.attemptsMade === 1 ? "try" : "tries"}`;
    void replier
      .note(
        job.data.target,
        redactText(
          `:warning: the evidence did not reach \`${job.data.target.ticket}\` (${tries}): ${err.message}`,
        ).text,
      )
      .catch((e) =>
        log.error({ ...where, err: (e as Error).message }, "ticket failure note failed"),
      );
  });
  worker.on("error", (err) => log.error({ err: err.message }, "ticket worker error"));
  return worker;
}

/** A try the ticket system may take later, after `waitMs`. */
class TicketRetry extends Error {
  constructor(
    message: string,
    readonly waitMs: number,
  ) {
    super(message);
    this.name = "TicketRetry";
  }
}

/**
 * One pass of the sink. @throws UnrecoverableError (refused, bad setting: the message names the
 * setting to fix) or TicketRetry carrying the wait the server asked.
 */
async function attachOnce(ticket: string, evidence: TicketEvidence, env: Env, attempt: number) {
  try {
    return await attachEvidence(parseTicketKey(ticket), evidence, {
      env,
      policy: { tries: 1, maxWaitMs: Number.POSITIVE_INFINITY, clock: REAL_CLOCK },
    });
  } catch (err) {
    if (!(err instanceof DiagbotError)) throw err;
    const text = err.publicHint ? `${err.publicMessage} (${err.publicHint})` : err.publicMessage;
    if (err.code !== "ticket-failed") throw new UnrecoverableError(text);
    const http = err.cause instanceof HttpFailure ? err.cause : undefined;
    throw new TicketRetry(text, http ? waitAsked(http, attempt, Date.now()) : backoff(attempt));
  }
}
