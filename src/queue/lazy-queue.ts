import { createHash } from "node:crypto";
import { type DefaultJobOptions, Queue } from "bullmq";
import type { QueueConfig, RedisClient } from "./config.js";

/**
 * The producer side of a follow-up queue (answers to deliver again, ticket calls): the BullMQ
 * queue is created on first use, since most processes never add to it, and each job's id is a
 * hash of what makes it unique, so the same work is never queued twice.
 */
export class LazyQueue<T> {
  private queue: Queue<T> | undefined;

  /**
   * @param name the BullMQ queue name
   * @param jobOptions attempts and backoff; completed jobs are kept a day, failed ones a week
   */
  constructor(
    private readonly name: string,
    private readonly redis: RedisClient,
    private readonly config: Pick<QueueConfig, "prefix">,
    private readonly jobOptions: Pick<DefaultJobOptions, "attempts" | "backoff">,
  ) {}

  /** Adds `data` as job `<idPrefix>-<first 32 hex of sha256(identity)>` (a no-op when queued). */
  async add(jobName: string, data: T, idPrefix: string, identity: string): Promise<void> {
    const jobId = `${idPrefix}-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}`;
    // BullMQ's typings tie a job's name to its data type; one name per queue here.
    await (this.open() as Queue).add(jobName, data, { jobId });
  }

  private open(): Queue<T> {
    if (this.queue) return this.queue;
    this.queue = new Queue<T>(this.name, {
      connection: this.redis,
      prefix: this.config.prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        ...this.jobOptions,
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
