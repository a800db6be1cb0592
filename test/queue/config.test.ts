import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  connectRedis,
  queueConfig,
  redisUrlForDisplay,
  splitRedisUrl,
  waitReady,
} from "../../src/queue/config.js";
import { jobPriority, PRIORITY, PRIORITY_MAX } from "../../src/queue/priority.js";
import { DiagnosisProducer } from "../../src/queue/producer.js";
import { startRedisServer } from "../helpers/redis.js";

/** REDIS_URL forms and the queue settings read from the environment. */
describe("queue configuration", () => {
  const closeAll: (Redis | Cluster)[] = [];
  const open = (url: string, role: "producer" | "worker" = "producer") => {
    const c = connectRedis(queueConfig({ REDIS_URL: url }), role);
    c.on("error", () => undefined);
    closeAll.push(c);
    return c;
  };

  it("reads the fair-use limits and the delivery retries, 0 turning a limit off", () => {
    expect(queueConfig({})).toMatchObject({
      userRate: 20,
      channelRate: 60,
      rateWindowSeconds: 60,
      userConcurrency: 2,
      channelConcurrency: 4,
      deliveryAttempts: 12,
      deliveryBackoffMs: 5000,
    });
    expect(queueConfig({ DIAGBOT_USER_RATE: "0", DIAGBOT_USER_CONCURRENCY: "0" })).toMatchObject({
      userRate: 0,
      userConcurrency: 0,
    });
    expect(() => queueConfig({ DIAGBOT_RATE_WINDOW: "0" })).toThrow(
      /DIAGBOT_RATE_WINDOW="0": expected a whole number from 1 to 86400/,
    );
    expect(() => queueConfig({ DIAGBOT_CHANNEL_CONCURRENCY: "-1" })).toThrow(
      /DIAGBOT_CHANNEL_CONCURRENCY/,
    );
  });

  it("keeps a backlog of interactive requests ahead of sweep work, within BullMQ's range", () => {
    expect(jobPriority("interactive", 0)).toBe(PRIORITY.interactive);
    expect(jobPriority("interactive", 3)).toBe(PRIORITY.interactive + 3);
    expect(jobPriority("interactive", 1e9)).toBe(PRIORITY.sweep - 1);
    expect(jobPriority("sweep", 0)).toBe(PRIORITY.sweep);
    expect(jobPriority("sweep", 1e9)).toBe(PRIORITY_MAX);
  });

  it("reads redis://, Sentinel and Cluster URLs", () => {
    try {
      const plain = open("redis://:secret@127.0.0.1:1/2") as Redis;
      expect(plain).toBeInstanceOf(Redis);
      expect(plain.options.db).toBe(2);
      expect(plain.options.enableOfflineQueue).toBe(false);

      const sentinel = open(
        "redis+sentinel://:pw@127.0.0.1:1,127.0.0.2:2/mymaster/3",
        "worker",
      ) as Redis;
      expect(sentinel.options.sentinels).toEqual([
        { host: "127.0.0.1", port: 1 },
        { host: "127.0.0.2", port: 2 },
      ]);
      expect(sentinel.options.name).toBe("mymaster");
      expect(sentinel.options.db).toBe(3);
      expect(sentinel.options.password).toBe("pw");
      expect(sentinel.options.maxRetriesPerRequest).toBeNull();

      const cluster = open("redis+cluster://127.0.0.1:1,127.0.0.1:2");
      expect(cluster).toBeInstanceOf(Cluster);
    } finally {
      for (const c of closeAll.splice(0)) c.disconnect();
    }
  });

  it("refuses other URLs and bad numbers, naming the variable and value", () => {
    expect(() => connectRedis(queueConfig({ REDIS_URL: "http://x" }), "producer")).toThrow(
      /REDIS_URL="http:\/\/x"/,
    );
    expect(() =>
      connectRedis(queueConfig({ REDIS_URL: "redis+sentinel://127.0.0.1:1" }), "producer"),
    ).toThrow(/names the master/);
    expect(() => queueConfig({ DIAGBOT_LOCK_MS: "-5" })).toThrow(
      /DIAGBOT_LOCK_MS="-5": expected a whole number/,
    );
    expect(() => queueConfig({ DIAGBOT_REDIS_PREFIX: "a b" })).toThrow(/DIAGBOT_REDIS_PREFIX/);
    expect(queueConfig({}).prefix).toBe("diagbot");
  });

  it("the producer's queue-unavailable error shows the Redis URL without its password", async () => {
    const producer = new DiagnosisProducer(
      queueConfig({ REDIS_URL: "redis://user:p@ss/w0rd@127.0.0.1:1/0" }),
    );
    const target = { user: "U1", channel: "C1" };
    const request = { host: "h", symptom: "health", deep: false, windowSeconds: 5 } as const;
    await expect(producer.submit(request, "U1", target)).rejects.toThrow(
      /redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/0/,
    );
    await producer.close();
  });

  const PASSWORD = "p@ss/w0rd";

  it("hides a password that holds @, / or :, keeping user, hosts, database and options", () => {
    const shown: [string, string][] = [
      ["redis://user:p@ss/w0rd@host:6379/0", "redis://user:***@host:6379/0"],
      ["redis://user:hunter2@host:6379/0", "redis://user:***@host:6379/0"],
      [
        "rediss://default:a:b@c/d@10.0.0.1:6380/2?family=4",
        "rediss://default:***@10.0.0.1:6380/2?family=4",
      ],
      [
        "redis+sentinel://:p@ss/w0rd@s1:26379,s2:26379/mymaster/3",
        "redis+sentinel://:***@s1:26379,s2:26379/mymaster/3",
      ],
      ["redis+cluster://:p@ss/w0rd@n1:6379,n2:6379", "redis+cluster://:***@n1:6379,n2:6379"],
      ["redis://p%40ss%2Fw0rd@host:6379", "redis://***@host:6379"],
      ["http://u:p@ss/w0rd@x", "http://u:***@x"],
      ["redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"],
    ];
    for (const [url, display] of shown) {
      expect(redisUrlForDisplay(url), url).toBe(display);
      expect(redisUrlForDisplay(url)).not.toMatch(/w0rd|hunter2|a:b/);
    }
    expect(splitRedisUrl("redis://user:p@ss/w0rd@host:6379/0")).toEqual({
      scheme: "redis://",
      username: "user",
      password: PASSWORD,
      bare: false,
      rest: "host:6379/0",
    });
    expect(splitRedisUrl("redis://:p%40ss%2Fw0rd@host").password).toBe(PASSWORD);
    expect(splitRedisUrl("redis://:100%@host").password).toBe("100%");
    expect(() =>
      connectRedis(queueConfig({ REDIS_URL: "http://u:p@ss/w0rd@x" }), "producer"),
    ).toThrow(/REDIS_URL="http:\/\/u:\*\*\*@x"/);
  });

  it("gives Sentinel and Cluster such a password whole, and their hosts", () => {
    try {
      const sentinel = open(
        "redis+sentinel://:p@ss/w0rd@127.0.0.1:1,127.0.0.2:2/mymaster/3",
      ) as Redis;
      expect(sentinel.options.password).toBe(PASSWORD);
      expect(sentinel.options.sentinels).toEqual([
        { host: "127.0.0.1", port: 1 },
        { host: "127.0.0.2", port: 2 },
      ]);
      expect(sentinel.options).toMatchObject({ name: "mymaster", db: 3 });
      const cluster = open("redis+cluster://:p@ss/w0rd@127.0.0.1:1,127.0.0.1:2") as Cluster;
      expect(cluster.options.redisOptions?.password).toBe(PASSWORD);
      const plain = open("redis://user:p@ss/w0rd@127.0.0.1:1/4") as Redis;
      expect(plain.options).toMatchObject({ host: "127.0.0.1", port: 1, db: 4 });
      expect(plain.options).toMatchObject({ username: "user", password: PASSWORD });
    } finally {
      for (const c of closeAll.splice(0)) c.disconnect();
    }
  });

  it("logs in to a real Redis whose password holds @ and /", async () => {
    const server = await startRedisServer();
    try {
      const admin = new Redis(server.url);
      await admin.config("SET", "requirepass", PASSWORD);
      admin.disconnect();
      for (const url of [
        `redis://:${PASSWORD}@127.0.0.1:${server.port}/0`,
        `redis://default:${PASSWORD}@127.0.0.1:${server.port}/1`,
        `redis://default:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}`,
      ]) {
        const client = connectRedis(queueConfig({ REDIS_URL: url }), "worker");
        try {
          await waitReady(client, 5000);
          expect(await client.ping(), redisUrlForDisplay(url)).toBe("PONG");
        } finally {
          client.disconnect();
        }
      }
    } finally {
      await server.stop();
    }
  });
});
