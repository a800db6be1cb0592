import { Cluster, Redis, type RedisOptions } from "ioredis";
import { DiagbotError } from "../model/errors.js";
import { AuditStream, auditStreamKey } from "../observability/audit.js";

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
  /**
   * A job waiting for a slot (its host's intrusive slot, or its requester's or channel's
   * concurrency cap; a sweep host job its host's sweep slot or a place of its sweep) looks
   * again after this many ms.
   */
  slotRetryMs: number;
  /** Diagnoses of one requester running at once, over all workers (0: no cap). */
  userConcurrency: number;
  /** Diagnoses asked from one channel running at once, over all workers (0: no cap). */
  channelConcurrency: number;
  /** Requests one person may make per `rateWindowSeconds` (0: no limit). */
  userRate: number;
  /** Requests one channel may make per `rateWindowSeconds` (0: no limit). */
  channelRate: number;
  /** The window of the request rate limits, seconds. */
  rateWindowSeconds: number;
  /** Thread follow-up questions one person may ask per `rateWindowSeconds` (0: no limit). */
  followUpRate: number;
  /** Tries of an answer that Slack did not take (down, unreachable), with exponential backoff. */
  deliveryAttempts: number;
  /** First delay before an answer is posted again, ms (doubles each try). */
  deliveryBackoffMs: number;
  /**
   * `DIAGBOT_TICKET_ATTEMPTS`: tries of a queued ticket job (429, 5xx, network), each after the
   * wait the ticket system asked (`Retry-After`, rate-limit reset) or 1 s, 2 s, 4 s...
   */
  ticketAttempts: number;
  /** `DIAGBOT_AUDIT_MAXLEN`: audit stream entries kept at most (approximately). */
  auditMaxLen: number;
  /** `DIAGBOT_AUDIT_MAX_AGE`: seconds an audit stream entry is kept at most (approximately). */
  auditMaxAgeSeconds: number;
  /** Sweep host jobs one process runs at once (`DIAGBOT_SWEEP_CONCURRENCY`). */
  sweepConcurrency: number;
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
    slotRetryMs: intVar(env, "DIAGBOT_HOST_RETRY_MS", 3000, 50, 600_000),
    userConcurrency: intVar(env, "DIAGBOT_USER_CONCURRENCY", 2, 0, 1000),
    channelConcurrency: intVar(env, "DIAGBOT_CHANNEL_CONCURRENCY", 4, 0, 1000),
    userRate: intVar(env, "DIAGBOT_USER_RATE", 20, 0, 100_000),
    channelRate: intVar(env, "DIAGBOT_CHANNEL_RATE", 60, 0, 100_000),
    rateWindowSeconds: intVar(env, "DIAGBOT_RATE_WINDOW", 60, 1, 86_400),
    followUpRate: intVar(env, "DIAGBOT_FOLLOWUP_RATE", 10, 0, 100_000),
    deliveryAttempts: intVar(env, "DIAGBOT_DELIVERY_ATTEMPTS", 12, 1, 100),
    deliveryBackoffMs: intVar(env, "DIAGBOT_DELIVERY_BACKOFF_MS", 5000, 10, 3_600_000),
    ticketAttempts: intVar(env, "DIAGBOT_TICKET_ATTEMPTS", 8, 1, 100),
    auditMaxLen: intVar(env, "DIAGBOT_AUDIT_MAXLEN", 100_000, 100, 100_000_000),
    auditMaxAgeSeconds: intVar(env, "DIAGBOT_AUDIT_MAX_AGE", 90 * 24 * 3600, 60, 3650 * 24 * 3600),
    sweepConcurrency: intVar(env, "DIAGBOT_SWEEP_CONCURRENCY", 8, 1, 1000),
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

/** A Redis URL cut at its credentials. */
export interface RedisUrlParts {
  /** `redis://`, `rediss://`, `redis+sentinel://`...; empty when the text has no scheme. */
  scheme: string;
  /** Before the first `:` of the credentials, percent-decoded; undefined when empty. */
  username?: string;
  /** After the first `:` of the credentials, percent-decoded; undefined when there is none. */
  password?: string;
  /** True when the credentials have no `:` (then `username` may well be a password). */
  bare: boolean;
  /** Everything after the credentials: host (or host list), path, query. */
  rest: string;
}

