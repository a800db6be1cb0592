import { type Job, UnrecoverableError, Worker } from "bullmq";
import { z } from "zod";
import type { Outcome, PostedAnswer, Replier, ReplyTarget, StoredResult } from "../model/answer.js";
import { type DiagnoseRequest, DiagnoseRequestSchema } from "../model/request.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { QueueConfig, RedisClient } from "./config.js";
import { LazyQueue } from "./lazy-queue.js";
import type { ResultStore } from "./store.js";
import type { TicketQueue } from "./tickets.js";
import { DIAGNOSIS_ID, ReplyTargetSchema, threadKey } from "./types.js";

/** The BullMQ queue of answers that Slack did not take (down past the client's retries). */
export const DELIVERY_QUEUE = "deliver";

/** One answer to post again later: the outcome, where, and what was asked (for failures). */
export interface DeliveryJobData {
  v: 1;
  outcome: Outcome;
  target: ReplyTarget;
  /** Every requester of the run, named in the answer. */
  requesters: string[];
  request?: DiagnoseRequest;
}

/** What every post of an answer needs besides the outcome and the targets. */
export interface DeliverContext {
  request?: DiagnoseRequest;
  result?: StoredResult;
  log: Logger;
  metrics?: Metrics;
  /** Where an answer goes when Slack does not take it; without it the failure is only logged. */
  deliveries?: DeliveryQueue;
  /** Where the ticket calls of targets naming a ticket go, once a run has succeeded. */
  tickets?: TicketQueue;
}

/**
 * Sends an outcome to each target exactly once per diagnosis and thread: the `SET NX` guard
 * is taken before posting and released when the post fails, so another process (a retried
 * job, a late joiner, the delivery queue) can still answer. A post that fails for a transient
 * reason ({@link Replier.isTransient}) is added to the delivery queue. After the answers, each
 * target naming a ticket (`--ticket`) gets a ticket job, posted or not: the evidence does not
 * wait on Slack, nor the answer on the ticket.
 * @returns the answers this call posted: each target, and where its message is when it can be
 *   edited (for the narrative that follows)
 */
export async function deliver(
  store: ResultStore,
  replier: Replier,
  outcome: Outcome,
  targets: ReplyTarget[],
  context: DeliverContext,
): Promise<Delivered[]> {
  let result = context.result;
  if (outcome.ok && !result) result = (await store.loadResult(outcome.diagnosisId)) ?? undefined;
  const request = context.request ?? result?.request;
  const requesters = [...new Set(targets.map((t) => t.user))];
  const posted: Delivered[] = [];
  await Promise.all(
    targets.map(async (target) => {
      try {
        const once = await postOnce(
          store,
          replier,
          { outcome, target, requesters, request },
          result,
        );
        if (!once) {
          context.metrics?.answers.inc({ outcome: "duplicate" });
          return;
        }
        posted.push({ target, at: once.at });
        context.metrics?.answers.inc({ outcome: "posted" });
      } catch (err) {
        const where = { err, diagnosisId: outcome.diagnosisId, channel: target.channel };
        if (!context.deliveries || !(replier.isTransient?.(err) ?? true)) {
          context.log.error(where, "posting the answer failed");
          return;
        }
        try {
          await context.deliveries.add({ v: 1, outcome, target, requesters, request });
          context.metrics?.answers.inc({ outcome: "deferred" });
          context.log.warn(where, "posting the answer failed: queued for delivery with backoff");
        } catch (queueErr) {
          context.log.error(
            { ...where, queueErr: (queueErr as Error).message },
            "posting the answer failed, and so did queueing it for delivery",
          );
        }
      }
    }),
  );
  if (outcome.ok) await queueTickets(outcome.diagnosisId, targets, context);
  return posted;
}

/** An answer posted: where it went, and the message's place when it can be edited. */
export interface Delivered {
  target: ReplyTarget;
  at?: PostedAnswer;
}

/** One ticket job per target naming a ticket; a queue error is logged (the answer stands). */
async function queueTickets(
  diagnosisId: string,
  targets: ReplyTarget[],
  context: DeliverContext,
): Promise<void> {
  for (const target of targets) {
    if (!target.ticket) continue;
    const where = { diagnosisId, channel: target.channel, ticket: target.ticket };
    if (!context.tickets) {
      context.log.error(where, "a ticket was asked but this process queues no ticket jobs");
      continue;
    }
    try {
      await context.tickets.add(diagnosisId, { ...target, ticket: target.ticket });
      context.log.info(where, "ticket job queued");
    } catch (err) {
      context.log.error(
        { ...where, err: (err as Error).message },
        "queueing the ticket job failed",
      );
    }
  }
}

