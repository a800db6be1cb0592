import { createHash } from "node:crypto";
import { Queue } from "bullmq";
import { z } from "zod";
import type { ReplyTarget } from "../model/answer.js";
import type { QueueConfig, RedisClient } from "./config.js";
import { DIAGNOSIS_ID, ReplyTargetSchema, threadKey } from "./types.js";

/**
 * The BullMQ queue of ticket calls (`tickets`): one job puts a finished diagnosis's evidence on
 * the ticket one requester named (`target.ticket`), after the answer is posted, so the answer
 * never waits for a ticket system. Its worker is the tickets door's (src/tickets/worker.ts),
 * run by `diagbot worker`; this side only adds jobs.
 */
export const TICKETS_QUEUE = "tickets";

export interface TicketJobData {
  v: 1;
  diagnosisId: string;
  /** The requester's target; `ticket` is set. Failures and the ticket's link are said there. */
  target: ReplyTarget & { ticket: string };
}

/** Ticket job data as read back from Redis. */
export const TicketJobDataSchema = z.object({
  v: z.literal(1),
  diagnosisId: z.string().regex(DIAGNOSIS_ID),
  target: ReplyTargetSchema.refine((t) => t.ticket !== undefined, "no ticket"),
});

/**
 * The producer side: one job per diagnosis, ticket and thread (the job id hashes the three, so
 * an answer posted twice queues one ticket call), tried `config.ticketAttempts` times with the
 * worker's backoff (the wait the ticket system asked).
 */
export class TicketQueue {
  private queue: Queue<TicketJobData> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly config: QueueConfig,
  ) {}

  async add(diagnosisId: string, target: ReplyTarget & { ticket: string }): Promise<void> {
    const jobId = `tk-${createHash("sha256")
      .update(`${diagnosisId}\n${target.ticket}\n${threadKey(target)}`)
      .digest("hex")
      .slice(0, 32)}`;
    await this.open().add("ticket", { v: 1, diagnosisId, target }, { jobId });
  }

  /** The BullMQ queue, created on first use. */
  private open(): Queue<TicketJobData> {
    if (this.queue) return this.queue;
    this.queue = new Queue<TicketJobData>(TICKETS_QUEUE, {
      connection: this.redis,
      prefix: this.config.prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: this.config.ticketAttempts,
        backoff: { type: "ticket" },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
      },
    });
    this.queue.on("error", () => undefined);
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }
}
