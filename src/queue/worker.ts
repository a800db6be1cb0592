import { createHash } from "node:crypto";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Replier, ReplyTarget, StoredResult } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import type { Progress } from "../model/progress.js";
import type { NarrativeConfig } from "../narrative/index.js";
import {
  type AuditCommand,
  type Auditor,
  auditor,
  requestAuditFields,
} from "../observability/audit.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import { redactDeep, redactText } from "../redact/index.js";
import { redactedBundle } from "./bundle.js";
import {
  auditStreamOf,
  connectRedis,
  QUEUE_NAME,
  type QueueConfig,
  type RedisClient,
} from "./config.js";
import { type DeliveryJobData, DeliveryQueue, deliver, startDeliveryWorker } from "./deliver.js";
import type { Engine, PastedPieces } from "./engine.js";
import { NarrativeRuns } from "./narrate.js";
import { ProgressThrottle } from "./progress.js";
import { PASTED_TTL_SECONDS, ResultStore, type SlotKind } from "./store.js";
import { TicketQueue } from "./tickets.js";
import { type DiagnoseJobData, type DiagnoseJobResult, invalidJobData } from "./types.js";

/**
 * `diagbot worker`: BullMQ workers running the engine. Any number of them, on any number of
 * machines, share one Redis. For each job: take its slots (one of its requester's and of its
 * channel's concurrency caps, and the host's intrusive slot when the job is deep; else wait for
 * them), run the engine with a deadline, redact, store the result, answer every requester once.
 * Retryable failures (SSH connect) go back to the queue with backoff; unrecoverable ones
 * (unknown host, auth or host key refused) fail at once with a message. Answers that Slack does
 * not take go to the delivery queue, whose worker runs beside this one.
 */
export interface WorkerDeps {
  engine: Engine;
  replier: Replier;
  log: Logger;
  metrics?: Metrics;
  /** The LLM narrative's settings (narrative/config.ts); absent: no narrative. */
  narrative?: NarrativeConfig;
  /** Progress edits at most this often, ms (default 3000: see ProgressThrottle). */
  progressIntervalMs?: number;
  /**
   * Test hook (`DIAGBOT_TEST_HOOK=hold-mid-diagnosis`): after the first progress event the job
   * holds forever, so that a test can kill the process mid-diagnosis.
   */
  testHook?: string;
}

export interface WorkerHandle {
  worker: Worker<DiagnoseJobData, DiagnoseJobResult>;
  /** Posts answers that failed again, with backoff (the `deliver` queue). */
  deliveryWorker: Worker<DeliveryJobData>;
  store: ResultStore;
  redis: RedisClient;
  close(): Promise<void>;
}

/**
 * Turns an engine error into BullMQ's control flow: UnrecoverableError, or a plain Error to retry,
 * as the error code's entry in ERROR_CODES says.
 */
