import { FlowProducer, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { HostConfig, Inventory } from "../inventory/inventory.js";
import { hostsOf } from "../inventory/inventory.js";
import type { DigestPoster, FindingTicketer } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import type { Logger } from "../observability/log.js";
import { connectRedis, type QueueConfig, type RedisClient } from "../queue/config.js";
import { ResultStore } from "../queue/store.js";
import { SWEEP_PRIORITY } from "../queue/sweep-priority.js";
import { holdSlots } from "../queue/worker.js";
import { redactText } from "../redact/index.js";
import type { Runbook } from "../runbooks/schema.js";
import type { SweepDefinition } from "./config.js";
import { sweepHost } from "./host.js";
import { finishRun } from "./run.js";
import { RedisStateStore } from "./state.js";
import { HOST_SLACK_MS } from "./sweep.js";
import type { HostResult } from "./types.js";

/**
 * Scheduled sweeps on BullMQ (DESIGN.md "Sweeps"):
 * - each sweep of sweeps.yaml is a **job scheduler** (`upsertJobScheduler`, id = the sweep's
 *   name) on the `sweeps` queue; BullMQ gives each iteration one job id, so any number of
 *   scheduler processes, restarted at any time, produce one run per tick; a scheduler whose
 *   sweep left the file is removed, with the sweep's state and mutes;
 * - a run job adds a **flow**: a `digest` parent (on `sweeps`) with one `host` child per host
 *   (on `sweep-hosts`, priority {@link SWEEP_PRIORITY}), all with ids derived from the run's, so
 *   a run handed to a second worker adds nothing twice;
 * - any process running {@link startSweepHostWorker} takes host jobs; a host job never fails
 *   for a host (unreachable is a result), and a worker killed mid-job loses nothing: BullMQ
 *   hands the stalled job to another worker; a child that fails for good is a `failed` host;
 * - the parent then computes what changed, saves the state and posts the digest ({@link finishRun}).
 * Host jobs run at most a sweep's `concurrency` at once for that sweep (a sorted set of places
 * in Redis), `max(concurrency)` across the fleet (BullMQ global concurrency),
 * `DIAGBOT_SWEEP_CONCURRENCY` per process, and one per host (the `sweep` slot of
 * the host in Redis; a job finding it taken waits `DIAGBOT_HOST_RETRY_MS` in the delayed set).
 */

export const SWEEP_RUNS_QUEUE = "sweeps";
export const SWEEP_HOSTS_QUEUE = "sweep-hosts";

/** Data of a scheduled run job: the sweep as the file defined it when it was scheduled. */
interface RunJobData {
  sweep: SweepDefinition;
}

/** Data of a run's parent job. */
interface DigestJobData {
  sweep: SweepDefinition;
  /** ISO 8601. */
  startedAt: string;
  /** The hosts swept, in the inventory's order. */
  hosts: string[];
  runId: string;
}

interface HostJobData {
  host: string;
  symptom: SweepDefinition["symptom"];
  /** The sweep's name and its `concurrency`: hosts of this sweep diagnosed at once. */
  sweep: string;
  concurrency: number;
}

/** What the sweep workers need, plugged in by main/. */
export interface SweepWorkerDeps {
  inventory: () => Promise<Inventory>;
  runbooks: readonly Runbook[];
  log: Logger;
  /** Sampling window of each host's diagnosis, seconds (default 5). */
  windowSeconds?: number;
  /**
   * Test hook (`DIAGBOT_TEST_HOOK=hold-sweep-host`): the first host job this process takes
   * holds forever, so that a test can kill the process in the middle of a sweep.
   */
  testHook?: string;
}

export interface SchedulerDeps extends SweepWorkerDeps {
  post: DigestPoster;
  /** Tickets for sweeps with a `ticket` (plugged in by main/); none: the option is idle. */
  ticketer?: FindingTicketer;
}

/** Characters BullMQ job ids may hold here (a `:` would split its keys). */
const idPart = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "~");

/** The job ids of a run's parent and of one host's child. */
export function runJobIds(runId: string) {
  return { digest: `run~${runId}`, host: (host: string) => `host~${runId}~${idPart(host)}` };
}

/**
 * Makes the job schedulers in Redis match `sweeps`: each upserted (a changed schedule or
 * definition replaces the old one), each one no longer in the file removed with its state.
 * @returns the names removed.
 */
