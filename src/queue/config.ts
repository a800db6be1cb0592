import { Cluster, Redis, type RedisOptions } from "ioredis";
import { DiagbotError } from "../model/errors.js";

/**
 * Queue configuration from the environment (DESIGN.md "Environment variables") and the Redis
 * connections built from it. Every timing has a default that suits production; tests shorten
 * them through the same variables.
 */
export interface QueueConfig {
  /** `REDIS_URL`: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`. */
  redisUrl: string;
  /** `DIAGBOT_REDIS_PREFIX`: the first part of every key (BullMQ's and ours). */
  prefix: string;
  /** Requests identical to a queued or running one within this many ms join it. */
  coalesceMs: number;
  /** Tries per job for retryable failures (SSH connect), with exponential backoff. */
  attempts: number;
  /** First retry delay, ms (doubles each try). */
  backoffMs: number;
  /** BullMQ job lock, ms: a worker that stops renewing it for this long has crashed. */
  lockMs: number;
  /** How often workers look for jobs whose lock expired, ms. */
  stalledIntervalMs: number;
  /** How many times a job may be recovered from a crashed worker before it fails. */
  maxStalledCount: number;
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** How long results (report and bundle) stay in Redis, seconds. */
  resultTtlSeconds: number;
  /** Largest compressed report or bundle kept in Redis, bytes. */
  resultMaxBytes: number;
  /** A job still running after this many ms past its window is aborted and answered with an error. */
  jobDeadlineMs: number;
  /** The producer's connect timeout, ms: a dead Redis is reported this fast. */
  connectTimeoutMs: number;
  /** A job no worker has taken after this many ms is removed and answered with an error. */
  unclaimedMs: number;
  /** A deep job waiting for its host's intrusive slot looks again after this many ms. */
  hostRetryMs: number;
}

/** The BullMQ queue every diagnosis request goes through. */
export const QUEUE_NAME = "diagnose";

