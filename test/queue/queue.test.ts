import { QueueEvents } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Replier, ReplyTarget, StoredResult } from "../../src/model/answer.js";
import { DiagbotError } from "../../src/model/errors.js";
import type { DiagnoseRequest } from "../../src/model/request.js";
import { createLogger } from "../../src/observability/log.js";
import { connectRedis, QUEUE_NAME, type QueueConfig, queueConfig } from "../../src/queue/config.js";
import type { Engine } from "../../src/queue/engine.js";
import { PRIORITY } from "../../src/queue/priority.js";
import { DiagnosisProducer } from "../../src/queue/producer.js";
import { ResultStore } from "../../src/queue/store.js";
import { startWorker, type WorkerHandle } from "../../src/queue/worker.js";
import {
  removePrefix,
  SHARED_REDIS_URL,
  startRedisServer,
  uniquePrefix,
} from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";

/**
 * Queue semantics against the real Redis, with an in-process worker whose engine is a stand-in
 * (the real engine over SSH is exercised in test/slack/e2e.test.ts).
 */
const log = createLogger("test", { DIAGBOT_LOG_LEVEL: "silent" });

interface Recorded {
  answers: { target: ReplyTarget; result: StoredResult }[];
  failures: { target: ReplyTarget; error: string }[];
  edits: { target: ReplyTarget; done: number; total: number }[];
  notes: { target: ReplyTarget; text: string }[];
}