/**
 * Posts one answer unless it was already posted to that thread.
 * @returns false when another process had posted it, else where the answer message is
 * @throws what the replier threw (the guard is released first)
 */
async function postOnce(
  store: ResultStore,
  replier: Replier,
  { outcome, target, requesters, request }: Omit<DeliveryJobData, "v">,
  result: StoredResult | undefined,
): Promise<false | { at?: PostedAnswer }> {
  if (!(await store.claimPost(outcome.diagnosisId, target))) return false;
  try {
    if (outcome.ok && result) {
      const at = await replier.answer(target, result, requesters);
      // Follow-up questions in this thread are about this diagnosis from now on.
      await store.markThread(target, outcome.diagnosisId).catch(() => undefined);
      return { at };
    }
    if (request) {
      const error = outcome.ok
        ? "the result has expired from the store; run the diagnosis again"
        : outcome.error;
      await replier.failure(target, request, error, outcome.diagnosisId);
    }
    return {};
  } catch (err) {
    await store.releasePost(outcome.diagnosisId, target).catch(() => undefined);
    throw err;
  }
}

/**
 * The delivery queue's producer side: one job per answer and thread (its id is a hash of both,
 * so the same failed answer is never queued twice), tried `config.deliveryAttempts` times with
 * exponential backoff from `config.deliveryBackoffMs`.
 */
export class DeliveryQueue {
  private readonly queue: LazyQueue<DeliveryJobData>;

  constructor(redis: RedisClient, config: QueueConfig) {
    this.queue = new LazyQueue(DELIVERY_QUEUE, redis, config, {
      attempts: config.deliveryAttempts,
      backoff: { type: "exponential", delay: config.deliveryBackoffMs },
    });
  }

  async add(data: DeliveryJobData): Promise<void> {
    const identity = `${data.outcome.diagnosisId}\n${threadKey(data.target)}`;
    await this.queue.add("deliver", data, "dl", identity);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Delivery job data as read back from Redis. */
const DeliveryJobDataSchema = z.object({
  v: z.literal(1),
  outcome: z.union([
    z.object({ ok: z.literal(true), diagnosisId: z.string().regex(DIAGNOSIS_ID) }),
    z.object({
      ok: z.literal(false),
      diagnosisId: z.string().regex(DIAGNOSIS_ID),
      error: z.string().max(4000),
    }),
  ]),
  target: ReplyTargetSchema,
  requesters: z.array(z.string().max(64)).max(1000),
  request: DiagnoseRequestSchema.optional(),
});

/**
 * The delivery queue's worker, run by `diagbot worker` beside the diagnosis worker: posts each
 * answer once (the same posting guard as the first try), throws to be retried with backoff
 * while Slack stays down, and gives up at once on a permanent refusal. An answer that still
 * failed after the last try is logged as an error.
 */
export function startDeliveryWorker(
  config: QueueConfig,
  deps: {
    redis: RedisClient;
    store: ResultStore;
    replier: Replier;
    log: Logger;
    metrics?: Metrics;
  },
): Worker<DeliveryJobData> {
  const { store, replier, log, metrics } = deps;
  const worker = new Worker<DeliveryJobData>(
    DELIVERY_QUEUE,
    async (job: Job<DeliveryJobData>) => {
      const parsed = DeliveryJobDataSchema.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`malformed delivery job ${job.id}: ${parsed.error.message}`);
      const data = parsed.data as DeliveryJobData;
      const result = data.outcome.ok
        ? ((await store.loadResult(data.outcome.diagnosisId)) ?? undefined)
        : undefined;
      try {
        const posted = (await postOnce(store, replier, data, result)) !== false;
        metrics?.answers.inc({ outcome: posted ? "posted" : "duplicate" });
        log.info(
          { diagnosisId: data.outcome.diagnosisId, channel: data.target.channel, posted },
          posted ? "answer delivered after a failed post" : "answer had already been posted",
        );
      } catch (err) {
        if (replier.isTransient?.(err) ?? true) throw err;
        throw new UnrecoverableError((err as Error).message);
      }
    },
    { connection: deps.redis, prefix: config.prefix, concurrency: 4 },
  );
  worker.on("failed", (job, err) => {
    const last =
      err instanceof UnrecoverableError || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
    if (!job || !last) return;
    log.error(
      { diagnosisId: job.data.outcome?.diagnosisId, err: err.message, attempts: job.attemptsMade },
      "the answer could not be posted: delivery gave up",
    );
  });
  worker.on("error", (err) => log.error({ err: err.message }, "delivery worker error"));
  return worker;
}