function intVar(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DiagbotError(
      "config",
      `${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

export function queueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  const prefix = env.DIAGBOT_REDIS_PREFIX || "diagbot";
  if (!/^[A-Za-z0-9_.:{}-]{1,64}$/.test(prefix)) {
    throw new DiagbotError(
      "config",
      `DIAGBOT_REDIS_PREFIX=${JSON.stringify(prefix)}: expected letters, digits and _.:{}-`,
    );
  }
  return {
    redisUrl: env.REDIS_URL || "redis://127.0.0.1:6379",
    prefix,
    coalesceMs: intVar(env, "DIAGBOT_COALESCE_MS", 60_000, 0, 3_600_000),
    attempts: intVar(env, "DIAGBOT_JOB_ATTEMPTS", 3, 1, 20),
    backoffMs: intVar(env, "DIAGBOT_JOB_BACKOFF_MS", 2000, 10, 600_000),
    lockMs: intVar(env, "DIAGBOT_LOCK_MS", 30_000, 500, 600_000),
    stalledIntervalMs: intVar(env, "DIAGBOT_STALLED_INTERVAL_MS", 30_000, 200, 600_000),
    maxStalledCount: intVar(env, "DIAGBOT_MAX_STALLED", 1, 0, 100),
    concurrency: intVar(env, "DIAGBOT_WORKER_CONCURRENCY", 4, 1, 256),
    resultTtlSeconds: intVar(env, "DIAGBOT_RESULT_TTL", 7 * 24 * 3600, 60, 90 * 24 * 3600),
    resultMaxBytes: intVar(env, "DIAGBOT_RESULT_MAX_BYTES", 8 << 20, 4096, 256 << 20),
    jobDeadlineMs: intVar(env, "DIAGBOT_JOB_DEADLINE_MS", 180_000, 1000, 3_600_000),
    connectTimeoutMs: intVar(env, "DIAGBOT_REDIS_CONNECT_TIMEOUT_MS", 1000, 100, 60_000),
    unclaimedMs: intVar(env, "DIAGBOT_UNCLAIMED_MS", 120_000, 500, 3_600_000),
    hostRetryMs: intVar(env, "DIAGBOT_HOST_RETRY_MS", 3000, 50, 600_000),
  };
}

/** Either client ioredis gives: a single node (plain or through Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * `producer`: fails fast (no offline queue, short connect timeout, one try per command), so a
 * dead Redis gives an immediate error instead of a hang; it keeps reconnecting in the
 * background and works again as soon as Redis is back. `worker`: waits and retries, as BullMQ's
 * blocking connections require (`maxRetriesPerRequest: null`).
 */
export type ConnectionRole = "producer" | "worker";

function roleOptions(role: ConnectionRole, config: QueueConfig): RedisOptions {
  const retryStrategy = (times: number) => Math.min(times * 250, 2000);
  return role === "producer"
    ? {
        enableOfflineQueue: false,
        connectTimeout: config.connectTimeoutMs,
        maxRetriesPerRequest: 1,
        commandTimeout: Math.max(2000, config.connectTimeoutMs * 2),
        retryStrategy,
      }
    : { maxRetriesPerRequest: null, connectTimeout: 10_000, retryStrategy };
}

function hostsOf(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(",").map((item) => {
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(item.trim());
    if (!m) throw new DiagbotError("config", `REDIS_URL: ${JSON.stringify(item)} is not host:port`);
    return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
  });
}

/**
 * Opens a Redis connection for `role` from `REDIS_URL`:
 * - `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS);
 * - `redis+sentinel://[:password@]s1:26379,s2:26379/master-name[/db]` (Sentinel);
 * - `redis+cluster://[:password@]n1:6379,n2:6379` (Cluster; set `DIAGBOT_REDIS_PREFIX` to a
 *   hash tag such as `{diagbot}` so that each queue's keys share a slot).
 * @throws DiagbotError `config` for a URL of another form.
 */
export function connectRedis(
  config: QueueConfig,
  role: ConnectionRole,
  name = `diagbot-${role}`,
): RedisClient {
  const options: RedisOptions = {
    ...roleOptions(role, config),
    connectionName: name,
    lazyConnect: false,
  };
  const url = config.redisUrl;
  const special =
    /^redis\+(sentinel|cluster):\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)(?:\/([^/]+))?(?:\/(\d+))?$/.exec(
      url,
    );
  if (special) {
    const [, kind, user, password, hostList, name2, db] = special;
    const auth = {
      username: user || undefined,
      password: password ? decodeURIComponent(password) : undefined,
    };
    if (kind === "sentinel") {
      if (!name2)
        throw new DiagbotError(
          "config",
          "REDIS_URL: a Sentinel URL names the master: redis+sentinel://s1:26379,s2:26379/mymaster",
        );
      return new Redis({
        ...options,
        ...auth,
        sentinels: hostsOf(hostList, 26379),
        name: name2,
        db: db ? Number(db) : 0,
      });
    }
    return new Cluster(hostsOf(hostList, 6379), {
      enableOfflineQueue: options.enableOfflineQueue,
      clusterRetryStrategy: options.retryStrategy,
      redisOptions: { ...options, ...auth },
    });
  }
  if (!/^rediss?:\/\//.test(url)) {
    throw new DiagbotError(
      "config",
      `REDIS_URL=${JSON.stringify(url)}: expected redis://host:port, rediss://, redis+sentinel:// or redis+cluster://`,
    );
  }
  return new Redis(url, options);
}

/** Resolves when the client is ready, or rejects after `ms` (the client keeps reconnecting). */
export function waitReady(client: RedisClient, ms: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(queueUnavailable(`no answer within ${ms} ms`));
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once("ready", onReady);
  });
}

/** The error a request gets when Redis does not answer. */
export function queueUnavailable(why: string, cause?: unknown): DiagbotError {
  return new DiagbotError("connect-failed", `the queue is unavailable (Redis: ${why})`, {
    hint: "try again in a minute; if it persists, check REDIS_URL and that Redis is running",
    cause,
  });
}
