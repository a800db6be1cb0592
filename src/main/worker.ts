import { createServer, type Server } from "node:http";
import { createLogger } from "../observability/log.js";
import { createMetrics } from "../observability/metrics.js";
import { queueConfig } from "../queue/config.js";
import { liveEngine } from "../queue/engine.js";
import { startWorker } from "../queue/worker.js";
import { loadRunbooks } from "../runbooks/load.js";
import { slackConfig, webClient } from "../slack/config.js";
import { InventoryCache } from "../slack/inventory-cache.js";
import { SlackReplier } from "../slack/replies.js";
import { startSweepHostWorker } from "../sweeps/schedule.js";

export interface WorkerCliOptions {
  concurrency?: string;
  metricsPort?: string;
}

/**
 * `diagbot worker`: runs diagnosis jobs from the queue until SIGTERM or SIGINT, then finishes
 * the jobs in hand (BullMQ's graceful close) and exits 0. It takes scheduled sweeps' host jobs
 * too (`DIAGBOT_SWEEP_CONCURRENCY` at once, apart from the diagnosis slots). Configuration: REDIS_URL,
 * DIAGBOT_REDIS_PREFIX, DIAGBOT_INVENTORY, DIAGBOT_RUNBOOKS, SLACK_BOT_TOKEN, SLACK_API_URL and
 * the DIAGBOT_* queue timings (see .env.example).
 */
export async function runWorker(opts: WorkerCliOptions): Promise<number> {
  const env = { ...process.env };
  if (opts.concurrency) env.DIAGBOT_WORKER_CONCURRENCY = opts.concurrency;
  const config = queueConfig(env);
  const slack = slackConfig(env, "web");
  const log = createLogger("diagbot-worker");
  const metrics = createMetrics();
  const handle = startWorker(config, {
    engine: liveEngine(),
    replier: new SlackReplier(webClient(slack)),
    log,
    metrics,
    testHook: env.DIAGBOT_TEST_HOOK,
  });
  let server: Server | undefined;
  if (opts.metricsPort) {
    server = createServer(async (req, res) => {
      if (req.url === "/metrics") {
        res.setHeader("content-type", metrics.registry.contentType);
        res.end(await metrics.registry.metrics());
      } else {
        res.statusCode = req.url === "/healthz" ? 200 : 404;
        res.end(req.url === "/healthz" ? "ok\n" : "not found\n");
      }
    }).listen(Number(opts.metricsPort), "127.0.0.1");
  }
  // Sweep host jobs too, on their own queue and slots (src/sweeps/schedule.ts).
  const inventory = new InventoryCache(undefined, 2000, (err) =>
    log.error(
      { err: err.message },
      "the inventory changed and is invalid: keeping the last good one",
    ),
  );
  const sweepHosts = startSweepHostWorker(
    config,
    {
      inventory: () => inventory.get(),
      runbooks: await loadRunbooks(),
      log,
      testHook: env.DIAGBOT_TEST_HOOK,
    },
    config.sweepConcurrency,
  );
  await handle.worker.waitUntilReady();
  log.info({ queue: config.prefix, concurrency: config.concurrency }, "worker ready");
  process.stderr.write(
    `diagbot worker: ready (prefix ${config.prefix}, concurrency ${config.concurrency})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping: finishing the jobs in hand");
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  server?.close();
  await Promise.all([handle.close(), sweepHosts.close()]);
  log.flush();
  return 0;
}