export async function syncSchedulers(
  runs: Queue,
  hostsQueue: Queue,
  store: RedisStateStore,
  sweeps: readonly SweepDefinition[],
): Promise<string[]> {
  for (const sweep of sweeps) {
    const repeat =
      "cron" in sweep.schedule
        ? { pattern: sweep.schedule.cron, tz: sweep.schedule.timezone }
        : { every: sweep.schedule.everyMs };
    await runs.upsertJobScheduler(sweep.name, repeat, {
      name: "run",
      data: { sweep } satisfies RunJobData,
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }
  const names = new Set(sweeps.map((s) => s.name));
  const removed: string[] = [];
  for (const s of await runs.getJobSchedulers(0, -1)) {
    const id = s.key;
    if (names.has(id)) continue;
    await runs.removeJobScheduler(id);
    await store.forget(id);
    removed.push(id);
  }
  const widest = Math.max(1, ...sweeps.map((s) => s.concurrency));
  await hostsQueue.setGlobalConcurrency(widest);
  return removed;
}

/** A run job: the flow of this run (parent + one child per host). */
async function startRun(
  job: Job<RunJobData>,
  flow: FlowProducer,
  prefix: string,
  deps: SweepWorkerDeps,
): Promise<number> {
  const { sweep } = job.data;
  let hosts: HostConfig[];
  try {
    hosts = hostsOf(await deps.inventory(), sweep.hosts);
  } catch (err) {
    const text = err instanceof DiagbotError ? err.describe() : (err as Error).message;
    deps.log.error({ sweep: sweep.name, err: text }, "sweep hosts not found: run skipped");
    throw new UnrecoverableError(text);
  }
  const runId = `${idPart(sweep.name)}~${idPart(job.id ?? String(job.timestamp))}`;
  const ids = runJobIds(runId);
  await flow.add({
    name: "digest",
    queueName: SWEEP_RUNS_QUEUE,
    prefix,
    data: {
      sweep,
      startedAt: new Date().toISOString(),
      hosts: hosts.map((h) => h.name),
      runId,
    } satisfies DigestJobData,
    opts: { jobId: ids.digest, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    children: hosts.map((h) => ({
      name: "host",
      queueName: SWEEP_HOSTS_QUEUE,
      prefix,
      data: {
        host: h.name,
        symptom: sweep.symptom,
        sweep: sweep.name,
        concurrency: sweep.concurrency,
      } satisfies HostJobData,
      opts: {
        jobId: ids.host(h.name),
        priority: SWEEP_PRIORITY,
        attempts: 2,
        ignoreDependencyOnFailure: true,
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 24 * 3600 },
      },
    })),
  });
  return hosts.length;
}

/** A run's parent: every host's result (a child that failed for good is a `failed` host). */
async function digestRun(
  job: Job<DigestJobData>,
  store: RedisStateStore,
  deps: SchedulerDeps,
): Promise<{ posted: boolean; changed: boolean } | { skipped: true }> {
  const { sweep, startedAt, hosts, runId } = job.data;
  const results = new Map<string, HostResult>();
  for (const value of Object.values(await job.getChildrenValues<HostResult>()))
    if (value && typeof value.host === "string") results.set(value.host, value);
  const failures = await job.getIgnoredChildrenFailures();
  const ids = runJobIds(runId);
  const reasonOf = (host: string) =>
    Object.entries(failures).find(([k]) => k.endsWith(`:${ids.host(host)}`))?.[1];
  const all = hosts.map(
    (host): HostResult =>
      results.get(host) ?? {
        host,
        status: "failed",
        findings: [],
        durationMs: 0,
        error: redactText(`its sweep job failed: ${reasonOf(host) ?? "no result"}`).text,
      },
  );
  const done = await finishRun(
    sweep,
    { startedAt, hosts: all },
    { store, post: deps.post, ticketer: deps.ticketer },
  );
  if (!done) return { skipped: true };
  if (done.digest.stateUnreadable !== undefined)
    deps.log.warn(
      { sweep: sweep.name, runId, err: done.digest.stateUnreadable },
      "sweep state was unreadable: this run counted as the first, every finding shown as new",
    );
  for (const failure of done.ticketFailures ?? [])
    deps.log.error(
      { sweep: sweep.name, runId, err: failure },
      "sweep incident not updated; tried again next run",
    );
  deps.log.info(
    { sweep: sweep.name, runId, changed: done.digest.changed, posted: Boolean(done.posted) },
    "sweep run done",
  );
  return { posted: Boolean(done.posted), changed: done.digest.changed };
}

/**
 * A worker for sweep host jobs: each host diagnosed as `diagbot sweep` does ({@link sweepHost},
 * which never throws), `concurrency` at once in this process.
 */
export function startSweepHostWorker(
  config: QueueConfig,
  deps: SweepWorkerDeps,
  concurrency: number,
): Worker<HostJobData, HostResult> {
  const windowSeconds = deps.windowSeconds ?? 5;
  // One connection for the slots and the worker's own commands, closed with the worker (BullMQ
  // closes only the blocking connection it made itself).
  const redis = workerConnection(config, "diagbot-sweep-hosts");
  const slots = new ResultStore(redis, config.prefix, {
    ttlSeconds: config.resultTtlSeconds,
    maxBytes: config.resultMaxBytes,
  });
  let held = false;
  const worker = new Worker<HostJobData, HostResult>(
    SWEEP_HOSTS_QUEUE,
    async (job, token, signal) => {
      if (deps.testHook === "hold-sweep-host" && !held) {
        held = true;
        process.stderr.write(`diagbot-test-hook: held ${job.id}\n`);
        await new Promise<void>(() => undefined);
      }
      const host = (await deps.inventory()).hosts.get(job.data.host);
      if (!host) {
        return {
          host: job.data.host,
          status: "failed",
          findings: [],
          durationMs: 0,
          error: "no longer in the inventory",
        };
      }
      // At most `concurrency` hosts of this sweep at once, and one sweep diagnosis per host.
      const release = await holdSlots(
        { store: slots, job, token, retryMs: config.slotRetryMs, log: deps.log },
        [
          { kind: "sweep-run", name: job.data.sweep, cap: job.data.concurrency },
          { kind: "sweep", name: host.name, cap: 1 },
        ],
      );
      try {
        return await sweepHost(host, {
          symptom: job.data.symptom,
          windowSeconds,
          runbooks: deps.runbooks,
          connectTimeoutMs: 10_000,
          hostTimeoutMs: windowSeconds * 1000 + HOST_SLACK_MS,
          signal,
        });
      } finally {
        await release();
      }
    },
    {
      connection: redis,
      prefix: config.prefix,
      concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    },
  );
  worker.on("error", (err) => deps.log.warn({ err: err.message }, "sweep host worker error"));
  worker.on("closed", () => redis.disconnect());
  return worker;
}

/** How long `close()` lets the jobs in hand finish, ms. */
const CLOSE_GRACE_MS = 10_000;

/**
 * A worker's own Redis connection. Its errors reach the worker's `error` event, logged there;
 * without a listener of its own, ioredis would print each reconnect's stack trace.
 */
function workerConnection(config: QueueConfig, name: string): RedisClient {
  const connection = connectRedis(config, "worker", name);
  connection.on("error", () => undefined);
  return connection;
}

export interface SchedulerHandle {
  /**
   * Resolves, once Redis answers, with the names of sweeps removed from Redis (no longer in
   * the file); rejects when the job schedulers could not be written.
   */
  synced: Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The scheduler of `diagbot serve` and `diagbot scheduler`: syncs the job schedulers with
 * `sweeps` (in the background: a Redis that is down delays it, never the caller), and runs the
 * run and digest jobs, and host jobs (`config.sweepConcurrency` at once).
 */
export function startScheduler(
  config: QueueConfig,
  sweeps: readonly SweepDefinition[],
  deps: SchedulerDeps,
): SchedulerHandle {
  const redis: RedisClient = connectRedis(config, "worker", "diagbot-scheduler");
  redis.on("error", (err) => deps.log.warn({ err: err.message }, "redis connection error"));
  const runs = new Queue(SWEEP_RUNS_QUEUE, { connection: redis, prefix: config.prefix });
  const hostsQueue = new Queue(SWEEP_HOSTS_QUEUE, { connection: redis, prefix: config.prefix });
  const store = new RedisStateStore(redis, config.prefix);
  const synced = syncSchedulers(runs, hostsQueue, store, sweeps);
  synced.catch(() => undefined);
  const flow = new FlowProducer({ connection: redis, prefix: config.prefix });
  // Their connection's errors are logged above once each; BullMQ re-emits them on every queue,
  // and prints the stack of one that nobody listens to.
  runs.on("error", () => undefined);
  hostsQueue.on("error", () => undefined);
  flow.on("error", () => undefined);
  const runConnection = workerConnection(config, "diagbot-sweep-runs");
  const runWorker = new Worker<RunJobData | DigestJobData>(
    SWEEP_RUNS_QUEUE,
    async (job) =>
      job.name === "digest"
        ? digestRun(job as Job<DigestJobData>, store, deps)
        : startRun(job as Job<RunJobData>, flow, config.prefix, deps),
    {
      connection: runConnection,
      prefix: config.prefix,
      concurrency: 4,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    },
  );
  runWorker.on("error", (err) => deps.log.warn({ err: err.message }, "sweep run worker error"));
  // A digest Slack refused (the bot not in the channel, a bad token) leaves the state as it was:
  // the next run posts the same changes. Said here, since no person is waiting for this job.
  runWorker.on("failed", (job, err) =>
    deps.log.error(
      { sweep: job?.data.sweep.name, job: job?.name, err: redactText(err.message).text },
      job?.name === "digest" ? "sweep digest not posted" : "sweep run not started",
    ),
  );
  const hostWorker = startSweepHostWorker(config, deps, config.sweepConcurrency);
  return {
    synced,
    async close() {
      // Jobs in hand may finish for CLOSE_GRACE_MS (none can while Redis is away); past it their
      // connections are cut, and what was left is taken again, as stalled, by another scheduler
      // or the next start.
      const grace = redis.status === "ready" ? CLOSE_GRACE_MS : 0;
      const graceful = Promise.all([runWorker.close(), hostWorker.close()]);
      const late = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), grace).unref()),
      ]);
      if (late) {
        if (grace > 0) deps.log.warn({ graceMs: grace }, "sweep jobs still running: stopping them");
        // Not awaited: BullMQ waits for a connection Redis never gave while it is away.
        void Promise.all([runWorker.disconnect(), hostWorker.disconnect()]).catch(() => undefined);
      } else await Promise.all([flow.close(), runs.close(), hostsQueue.close()]);
      runConnection.disconnect();
      redis.disconnect();
    },
  };
}
