import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRbac } from "../../src/access/rbac.js";
import type { FindingMuter } from "../../src/model/answer.js";
import type { NarrativeConfig } from "../../src/narrative/index.js";
import { createLogger, type Logger } from "../../src/observability/log.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { queueConfig } from "../../src/queue/config.js";
import type { Engine } from "../../src/queue/engine.js";
import { DiagnosisProducer } from "../../src/queue/producer.js";
import { startWorker, type WorkerHandle } from "../../src/queue/worker.js";
import { createSlackApp, type SlackApp } from "../../src/slack/app.js";
import { slackConfig, webClient } from "../../src/slack/config.js";
import { InventoryCache } from "../../src/slack/inventory-cache.js";
import { SlackReplier } from "../../src/slack/replies.js";
import { startTicketWorker } from "../../src/tickets/worker.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "./redis.js";
import { type FakeSlack, startFakeSlack } from "./slack-api.js";

/**
 * The Slack app in this process against the local Slack stand-in and real Redis, with an
 * optional in-process worker (its engine given by the test).
 */
export interface Harness {
  fake: FakeSlack;
  app: SlackApp;
  producer: DiagnosisProducer;
  worker?: WorkerHandle;
  /** `http://127.0.0.1:port/slack/events` in HTTP mode. */
  eventsUrl: string;
  prefix: string;
  dir: string;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  mode: "http" | "socket";
  engine?: Engine;
  /** Hosts of the inventory (name → groups). Default: test-host in [test]. */
  hosts?: Record<string, string[]>;
  /** The inventory file's whole text instead (hosts of other transports: local, replay). */
  inventory?: string;
  /** DIAGBOT_RBAC file text. */
  rbac?: string;
  redisUrl?: string;
  env?: Record<string, string>;
  /** Members of Slack user groups, as the stand-in lists them from the start. */
  usergroups?: Record<string, string[]>;
  /** Called with the stand-in before the app starts (to inject slow or failing calls). */
  beforeStart?: (fake: FakeSlack) => void;
  /** The Web API base URL the app and worker use (default the stand-in's: a relay may sit between). */
  slackApiUrl?: (fake: FakeSlack) => Promise<string>;
  /** The app's and worker's logger (default: silent unless DIAGBOT_TEST_LOG is set). */
  log?: Logger;
  /** What the sweep digest's Mute menus use (default: none). */
  muter?: FindingMuter;
  /** The LLM's settings for the worker's narrative and the thread follow-ups (default: off). */
  narrative?: NarrativeConfig;
  /** Runs the `tickets` queue's worker beside the in-process worker (ticket settings in `env`). */
  tickets?: boolean;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const fake = await startFakeSlack();
  for (const [group, members] of Object.entries(options.usergroups ?? {}))
    fake.usergroups.set(group, members);
  options.beforeStart?.(fake);
  const dir = mkdtempSync(join(tmpdir(), "diagbot-slack-"));
  const hosts = options.hosts ?? { "test-host": ["test"] };
  const inventory = join(dir, "inventory.yaml");
  writeFileSync(
    inventory,
    options.inventory ??
      `hosts:\n${Object.entries(hosts)
        .map(
          ([name, groups]) =>
            `  ${name}:\n    address: 127.0.0.1\n    groups: [${groups.join(", ")}]\n`,
        )
        .join("")}`,
  );
  const prefix = uniquePrefix(options.mode);
  const env: NodeJS.ProcessEnv = {
    REDIS_URL: options.redisUrl ?? SHARED_REDIS_URL,
    DIAGBOT_REDIS_PREFIX: prefix,
    DIAGBOT_INVENTORY: inventory,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_APP_TOKEN: options.mode === "socket" ? fake.appToken : "",
    SLACK_SIGNING_SECRET: fake.signingSecret,
    SLACK_API_URL: options.slackApiUrl ? await options.slackApiUrl(fake) : fake.apiUrl,
    DIAGBOT_JOB_BACKOFF_MS: "50",
    DIAGBOT_REDIS_CONNECT_TIMEOUT_MS: "500",
    ...options.env,
  };
  if (options.rbac !== undefined) {
    env.DIAGBOT_RBAC = join(dir, "rbac.yaml");
    writeFileSync(env.DIAGBOT_RBAC, options.rbac);
  }
  const log =
    options.log ??
    createLogger("test", { DIAGBOT_LOG_LEVEL: process.env.DIAGBOT_TEST_LOG ?? "silent" });
  const config = queueConfig(env);
  const slack = slackConfig(env, options.mode === "http" ? "http" : "socket");
  const producer = new DiagnosisProducer(config);
  const cache = new InventoryCache(inventory);
  const app = createSlackApp({
    slack,
    producer,
    inventory: () => cache.get(),
    rbac: await loadRbac(env),
    log,
    metrics: createMetrics(false),
    http: options.mode === "http" ? { port: 0, host: "127.0.0.1" } : undefined,
    muter: options.muter,
    narrative: options.narrative,
  });
  const port = await app.start();
  const worker = options.engine
    ? startWorker(config, {
        engine: options.engine,
        replier: new SlackReplier(webClient(slack)),
        log,
        progressIntervalMs: 200,
        narrative: options.narrative,
      })
    : undefined;
  await worker?.worker.waitUntilReady();
  const tickets =
    worker && options.tickets
      ? startTicketWorker(config, {
          redis: worker.redis,
          store: worker.store,
          replier: new SlackReplier(webClient(slack)),
          log,
          env,
        })
      : undefined;
  await tickets?.waitUntilReady();
  const end = Date.now() + 5000;
  while (!producer.ready && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return {
    fake,
    app,
    producer,
    worker,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    prefix,
    dir,
    async stop() {
      await tickets?.close();
      await worker?.close();
      await app.stop();
      await producer.close();
      await fake.close();
      if (!options.redisUrl) await removePrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `cond` holds. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
