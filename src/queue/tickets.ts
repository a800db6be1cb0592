import { z } from "zod";
import type { ReplyTarget } from "../model/answer.js";
import type { QueueConfig, RedisClient } from "./config.js";
import { LazyQueue } from "./lazy-queue.js";
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
  private readonly queue: LazyQueue<TicketJobData>;

  constructor(redis: RedisClient, config: QueueConfig) {
    this.queue = new LazyQueue(TICKETS_QUEUE, redis, config, {
      attempts: config.ticketAttempts,
      backoff: { type: "ticket" },
    });
  }

  async add(diagnosisId: string, target: ReplyTarget & { ticket: string }): Promise<void> {
    const identity = `${diagnosisId}\n${target.ticket}\n${threadKey(target)}`;
    await this.queue.add("ticket", { v: 1, diagnosisId, target }, "tk", identity);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