export function classify(err: unknown): Error {
  if (err instanceof UnrecoverableError || err instanceof DelayedError) return err;
  if (err instanceof DiagbotError) {
    // This text is stored and posted to Slack: the public form, local key paths cut.
    const text = err.publicHint ? `${err.publicMessage} (${err.publicHint})` : err.publicMessage;
    return err.unrecoverable ? new UnrecoverableError(text) : new Error(text);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** What one job's steps share. */
interface JobScope {
  config: QueueConfig;
  deps: WorkerDeps;
  store: ResultStore;
  deliveries: DeliveryQueue;
  tickets: TicketQueue;
  job: Job<DiagnoseJobData, DiagnoseJobResult>;
  jlog: Logger;
  audit: Auditor;
  narratives: NarrativeRuns;
}

export function startWorker(config: QueueConfig, deps: WorkerDeps): WorkerHandle {
  const redis = connectRedis(config, "worker");
  redis.on("error", (err) => deps.log.warn({ err: err.message }, "redis connection error"));
  const store = new ResultStore(redis, config.prefix, {
    ttlSeconds: config.resultTtlSeconds,
    maxBytes: config.resultMaxBytes,
  });
  const deliveries = new DeliveryQueue(redis, config);
  const tickets = new TicketQueue(redis, config);
  const audit = auditor(deps.log, auditStreamOf(redis, config));
  const narratives = new NarrativeRuns(deps.narrative, { store, ...deps });
  const shared = { config, deps, store, deliveries, tickets, audit, narratives };
  const processor = (
    job: Job<DiagnoseJobData, DiagnoseJobResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<DiagnoseJobResult> => runJob({ ...shared, job, jlog: deps.log }, token, signal);

  const worker = new Worker<DiagnoseJobData, DiagnoseJobResult>(QUEUE_NAME, processor, {
    connection: redis,
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    name: `diagbot-worker-${process.pid}`,
  });
  worker.on("failed", (job, err) => {
    if (!job) return;
    void reportFailed({ ...shared, job, jlog: deps.log }, err).catch((e) =>
      deps.log.error({ err: (e as Error).message }, "reporting a failed job failed"),
    );
  });
  worker.on("error", (err) => deps.log.error({ err: err.message }, "worker error"));
  const deliveryWorker = startDeliveryWorker(config, { redis, store, ...deps });

  return {
    worker,
    deliveryWorker,
    store,
    redis,
    close: async () => {
      await Promise.all([worker.close(), deliveryWorker.close()]);
      await narratives.drain();
      await deliveries.close();
      await tickets.close();
      redis.disconnect();
    },
  };
}

/**
 * One job: checks its data, takes the host's intrusive slot when deep (else goes back to the
 * delayed set), runs the engine with a deadline, stores and answers.
 */
async function runJob(
  scope: JobScope,
  token: string | undefined,
  signal: AbortSignal | undefined,
): Promise<DiagnoseJobResult> {
  const { job, config, deps } = scope;
  const invalid = invalidJobData(job.data);
  if (invalid) throw new UnrecoverableError(`malformed job ${job.id}: ${invalid}`);
  const { request } = job.data;
  const jlog = deps.log.child({
    jobId: job.id,
    diagnosisId: job.data.diagnosisId,
    host: request.host,
    symptom: request.symptom,
    deep: request.deep,
  });
  const release = await holdSlots(
    { store: scope.store, job, token, retryMs: config.slotRetryMs, log: jlog },
    slotsOf(config, job.data),
  );
  await scope.store.markStarted(job.data.requestedBy, job.data.diagnosisId).catch(() => undefined);

  const deadlineMs = config.jobDeadlineMs + request.windowSeconds * 1000;
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = setTimeout(() => abort.abort(new Error("deadline")), deadlineMs);
  const throttle = progressThrottle({ ...scope, jlog });
  try {
    jlog.info({ attempt: job.attemptsMade + 1 }, "diagnosis started");
    const timedOut = new Promise<never>((_, reject) =>
      abort.signal.addEventListener("abort", () =>
        reject(
          new UnrecoverableError(
            `the diagnosis did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped`,
          ),
        ),
      ),
    );
    let held: Promise<void> | undefined;
    const onProgress = (progress: Progress) => {
      throttle.update(progress);
      if (deps.testHook === "hold-mid-diagnosis" && !held) {
        process.stderr.write(`diagbot-test-hook: held ${job.id}\n`);
        held = new Promise<void>(() => undefined);
      }
    };
    const pasted = request.evidence ? await loadPasted(scope.store, request.evidence) : undefined;
    const answer = await Promise.race([
      deps.engine(request, { signal: abort.signal, onProgress, pasted }),
      timedOut,
    ]);
    if (held) await held;
    await throttle.stop();
    return await storeAndAnswer({ ...scope, jlog }, answer);
  } catch (err) {
    await throttle.stop();
    if (err instanceof DiagbotError)
      jlog.warn({ err: err.describe(), code: err.code }, "engine error");
    throw classify(err);
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
    await release();
  }
}

/**
 * The pieces of a request for pasted evidence.
 * @throws DiagbotError `bundle` once they have expired from the store
 */
async function loadPasted(store: ResultStore, id: string): Promise<PastedPieces> {
  const pieces = await store.loadPasted(id);
  if (pieces) return pieces;
  throw new DiagbotError(
    "bundle",
    `the pasted evidence has expired from the queue's store (kept ${PASTED_TTL_SECONDS / 60} minutes)`,
    { hint: "ask again: Diagnose this output on the message, or /diagnose paste" },
  );
}

/** How long a slot is leased between renewals, ms: a dead worker's slots free themselves. */
const SLOT_LEASE_MS = 30_000;

/** One slot a job needs: `cap` places of `kind`/`name` (`setting` names the cap's variable). */
export interface SlotNeed {
  kind: SlotKind;
  name: string;
  cap: number;
  setting?: string;
}

/** The slots a job needs: its requester's, its channel's (caps from the config), its host's when deep. */
function slotsOf(config: QueueConfig, data: DiagnoseJobData): SlotNeed[] {
  const slots: SlotNeed[] = [];
  if (config.userConcurrency > 0)
    slots.push({
      kind: "user",
      name: data.requestedBy,
      cap: config.userConcurrency,
      setting: "DIAGBOT_USER_CONCURRENCY",
    });
  if (config.channelConcurrency > 0 && data.replyTo?.channel)
    slots.push({
      kind: "channel",
      name: data.replyTo.channel,
      cap: config.channelConcurrency,
      setting: "DIAGBOT_CHANNEL_CONCURRENCY",
    });
  if (data.request.deep) slots.push({ kind: "intrusive", name: data.request.host, cap: 1 });
  return slots;
}

/**
 * Takes every slot of `needs` for the job, renewed while held (leases in Redis, so a dead
 * worker's slots free themselves; the same job re-run after a crash takes its own back at once).
 * Diagnoses hold their requester's, their channel's and, when deep, their host's slots; sweep
 * host jobs their host's `sweep` slot and a `sweep-run` place of their sweep.
 * @returns the release function
 * @throws DelayedError after moving the job back to the delayed set (it keeps its priority), to
 *   look again after `retryMs`, when a slot is full; the slots taken so far are released
 */
export async function holdSlots(
  at: { store: ResultStore; job: Job; token: string | undefined; retryMs: number; log: Logger },
  needs: readonly SlotNeed[],
): Promise<() => Promise<void>> {
  const { store, job, log } = at;
  const jobId = job.id!;
  const held: SlotNeed[] = [];
  const releaseAll = async () => {
    await Promise.all(
      held.map((s) => store.releaseSlot(s.kind, s.name, jobId).catch(() => undefined)),
    );
  };
  for (const slot of needs) {
    if (await store.takeSlot(slot.kind, slot.name, jobId, slot.cap, SLOT_LEASE_MS)) {
      held.push(slot);
      continue;
    }
    await releaseAll();
    log.debug(
      { slot: slot.kind, name: slot.name, cap: slot.cap, setting: slot.setting },
      `every ${slot.kind} slot of ${slot.name} (${slot.cap}) is held: waiting`,
    );
    await job.moveToDelayed(Date.now() + at.retryMs, at.token);
    throw new DelayedError();
  }
  const renew = setInterval(() => {
    for (const s of held)
      void store.renewSlot(s.kind, s.name, jobId, SLOT_LEASE_MS).catch(() => undefined);
  }, SLOT_LEASE_MS / 3);
  return async () => {
    clearInterval(renew);
    await releaseAll();
  };
}

/**
 * The job's reply targets: the Redis set, or when it is gone (Redis restarted without
 * persistence while the diagnosis ran) the first requester's target kept in the job data.
 */
function targetsOrFirst(scope: JobScope, targets: ReplyTarget[]): ReplyTarget[] {
  const { replyTo } = scope.job.data;
  if (targets.length > 0 || !replyTo) return targets;
  scope.jlog.warn(
    { channel: replyTo.channel, user: replyTo.user },
    "the job's reply targets are gone from Redis (restarted without persistence?): answering the first requester",
  );
  return [replyTo];
}

/** Progress edits of every requester's root message, at most every `progressIntervalMs`. */
function progressThrottle(scope: JobScope): ProgressThrottle {
  const { job, store, deps, jlog } = scope;
  return new ProgressThrottle(deps.progressIntervalMs ?? 3000, async (progress) => {
    const stored = await store.targets(job.id!);
    const targets = stored.length > 0 || !job.data.replyTo ? stored : [job.data.replyTo];
    await Promise.all(
      targets.map((t) =>
        deps.replier
          .progress(t, job.data.request, progress)
          .catch((err) => jlog.warn({ err: (err as Error).message }, "progress edit failed")),
      ),
    );
    const { done, total, phase } = progress;
    await job.updateProgress({ done, total, phase }).catch(() => undefined);
  });
}

/** Redacts the report and the bundle, stores them, and answers every requester once. */
async function storeAndAnswer(
  scope: JobScope,
  { report, outputs }: Awaited<ReturnType<Engine>>,
): Promise<DiagnoseJobResult> {
  const { job, store, deps, jlog } = scope;
  const data = job.data;
  const { request } = data;
  const red = redactDeep(report);
  const bundle = redactedBundle(
    {
      host: report.host,
      startedAt: report.startedAt,
      symptom: report.symptom,
      windowSeconds: request.windowSeconds,
    },
    outputs,
  );
  const redactions = red.count + bundle.redactions;
  if (redactions > 0)
    red.value.notes.push(
      `${redactions} secret${redactions === 1 ? "" : "s"} redacted (tokens, keys, passwords)`,
    );
  const result: StoredResult = await store.saveResult(
    {
      diagnosisId: data.diagnosisId,
      request,
      requestedBy: data.requestedBy,
      requestedAt: data.requestedAt,
      finishedAt: Date.now(),
      report: red.value,
      redactions,
      bundle: true,
    },
    bundle,
  );
  const top = result.report.hypotheses[0];
  await store.pushRecent({
    diagnosisId: data.diagnosisId,
    host: request.host,
    symptom: request.symptom,
    requestedBy: data.requestedBy,
    finishedAt: result.finishedAt,
    category: top?.category,
    title: top?.title,
    confidence: top?.confidence,
  });
  // New identical requests start a fresh run from here on; those that joined meanwhile are
  // in the target set and get this answer.
  await job.removeDeduplicationKey().catch(() => undefined);
  const targets = targetsOrFirst(
    scope,
    await store.close(job.id!, { ok: true, diagnosisId: data.diagnosisId }),
  );
  scope.audit("answered", {
    ...runAuditFields(job, targets),
    decision: "answered",
    category: top?.category,
    commands: outputs.map(
      (o): AuditCommand => ({
        collector: o.id,
        command: o.command,
        status: o.status,
        exitCode: o.exitCode,
        durationMs: o.durationMs,
      }),
    ),
    bundleSha256: createHash("sha256").update(bundle.files["bundle.json"]).digest("hex"),
  });
  const posted = await deliver(
    store,
    deps.replier,
    { ok: true, diagnosisId: data.diagnosisId },
    targets,
    {
      result,
      log: jlog,
      metrics: deps.metrics,
      deliveries: scope.deliveries,
      tickets: scope.tickets,
    },
  );
  scope.narratives.start(result, posted, jlog);
  deps.metrics?.answerSeconds.observe(
    { symptom: request.symptom },
    (Date.now() - data.requestedAt) / 1000,
  );
  deps.metrics?.jobs.inc({ outcome: "ok" });
  jlog.info(
    {
      category: top?.category ?? null,
      targets: targets.length,
      posted: posted.length,
      redactions,
    },
    "diagnosis answered",
  );
  return { diagnosisId: data.diagnosisId, category: top?.category, targets: targets.length };
}

/** A failed attempt: logged; when it was the last, every requester is told why. */
async function reportFailed(scope: JobScope, err: Error): Promise<void> {
  const { store, deps, job } = scope;
  const state = await job.getState().catch(() => "unknown");
  const final = state === "failed";
  deps.metrics?.jobs.inc({ outcome: final ? "failed" : "retry" });
  const jlog = deps.log.child({
    jobId: job.id,
    diagnosisId: job.data.diagnosisId,
    host: job.data.request.host,
  });
  if (!final) {
    jlog.warn(
      { err: err.message, attempt: job.attemptsMade },
      "diagnosis failed; it will be retried",
    );
    return;
  }
  jlog.error({ err: err.message }, "diagnosis failed");
  await store.markStarted(job.data.requestedBy, job.data.diagnosisId).catch(() => undefined);
  const error = /stalled more than allowable limit/.test(err.message)
    ? "the worker running it stopped several times (crashed or was killed); check the worker logs"
    : redactText(err.message).text;
  await job.removeDeduplicationKey().catch(() => undefined);
  const outcome = { ok: false as const, diagnosisId: job.data.diagnosisId, error };
  const targets = targetsOrFirst({ ...scope, jlog }, await store.close(job.id!, outcome));
  scope.audit("failed", { ...runAuditFields(job, targets), decision: "failed", reason: error });
  await store.pushRecent({
    diagnosisId: job.data.diagnosisId,
    host: job.data.request.host,
    symptom: job.data.request.symptom,
    requestedBy: job.data.requestedBy,
    finishedAt: Date.now(),
    error,
  });
  await deliver(store, deps.replier, outcome, targets, {
    request: job.data.request,
    log: jlog,
    metrics: deps.metrics,
    deliveries: scope.deliveries,
  });
}

/**
 * What the audit trail records of a finished run: who asked first, where the first answer went,
 * the request, and how long the run took (ms, from a worker taking the job to now).
 */
function runAuditFields(job: Job<DiagnoseJobData, DiagnoseJobResult>, targets: ReplyTarget[]) {
  return {
    user: job.data.requestedBy,
    channel: targets[0]?.channel,
    ...requestAuditFields(job.data.request),
    diagnosisId: job.data.diagnosisId,
    jobId: job.id,
    durationMs: job.processedOn ? Date.now() - job.processedOn : undefined,
  };
}