function recordingReplier(): Replier & Recorded {
  const r: Recorded = { answers: [], failures: [], edits: [], notes: [] };
  return {
    ...r,
    async progress(target, _request, { done, total }) {
      r.edits.push({ target, done, total });
    },
    async answer(target, result) {
      r.answers.push({ target, result });
      return undefined;
    },
    async failure(target, _request, error) {
      r.failures.push({ target, error });
    },
    async note(target, text) {
      r.notes.push({ target, text });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

const request = (over: Partial<DiagnoseRequest> = {}): DiagnoseRequest => ({
  host: "test-host",
  symptom: "latency",
  windowSeconds: 1,
  deep: false,
  ...over,
});

const target = (i: number): ReplyTarget => ({
  user: `U${i}`,
  channel: "C1",
  ts: `100.${i}`,
  threadTs: `100.${i}`,
});

describe("diagnosis queue", () => {
  let prefix: string;
  let config: QueueConfig;
  const handles: { close(): Promise<void> }[] = [];

  beforeAll(() => {
    prefix = uniquePrefix("queue");
  });

  afterEach(async () => {
    while (handles.length) await handles.pop()!.close();
    await removePrefix(prefix);
  });

  afterAll(async () => {
    await removePrefix(prefix);
  });

  const setup = async (engine: Engine, env: Record<string, string> = {}) => {
    config = queueConfig({
      REDIS_URL: SHARED_REDIS_URL,
      DIAGBOT_REDIS_PREFIX: prefix,
      DIAGBOT_JOB_BACKOFF_MS: "50",
      DIAGBOT_LOCK_MS: "5000",
      ...env,
    });
    const replier = recordingReplier();
    const worker: WorkerHandle = startWorker(config, {
      engine,
      replier,
      log,
      progressIntervalMs: 100,
    });
    const producer = new DiagnosisProducer(config);
    handles.push(worker, producer);
    await worker.worker.waitUntilReady();
    await until(() => producer.ready);
    return { replier, worker, producer };
  };

  it("coalesces identical requests into one run and answers every requester once", async () => {
    let runs = 0;
    const engine: Engine = async (_req, { onProgress }) => {
      runs++;
      onProgress({ phase: "collecting", done: 1, total: 3, running: ["iostat"] });
      await sleep(300);
      onProgress({ phase: "collecting", done: 3, total: 3, running: [] });
      return { report: fakeReport(), outputs: [] };
    };
    const { replier, producer } = await setup(engine);
    const submitted = await Promise.all(
      Array.from({ length: 10 }, (_, i) => producer.submit(request(), `U${i}`, target(i))),
    );
    expect(new Set(submitted.map((s) => s.jobId)).size).toBe(1);
    await until(() => replier.answers.length === 10);
    await sleep(300);
    expect(runs).toBe(1);
    expect(replier.answers).toHaveLength(10);
    expect(new Set(replier.answers.map((a) => a.target.ts)).size).toBe(10);
    expect(replier.edits.length).toBeGreaterThan(0);
    // Requests that joined a run, and the run once started, are in nobody's backlog.
    for (let i = 0; i < 10; i++)
      expect(await producer.redis.zcard(producer.store.queuedKey(`U${i}`))).toBe(0);

    // A different request is its own run; the same request after the answer is a fresh run.
    await producer.submit(request({ symptom: "disk" }), "U1", target(20));
    await producer.submit(request(), "U1", target(21));
    await until(() => replier.answers.length === 12);
    expect(runs).toBe(3);
  });

  it("a request joining a run that has just been answered gets that answer", async () => {
    const { replier, producer } = await setup(async () => ({ report: fakeReport(), outputs: [] }));
    const first = await producer.submit(request(), "U1", target(1));
    await until(() => replier.answers.length === 1);
    const store = producer.store;
    const late = await store.attach(first.jobId, target(2));
    expect(late).toMatchObject({ ok: true });
    expect((late as { diagnosisId: string }).diagnosisId).toBe(
      replier.answers[0].result.diagnosisId,
    );
  });

  it("retries a retryable failure (SSH connect) and answers once", async () => {
    let calls = 0;
    const engine: Engine = async () => {
      calls++;
      if (calls < 3) throw new DiagbotError("connect-failed", "cannot connect to 127.0.0.1:1");
      return { report: fakeReport(), outputs: [] };
    };
    const { replier, producer } = await setup(engine);
    await producer.submit(request(), "U1", target(1));
    await until(() => replier.answers.length === 1);
    await sleep(200);
    expect(calls).toBe(3);
    expect(replier.failures).toHaveLength(0);
  });

  it("does not retry an unrecoverable failure (host key refused) and says why", async () => {
    let calls = 0;
    const engine: Engine = async () => {
      calls++;
      throw new DiagbotError("host-key-refused", "the host key of test-host changed", {
        hint: "check known_hosts",
      });
    };
    const { replier, producer } = await setup(engine);
    await producer.submit(request(), "U1", target(1));
    await until(() => replier.failures.length === 1);
    await sleep(300);
    expect(calls).toBe(1);
    expect(replier.failures[0].error).toMatch(/host key of test-host changed/);
    expect(replier.answers).toHaveLength(0);
  });

  it("refuses a malformed job written straight to Redis before running anything", async () => {
    let calls = 0;
    const { producer } = await setup(async () => {
      calls++;
      return { report: fakeReport(), outputs: [] };
    });
    const evil = {
      v: 1,
      diagnosisId: "dg_evil0001",
      key: "k",
      requestedBy: "U1",
      requestedAt: Date.now(),
      request: { ...request(), pid: "1; reboot" },
    };
    const events = new QueueEvents(QUEUE_NAME, { connection: { url: SHARED_REDIS_URL }, prefix });
    handles.push(events);
    await events.waitUntilReady();
    const job = await producer.queue.add("diagnose", evil as never, { attempts: 1 });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/malformed job .*bad pid/);
    expect(calls).toBe(0);
  });

  it("runs at most one intrusive job per host at a time", async () => {
    const running = new Map<string, number>();
    let most = 0;
    const engine: Engine = async (req) => {
      const n = (running.get(req.host) ?? 0) + 1;
      running.set(req.host, n);
      most = Math.max(most, n);
      await sleep(300);
      running.set(req.host, n - 1);
      return { report: fakeReport({ host: req.host }), outputs: [] };
    };
    const { replier, producer } = await setup(engine, {
      DIAGBOT_WORKER_CONCURRENCY: "4",
      DIAGBOT_HOST_RETRY_MS: "200",
    });
    await Promise.all([
      producer.submit(request({ deep: true, pid: 1 }), "U1", target(1)),
      producer.submit(request({ deep: true, pid: 2 }), "U1", target(2)),
      producer.submit(request({ deep: true, pid: 3 }), "U1", target(3)),
      producer.submit(request({ deep: true, host: "other-host" }), "U1", target(4)),
    ]);
    await until(() => replier.answers.length === 4, 30_000);
    expect(most).toBe(1);
  });

  it("runs a person's request before queued sweep work, and a requester's own backlog behind other people's", async () => {
    config = queueConfig({ REDIS_URL: SHARED_REDIS_URL, DIAGBOT_REDIS_PREFIX: prefix });
    const producer = new DiagnosisProducer(config);
    handles.push(producer);
    await until(() => producer.ready);
    // Queued while no worker runs: a sweep's host, then three of UA's, then one of UB's.
    const sweep = await producer.submit(request({ host: "s-1" }), "sweep:web", target(1), "sweep");
    const ua = [];
    for (const host of ["a-1", "a-2", "a-3"])
      ua.push(await producer.submit(request({ host }), "UA", target(2)));
    const ub = await producer.submit(request({ host: "b-1" }), "UB", target(3));
    expect(sweep.priority).toBe(PRIORITY.sweep);
    expect(ua.map((s) => [s.priority, s.queuedAhead])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(ub).toMatchObject({ priority: 1, queuedAhead: 0 });

    const order: string[] = [];
    const { replier } = await setup(
      async (req) => {
        order.push(req.host);
        return { report: fakeReport({ host: req.host }), outputs: [] };
      },
      { DIAGBOT_WORKER_CONCURRENCY: "1" },
    );
    await until(() => replier.answers.length === 5);
    expect(order).toEqual(["a-1", "b-1", "a-2", "a-3", "s-1"]);
    // Started jobs leave their requester's backlog.
    expect(await producer.redis.zcard(producer.store.queuedKey("UA"))).toBe(0);
    expect(await producer.redis.zcard(producer.store.queuedKey("UB"))).toBe(0);
  });

  it("stops a stuck diagnosis at its deadline and answers with an error", async () => {
    const engine: Engine = (_req, { signal }) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    const { replier, producer } = await setup(engine, { DIAGBOT_JOB_DEADLINE_MS: "1000" });
    await producer.submit(request({ windowSeconds: 1 }), "U1", target(1));
    await until(() => replier.failures.length === 1, 20_000);
    expect(replier.failures[0].error).toMatch(/did not finish within 2 s/);
  });

  it("stores results compressed, with a TTL and a size cap, and guards posting per thread", async () => {
    const redis = connectRedis(queueConfig({ REDIS_URL: SHARED_REDIS_URL }), "worker");
    handles.push({ close: async () => redis.disconnect() });
    const store = new ResultStore(redis, prefix, { ttlSeconds: 120, maxBytes: 4096 });
    const big = {
      files: {
        "x.out": Array.from({ length: 20000 }, (_, i) => `${i} ${Math.random()}`).join("\n"),
      },
    };
    const saved = await store.saveResult(
      {
        diagnosisId: "dg_test1",
        request: request(),
        requestedBy: "U1",
        requestedAt: 0,
        finishedAt: 1,
        report: fakeReport({ findings: 3 }),
        redactions: 0,
        bundle: true,
      },
      big,
    );
    expect(saved.bundle).toBe(false);
    expect(await store.loadBundle("dg_test1")).toBeNull();
    expect((await store.loadResult("dg_test1"))?.report.hypotheses).toHaveLength(3);
    const ttl = await redis.ttl(`${prefix}:result:dg_test1`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);

    expect(await store.claimPost("dg_test1", target(1))).toBe(true);
    expect(await store.claimPost("dg_test1", target(1))).toBe(false);
    expect(await store.claimPost("dg_test1", target(2))).toBe(true);
    expect(await store.claimPost("dg_test2", target(1))).toBe(true);

    // Slots: a cap of owners per name; the same job (after a crash) takes its own back; leases expire.
    expect(await store.takeSlot("intrusive", "h1", "job-1", 1, 5000)).toBe(true);
    expect(await store.takeSlot("intrusive", "h1", "job-2", 1, 5000)).toBe(false);
    expect(await store.takeSlot("intrusive", "h2", "job-2", 1, 5000)).toBe(true);
    expect(await store.takeSlot("intrusive", "h1", "job-1", 1, 5000)).toBe(true);
    await store.releaseSlot("intrusive", "h1", "job-2");
    expect(await store.takeSlot("intrusive", "h1", "job-2", 1, 5000)).toBe(false);
    await store.releaseSlot("intrusive", "h1", "job-1");
    expect(await store.takeSlot("intrusive", "h1", "job-2", 1, 5000)).toBe(true);
    expect(await store.takeSlot("user", "U1", "job-3", 2, 5000)).toBe(true);
    expect(await store.takeSlot("user", "U1", "job-4", 2, 300)).toBe(true);
    expect(await store.takeSlot("user", "U1", "job-5", 2, 5000)).toBe(false);
    await sleep(350);
    expect(await store.takeSlot("user", "U1", "job-5", 2, 5000)).toBe(true);
    expect(await store.renewSlot("user", "U1", "job-4", 5000)).toBe(false);
  });
});

describe("producer with Redis down", () => {
  it("fails fast with 'queue unavailable' and works again once Redis is back", async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix("down");
    const config = queueConfig({
      REDIS_URL: server.url,
      DIAGBOT_REDIS_PREFIX: prefix,
      DIAGBOT_REDIS_CONNECT_TIMEOUT_MS: "500",
    });
    const producer = new DiagnosisProducer(config);
    try {
      await until(() => producer.ready);
      await server.stop();
      await sleep(100);
      const t0 = Date.now();
      await expect(producer.submit(request(), "U1", target(1))).rejects.toThrow(
        /queue is unavailable/,
      );
      expect(Date.now() - t0).toBeLessThan(1000);
      await server.start();
      await until(() => producer.ready, 10_000);
      const s = await producer.submit(request(), "U1", target(1));
      expect(s.jobId).toBeTruthy();
    } finally {
      await producer.close();
      await server.stop();
    }
  });
});
