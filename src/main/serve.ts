import { loadRbac } from "../access/rbac.js";
import { inventoryPath } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import { narrativeConfig } from "../narrative/index.js";
import { createLogger } from "../observability/log.js";
import {
  createMetrics,
  DEFAULT_METRICS_LISTEN,
  parseListenAddress,
  serveMetrics,
} from "../observability/metrics.js";
import { queueConfig, redisUrlForDisplay } from "../queue/config.js";
import { DiagnosisProducer } from "../queue/producer.js";
import { createSlackApp } from "../slack/app.js";
import { slackConfig } from "../slack/config.js";
import { InventoryCache } from "../slack/inventory-cache.js";
import { setting } from "../tickets/config.js";
import { serveEvidence } from "../tickets/route.js";
import { startSweeps } from "./scheduler.js";

export interface ServeCliOptions {
  http: boolean;
  port?: string;
  host?: string;
  metricsListen?: string;
}

/**
 * `diagbot serve`: the Slack app. Socket Mode when SLACK_APP_TOKEN is set (no public URL
 * needed); with `--http`, Slack's requests arrive at `/slack/events` on `--port`, each checked
 * against SLACK_SIGNING_SECRET (bad signature or stale timestamp: 401). Runs until SIGTERM or
 * SIGINT. The inventory and RBAC file are read before the app starts: a bad file exits 2.
 * Prometheus metrics and a second `/healthz` are served on their own listener,
 * `--metrics-listen` or `DIAGBOT_METRICS_LISTEN` (default {@link DEFAULT_METRICS_LISTEN};
 * `off` for none), in both modes; an address that cannot be listened on exits 2. With
 * DIAGBOT_SWEEPS set, the sweep scheduler runs here too (src/main/scheduler.ts). With
 * OPENAI_API_KEY and DIAGBOT_LLM_MODEL, a mention of the bot in a diagnosis's thread is answered
 * from the stored report (src/slack/listeners/follow-up.ts). With DIAGBOT_PUBLIC_URL set, the
 * signed `/evidence/<sha256>` links tickets carry are served on `DIAGBOT_EVIDENCE_LISTEN`
 * (default {@link DEFAULT_EVIDENCE_LISTEN}, for a reverse proxy at the public URL; `off` for
 * none), signed with DIAGBOT_EVIDENCE_SECRET (src/tickets/route.ts).
 */
/** Where the evidence links are served when DIAGBOT_PUBLIC_URL is set and no address is given. */
export const DEFAULT_EVIDENCE_LISTEN = "127.0.0.1:8090";

export async function runServe(opts: ServeCliOptions): Promise<number> {
  const env = process.env;
  const http = opts.http || (!env.SLACK_APP_TOKEN && opts.port !== undefined);
  const slack = slackConfig(env, http ? "http" : "socket");
  const port = Number(opts.port ?? "3000");
  if (http && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new DiagbotError(
      "usage",
      `--port ${JSON.stringify(opts.port)}: expected a TCP port (0 to 65535)`,
    );
  }
  const metricsFrom =
    opts.metricsListen !== undefined ? "--metrics-listen" : "DIAGBOT_METRICS_LISTEN";
  const metricsAt = parseListenAddress(
    opts.metricsListen ?? (env.DIAGBOT_METRICS_LISTEN || DEFAULT_METRICS_LISTEN),
    metricsFrom,
  );
  const log = createLogger("diagbot-serve");
  const metrics = createMetrics();
  const config = queueConfig(env);
  const narrative = narrativeConfig(env);
  const rbac = await loadRbac(env, (msg) => log.warn(msg));
  const inventory = new InventoryCache(inventoryPath(env), 2000, (err) =>
    log.error(
      { err: err.message },
      "the inventory changed and is invalid: keeping the last good one",
    ),
  );
  await inventory.get();
  // Listened on once the files are read and before Redis is connected: a bad file or a busy
  // address exits 2 at once, with nothing left open.
  let queueReady = () => false;
  const metricsServer = metricsAt
    ? await serveMetrics(metrics, metricsAt, metricsFrom, () => queueReady())
    : undefined;
  const sweeps = await startSweeps(env, log, inventory).catch(async (err) => {
    await metricsServer?.close();
    throw err;
  });
  const producer = new DiagnosisProducer(config);
  queueReady = () => producer.ready;
  const evidenceAt = parseListenAddress(
    env.DIAGBOT_EVIDENCE_LISTEN ||
      (setting(env, "DIAGBOT_PUBLIC_URL") ? DEFAULT_EVIDENCE_LISTEN : "off"),
    "DIAGBOT_EVIDENCE_LISTEN",
  );
  const evidenceServer = evidenceAt
    ? await serveEvidence(producer.store, env, evidenceAt, "DIAGBOT_EVIDENCE_LISTEN", (err) =>
        log.error({ err: err.message }, "serving an evidence link failed"),
      ).catch(async (err) => {
        await Promise.all([producer.close(), metricsServer?.close(), sweeps?.scheduler.close()]);
        throw err;
      })
    : undefined;
  producer.redis.on("ready", () =>
    log.info({ redis: redisUrlForDisplay(config.redisUrl) }, "queue connected"),
  );
  const app = createSlackApp({
    slack,
    producer,
    inventory: () => inventory.get(),
    rbac,
    log,
    metrics,
    http: http ? { port, host: opts.host } : undefined,
    muter: sweeps?.muter,
    narrative,
  });
  // A bot token Slack refuses, or Slack out of reach, ends serve: nothing is left open.
  const listening = await app.start().catch(async (err) => {
    await app.stop();
    await Promise.all([
      sweeps?.scheduler.close(),
      metricsServer?.close(),
      evidenceServer?.close(),
      producer.close(),
    ]);
    throw err;
  });
  const where = http ? `HTTP on port ${listening} at /slack/events` : "Socket Mode";
  const metricsWhere = [
    metricsServer ? `metrics on ${metricsAt!.host}:${metricsServer.port}/metrics` : "metrics off",
    ...(evidenceServer ? [`evidence links on ${evidenceAt!.host}:${evidenceServer.port}`] : []),
  ].join("; ");
  log.info(
    {
      mode: http ? "http" : "socket",
      port: listening,
      metricsPort: metricsServer?.port,
      evidencePort: evidenceServer?.port,
      rbac: rbac.source,
      sweeps: sweeps?.count ?? 0,
    },
    "serving",
  );
  process.stderr.write(`diagbot serve: ready (${where}; ${metricsWhere})\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await app.stop();
  await sweeps?.scheduler.close();
  await metricsServer?.close();
  await evidenceServer?.close();
  await producer.close();
  log.flush();
  return 0;
}