/**
 * Cuts a Redis URL at its credentials: they run from the scheme to the LAST `@` of the URL,
 * because a password may hold `@`, `/` or `:` as typed (`redis://user:p@ss/w0rd@host:6379/0`:
 * user `user`, password `p@ss/w0rd`, host `host`), whereas the WHATWG URL parser (and ioredis,
 * which uses it) ends the credentials at the first `/` and would take `ss` for the host. The
 * user name runs to the first `:`. Percent-escapes (`%40`) are decoded; a `%` that starts no
 * escape is kept as it is.
 */
export function splitRedisUrl(url: string): RedisUrlParts {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? "";
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf("@");
  if (at < 0) return { scheme, bare: false, rest: afterScheme };
  const credentials = afterScheme.slice(0, at);
  const colon = credentials.indexOf(":");
  const user = colon < 0 ? credentials : credentials.slice(0, colon);
  return {
    scheme,
    username: user === "" ? undefined : decode(user),
    password: colon < 0 ? undefined : decode(credentials.slice(colon + 1)),
    bare: colon < 0,
    rest: afterScheme.slice(at + 1),
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A Redis URL for messages and logs: the password becomes `***` (credentials without a `:`,
 * which may be a bare password, are hidden whole); the user name, hosts, database and the rest
 * are kept.
 */
export function redisUrlForDisplay(url: string): string {
  const { scheme, rest, bare, password } = splitRedisUrl(url);
  if (bare) return `${scheme}***@${rest}`;
  if (password === undefined) return url;
  const user = url.slice(scheme.length).split(":", 1)[0];
  return `${scheme}${user}:***@${rest}`;
}

/**
 * Opens a Redis connection for `role` from `REDIS_URL`:
 * - `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS);
 * - `redis+sentinel://[:password@]s1:26379,s2:26379/master-name[/db]` (Sentinel);
 * - `redis+cluster://[:password@]n1:6379,n2:6379` (Cluster; set `DIAGBOT_REDIS_PREFIX` to a
 *   hash tag such as `{diagbot}` so that each queue's keys share a slot).
 * The password may hold `@`, `/` and `:` unescaped ({@link splitRedisUrl}).
 * @throws DiagbotError `config` for a URL of another form (shown without its password).
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
  const url = splitRedisUrl(config.redisUrl);
  const auth = { username: url.username, password: url.password };
  const scheme = url.scheme.toLowerCase();
  if (scheme === "redis://" || scheme === "rediss://") {
    // ioredis reads host, port, db and query options from the URL; the credentials, which its
    // URL parser would cut at a `/` in the password, are given apart.
    return new Redis(`${scheme}${url.rest}`, { ...options, ...auth });
  }
  const special = /^redis\+(sentinel|cluster):\/\/$/.exec(scheme);
  const path = /^([^/]+)(?:\/([^/]+))?(?:\/(\d+))?$/.exec(url.rest);
  if (!special || !path) {
    throw new DiagbotError(
      "config",
      `REDIS_URL=${JSON.stringify(redisUrlForDisplay(config.redisUrl))}: expected redis://host:port, rediss://, redis+sentinel:// or redis+cluster://`,
    );
  }
  const [, hostList, master, db] = path;
  if (special[1] === "cluster") {
    return new Cluster(hostsOf(hostList, 6379), {
      enableOfflineQueue: options.enableOfflineQueue,
      clusterRetryStrategy: options.retryStrategy,
      redisOptions: { ...options, ...auth },
    });
  }
  if (!master) {
    throw new DiagbotError(
      "config",
      "REDIS_URL: a Sentinel URL names the master: redis+sentinel://s1:26379,s2:26379/mymaster",
    );
  }
  return new Redis({
    ...options,
    ...auth,
    sentinels: hostsOf(hostList, 26379),
    name: master,
    db: db ? Number(db) : 0,
  });
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

/** The deployment's audit stream (`<prefix>:audit`) on `redis`, capped as `config` says. */
export function auditStreamOf(redis: RedisClient, config: QueueConfig): AuditStream {
  return new AuditStream(redis, {
    key: auditStreamKey(config.prefix),
    maxLen: config.auditMaxLen,
    maxAgeSeconds: config.auditMaxAgeSeconds,
  });
}
