import type { FindingMuter, FindingTicketer } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import type { FindingTicketTarget } from "../model/ticket.js";
import type { Logger } from "../observability/log.js";
import { createLogger } from "../observability/log.js";
import { connectRedis, queueConfig } from "../queue/config.js";
import { loadRunbooks } from "../runbooks/load.js";
import { slackConfig, webClient } from "../slack/config.js";
import { slackDigestPoster } from "../slack/digest.js";
import { InventoryCache } from "../slack/inventory-cache.js";
import { loadSweeps, type SweepDefinition } from "../sweeps/config.js";
import { stateMuter } from "../sweeps/run.js";
import { type SchedulerHandle, startScheduler } from "../sweeps/schedule.js";
import { RedisStateStore } from "../sweeps/state.js";

/**
 * The sweep scheduler as a process part: reads the inventory and `DIAGBOT_SWEEPS` (a bad file
 * exits 2 naming file, line and field of every problem, a sweep whose hosts the inventory lacks
 * included), syncs the job schedulers, runs the sweeps and posts digests to Slack
 * (SLACK_BOT_TOKEN, SLACK_API_URL). Used by `diagbot scheduler` and, when DIAGBOT_SWEEPS is set,
 * by `diagbot serve`.
 * @returns undefined when DIAGBOT_SWEEPS is unset (no sweeps), else the running scheduler and
 *   the muter the Slack app's Mute menus use.
 */
export async function startSweeps(
  env: NodeJS.ProcessEnv,
  log: Logger,
  inventory: InventoryCache,
): Promise<{ scheduler: SchedulerHandle; muter: FindingMuter; count: number } | undefined> {
  if (!env.DIAGBOT_SWEEPS) return undefined;
  // Every sweep's hosts must name a group or host of the inventory; an inventory that cannot be
  // read is reported after the problems of sweeps.yaml itself, if any.
  const hosts = await inventory.get().catch(async (err: unknown) => {
    await loadSweeps(env);
    throw err;
  });
  const sweeps = await loadSweeps(env, hosts);
  const config = queueConfig(env);
  const slack = slackConfig(env, "web");
  const runbooks = await loadRunbooks();
  // A sweep with `ticket:` needs its system's settings: checked here, so a missing one exits 2.
  const ticketer = await sweepTicketer(sweeps, env);
  const scheduler = startScheduler(config, sweeps, {
    inventory: () => inventory.get(),
    runbooks,
    log,
    post: slackDigestPoster(webClient(slack)),
    ticketer,
  });
  scheduler.synced.then(
    (removed) => {
      log.info({ sweeps: sweeps.map((s) => s.name) }, "sweeps scheduled");
      for (const name of removed)
        log.info({ sweep: name }, "sweep no longer in DIAGBOT_SWEEPS: removed from Redis");
    },
    (err: Error) => log.error({ err: err.message }, "the sweeps could not be scheduled"),
  );
  const redis = connectRedis(config, "producer", "diagbot-mutes");
  redis.on("error", () => undefined);
  const muter = stateMuter(new RedisStateStore(redis, config.prefix));
  return {
    scheduler: {
      synced: scheduler.synced,
      close: async () => {
        await scheduler.close();
        redis.disconnect();
      },
    },
    muter,
    count: sweeps.length,
  };
}

/**
 * One ticketer for the sweeps with a `ticket:`, each sweep's events going to its own system
 * (src/tickets/findings.ts); undefined when none has one.
 * @throws DiagbotError "config" naming the first missing or bad setting.
 */
async function sweepTicketer(
  sweeps: readonly SweepDefinition[],
  env: NodeJS.ProcessEnv,
): Promise<FindingTicketer | undefined> {
  const ticketed = sweeps.filter((s) => s.ticket);
  if (ticketed.length === 0) return undefined;
  const { findingTicketer } = await import("../tickets/findings.js");
  const bySweep = new Map(
    ticketed.map((s) => [s.name, findingTicketer(s.ticket as FindingTicketTarget, { env })]),
  );
  return async (event) => {
    const ticketer = bySweep.get(event.sweep);
    if (!ticketer) throw new Error(`sweep ${event.sweep} has no ticket in DIAGBOT_SWEEPS`);
    return ticketer(event);
  };
}

/**
 * `diagbot scheduler`: the scheduled sweeps of DIAGBOT_SWEEPS, without the Slack app, until
 * SIGTERM or SIGINT. Any number may run against one Redis: each run executes once.
 */
export async function runScheduler(): Promise<number> {
  if (!process.env.DIAGBOT_SWEEPS) {
    throw new DiagbotError("config", "DIAGBOT_SWEEPS is not set: there is nothing to schedule", {
      hint: "point DIAGBOT_SWEEPS at a sweeps.yaml (README: Scheduled sweeps)",
    });
  }
  const log = createLogger("diagbot-scheduler");
  const inventory = new InventoryCache(undefined, 2000, (err) =>
    log.error(
      { err: err.message },
      "the inventory changed and is invalid: keeping the last good one",
    ),
  );
  // SIGTERM or SIGINT at any time from here, Redis answering or not, stops it cleanly.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  // The inventory is read, then sweeps.yaml checked against it: each bad file exits 2 naming itself.
  const started = await startSweeps(process.env, log, inventory);
  try {
    const waiting = setTimeout(
      () => process.stderr.write("diagbot scheduler: waiting for Redis (REDIS_URL)\n"),
      2000,
    );
    const ready = await Promise.race([
      (started?.scheduler.synced ?? Promise.resolve()).then(() => true),
      stopped.then(() => false),
    ]).finally(() => clearTimeout(waiting));
    if (ready) {
      process.stderr.write(`diagbot scheduler: ready (${started?.count ?? 0} sweeps)\n`);
      await stopped;
    }
  } finally {
    await started?.scheduler.close();
  }
  log.flush();
  // The shutdown is done. A Redis client a library made for itself may still be retrying an
  // outage; it must not keep the process: it ends 1 s from now if nothing else ends it first.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
