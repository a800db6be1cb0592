import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { freePort } from "./sshd.js";

/**
 * Redis for tests: the shared server at 127.0.0.1:6379 with a unique key prefix per test run
 * (removed afterwards), or a private `redis-server` on a free port for tests that stop it.
 */
export const SHARED_REDIS_URL = process.env.DIAGBOT_TEST_REDIS_URL || "redis://127.0.0.1:6379";

/** A fresh prefix: `dbt-<random>`, so parallel test files never share keys. */
export function uniquePrefix(tag = "t"): string {
  return `dbt-${tag}-${randomBytes(5).toString("hex")}`;
}

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function removePrefix(prefix: string, url = SHARED_REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  let removed = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** A private redis-server that a test may stop and start again on the same port. */
export interface RedisServer {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      "redis-server",
      ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    const end = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: "127.0.0.1",
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on("error", () => undefined);
      const ok = await probe
        .connect()
        .then(() => probe.ping())
        .then(() => true)
        .catch(() => false);
      probe.disconnect();
      if (ok) return;
      if (Date.now() > end) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

/**
 * The environment of a real `diagbot serve --http` (or worker) against the Slack stand-in
 * `fake`, with its own Redis key prefix and the basic fixture inventory; `extra` adds to it.
 */
export function serveEnv(
  fake: { botToken: string; signingSecret: string; apiUrl: string },
  prefix: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    REDIS_URL: SHARED_REDIS_URL,
    DIAGBOT_REDIS_PREFIX: prefix,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_APP_TOKEN: "",
    SLACK_SIGNING_SECRET: fake.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    DIAGBOT_INVENTORY: "test/fixtures/inventory/basic/inventory.yaml",
    DIAGBOT_LOG_LEVEL: "silent",
    ...extra,
  };
}
