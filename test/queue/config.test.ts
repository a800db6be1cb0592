import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectRedis, queueConfig } from "../../src/queue/config.js";
import { redact } from "../../src/queue/producer.js";

/** REDIS_URL forms and the queue settings read from the environment. */
describe("queue configuration", () => {
  const closeAll: (Redis | Cluster)[] = [];
  const open = (url: string, role: "producer" | "worker" = "producer") => {
    const c = connectRedis(queueConfig({ REDIS_URL: url }), role);
    c.on("error", () => undefined);
    closeAll.push(c);
    return c;
  };

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

  it("never shows a Redis password in messages", () => {
    expect(redact("redis://user:hunter2@host:6379/0")).toBe("redis://user:***@host:6379/0");
  });
});
