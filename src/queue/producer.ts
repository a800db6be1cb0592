import { Queue } from "bullmq";
import type { Outcome, ReplyTarget } from "../model/answer.js";
import type { DiagnoseRequest } from "../model/request.js";
import {
  connectRedis,
  QUEUE_NAME,
  type QueueConfig,
  queueUnavailable,
  type RedisClient,
  redisUrlForDisplay,
} from "./config.js";
import { DeliveryQueue } from "./deliver.js";
import { RequestLimits } from "./limits.js";
import { jobPriority, type PriorityBand } from "./priority.js";
import { ResultStore } from "./store.js";
import { TicketQueue } from "./tickets.js";
import { type DiagnoseJobData, newDiagnosisId, requestKey } from "./types.js";

/** What {@link DiagnosisProducer.submit} did with a request. */
export interface Submitted {
  jobId: string;
  /** Set when the run this request joined had already finished: deliver this outcome. */
  finished?: Outcome;
  /** Reply targets of the run so far, this one included (1 = a new run). */
  joined: number;
  /** The requester's own jobs queued and not started before this one (0 when it joined a run). */
  queuedAhead: number;
  /** The BullMQ priority the job got (lower runs first; see priority.ts). */
  priority: number;
}

/**
 * The producer side of the queue (used by `diagbot serve`): adds typed jobs, coalescing
 * identical requests (BullMQ deduplication with a TTL, plus a set of reply targets per job).
 * Its Redis client fails fast: when Redis is down, `submit` rejects at once with a
 * "queue unavailable" error instead of waiting, and it reconnects in the background.
 */
export class DiagnosisProducer {
  readonly redis: RedisClient;
  readonly store: ResultStore;
  /** Answers that Slack did not take, posted again by the workers with backoff. */
  readonly deliveries: DeliveryQueue;
  /** Ticket jobs of a request that joined a run already answered. */
  readonly tickets: TicketQueue;
  /** Per-person and per-channel request rate limits, checked before a request is acknowledged. */
  readonly limits: RequestLimits;
  private queueInstance: Queue<DiagnoseJobData> | undefined;

  constructor(
    readonly config: QueueConfig,
    redis?: RedisClient,
  ) {
    this.redis = redis ?? connectRedis(config, "producer");
    this.redis.on("error", () => undefined);
    this.store = new ResultStore(this.redis, config.prefix, {
      ttlSeconds: config.resultTtlSeconds,
      maxBytes: config.resultMaxBytes,
    });
    this.deliveries = new DeliveryQueue(this.redis, config);
    this.tickets = new TicketQueue(this.redis, config);
    this.limits = new RequestLimits(this.redis, config);
  }

  /**
   * The BullMQ queue, created on first use once Redis answers (BullMQ reads the server's
   * version when a queue is created, which a fail-fast client cannot do while disconnected).
   */
  get queue(): Queue<DiagnoseJobData> {
    if (!this.queueInstance) {
      this.queueInstance = new Queue<DiagnoseJobData>(QUEUE_NAME, {
        connection: this.redis,
        prefix: this.config.prefix,
        skipWaitingForReady: true,
        defaultJobOptions: {
          attempts: this.config.attempts,
          backoff: { type: "exponential", delay: this.config.backoffMs },
          removeOnComplete: { age: 24 * 3600, count: 1000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
        },
      });
      this.queueInstance.on("error", () => undefined);
    }
    return this.queueInstance;
  }

  /** True while the Redis connection is up: requests can be queued. */
  get ready(): boolean {
    return this.redis.status === "ready";
  }

  /**
   * Queues a request for `target`, or joins an identical one queued or running. The job's
   * priority comes from `band` and the requester's own queued jobs ({@link jobPriority}); the
   * target is kept in the job data too, as the first requester's.
   * @throws DiagbotError `connect-failed` ("queue unavailable") when Redis does not answer.
   */
  async submit(
    request: DiagnoseRequest,
    requestedBy: string,
    target: ReplyTarget,
    band: PriorityBand = "interactive",
  ): Promise<Submitted> {
    if (!this.ready)
      throw queueUnavailable(`not connected to ${redisUrlForDisplay(this.config.redisUrl)}`);
    const key = requestKey(request);
    const data: DiagnoseJobData = {
      v: 1,
      diagnosisId: newDiagnosisId(),
      request,
      key,
      requestedBy,
      requestedAt: Date.now(),
      replyTo: target,
    };
    const ms = this.config.connectTimeoutMs * 2;
    try {
      // Counted as queued before it can start, so a worker's start always comes after.
      const queuedAhead = await withTimeout(
        this.store.markQueued(requestedBy, data.diagnosisId),
        ms,
      );
      const priority = jobPriority(band, queuedAhead);
      const job = await withTimeout(
        this.queue.add("diagnose", data, {
          priority,
          deduplication: { id: key, ttl: Math.max(1, this.config.coalesceMs) },
        }),
        ms,
      ).catch(async (err) => {
        await this.store.markStarted(requestedBy, data.diagnosisId).catch(() => undefined);
        throw err;
      });
      const jobId = job.id!;
      const finished = await withTimeout(this.store.attach(jobId, target), ms);
      const joined = finished ? 0 : await this.redis.scard(this.store.targetsKey(jobId));
      // BullMQ hands back the id of the run it deduplicated into: the first target makes a new run.
      const fresh = joined === 1;
      if (!fresh) await withTimeout(this.store.markStarted(requestedBy, data.diagnosisId), ms);
      return {
        jobId,
        finished: finished ?? undefined,
        joined,
        queuedAhead: fresh ? queuedAhead : 0,
        priority,
      };
    } catch (err) {
      if ((err as { code?: string }).code === "connect-failed") throw err;
      throw queueUnavailable((err as Error).message, err);
    }
  }

  /**
   * Ends a job that no worker has taken within `config.unclaimedMs` (no worker running, or all
   * of them stuck): removes it from the queue and records a failed outcome, whose targets are
   * returned for the caller to answer. Returns null when the job was taken (or is waiting for a
   * retry or a slot), which is the normal case.
   */
  async endIfUnclaimed(
    jobId: string,
  ): Promise<{ targets: ReplyTarget[]; outcome: Outcome; request: DiagnoseRequest } | null> {
    const job = await this.queue.getJob(jobId);
    if (!job) return null;
    // A job a worker has taken and put back (its requester's or channel's slots were full) is
    // claimed: it waits for its turn, it is not stranded.
    if (job.processedOn) return null;
    const state = await job.getState();
    if (state !== "waiting" && state !== "prioritized") return null;
    try {
      await job.remove();
    } catch {
      return null;
    }
    await this.queue.removeDeduplicationKey(job.data.key).catch(() => undefined);
    await this.store.markStarted(job.data.requestedBy, job.data.diagnosisId).catch(() => undefined);
    const seconds = Math.round(this.config.unclaimedMs / 1000);
    const outcome: Outcome = {
      ok: false,
      diagnosisId: job.data.diagnosisId,
      error: `no worker took this diagnosis within ${seconds} s (none is running, or all are busy): check that \`diagbot worker\` runs and reaches Redis`,
    };
    const targets = await this.store.close(jobId, outcome);
    return { targets, outcome, request: job.data.request };
  }

  async close(): Promise<void> {
    await this.queueInstance?.close().catch(() => undefined);
    await this.deliveries.close();
    await this.tickets.close();
    this.redis.disconnect();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(queueUnavailable(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
