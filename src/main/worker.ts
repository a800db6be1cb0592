import { narrativeConfig } from "../narrative/index.js";
import { createLogger } from "../observability/log.js";
import { createMetrics, parseListenAddress, serveMetrics } from "../observability/metrics.js";
import { queueConfig } from "../queue/config.js";
import { liveEngine } from "../queue/engine.js";
import { startWorker } from "../queue/worker.js";
import { loadRunbooks } from "../runbooks/load.js";
import { slackConfig, webClient } from "../slack/config.js";
import { InventoryCache } from "../slack/inventory-cache.js";
import { SlackReplier } from "../slack/replies.js";
import { startSweepHostWorker } from "../sweeps/schedule.js";
import { startTicketWorker } from "../tickets/worker.js";

export interface WorkerCliOptions {
  concurrency?: string;
  metricsPort?: string;
  metricsListen?: string;
}

/**
 * `diagbot worker`: runs diagnosis jobs from the queue until SIGTERM or SIGINT, then finishes
 * the jobs in hand (BullMQ's graceful close) and exits 0. It takes scheduled sweeps' host jobs
 * too (`DIAGBOT_SWEEP_CONCURRENCY` at once, apart from the diagnosis slots), and the ticket jobs
 * (the DIAGBOT_JIRA_* / GITHUB_* / PAGERDUTY_* / WEBHOOK_* settings). Configuration: REDIS_URL,
 * DIAGBOT_REDIS_PREFIX, DIAGBOT_INVENTORY, DIAGBOT_RUNBOOKS, SLACK_BOT_TOKEN, SLACK_API_URL and
 * the DIAGBOT_* queue timings (see .env.example); with OPENAI_API_KEY and DIAGBOT_LLM_MODEL, the
 * LLM narrative is added to each answer once it arrives (README "Narrative"). Metrics are off unless `--metrics-listen
 * HOST:PORT` (or `--metrics-port N`, on 127.0.0.1) names a listener for them: several workers
 * may share a machine, so none takes a port by default.
 */
export async function runWorker(opts: WorkerCliOptions): Promise<number> {
  const env = { ...process.env };
  if (opts.concurrency) env.DIAGBOT_WORKER_CONCURRENCY = opts.concurrency;
  const config = queueConfig(env);
  const slack = slackConfig(env, "web");
  const narrative = narrativeConfig(env);
  const log = createLogger("diagbot-worker");
  const metrics = createMetrics();
  const metricsAt = opts.metricsListen
    ? parseListenAddress(opts.metricsListen, "--metrics-listen")
    : opts.metricsPort
      ? parseListenAddress(`127.0.0.1:${opts.metricsPort}`, "--metrics-port")
      : undefined;
  // Listened on before Redis is connected: a bad or busy address exits 2 at once.
  const server = metricsAt
    ? await serveMetrics(
        metrics,
        metricsAt,
        opts.metricsListen ? "--metrics-listen" : "--metrics-port",
      )
    : undefined;
  const replier = new SlackReplier(webClient(slack));
  const handle = startWorker(config, {
    engine: liveEngine(),
    replier,
    log,
    metrics,
    narrative,
    testHook: env.DIAGBOT_TEST_HOOK,
  });
  // Ticket calls (`--ticket`, Attach to ticket) on their own queue (src/tickets/worker.ts).
  const tickets = startTicketWorker(config, {
    redis: handle.redis,
    store: handle.store,
    replier,
    log,
    env,
  });
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
    `diagbot worker: ready (prefix ${config.prefix}, concurrency ${config.concurrency}; ${server ? `metrics on ${metricsAt!.host}:${server.port}/metrics` : "metrics off"})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping: finishing the jobs in hand");
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  await Promise.all([tickets.close(), sweepHosts.close()]);
  await handle.close();
  await server?.close();
  log.flush();
  return 0;
}
