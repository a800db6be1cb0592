import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/queue/engine.js";
import { replayKey } from "../../src/slack/request-guard.js";
import { SHARED_REDIS_URL } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { postSigned, sign, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * `serve --http` refuses requests stamped in the future and replays of a signed request, and
 * acknowledges Slack's own retries without a second diagnosis, over real HTTP and Redis.
 */
const engine: Engine = async (request) => ({
  report: fakeReport({ host: request.host }),
  outputs: [],
});

describe("serve --http: future timestamps, replays and Slack retries", () => {
  let h: Harness;
  const roots = (channel: string) =>
    h.fake
      .callsOf("chat.postMessage")
      .filter((c) => c.args.channel === channel && !c.args.thread_ts);
  const body = (channel: string) =>
    slashCommand({ text: "test-host --window 1s", responseUrl: h.fake.responseUrl(), channel });

  beforeAll(async () => {
    h = await startHarness({ mode: "http", engine });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("refuses a correctly signed request stamped 6 minutes or 10 years ahead with 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [6 * 60, 10 * 365 * 24 * 3600]) {
      const r = await postSigned(h.eventsUrl, h.fake.signingSecret, body("CF"), {
        timestamp: now + ahead,
      });
      expect(r.status).toBe(401);
    }
    // A clock 60 s ahead is within Slack's five minutes.
    const ok = await postSigned(h.eventsUrl, h.fake.signingSecret, body("CF"), {
      timestamp: now + 60,
    });
    expect(ok.status).toBe(200);
    await until(() => roots("CF").length === 1, 20_000, "the in-tolerance request's diagnosis");
  });

  it("an identical replay within 5 minutes is refused and starts no second diagnosis", async () => {
    const text = body("CR");
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await postSigned(h.eventsUrl, h.fake.signingSecret, text, { timestamp });
    expect(first.status).toBe(200);
    const replays = await Promise.all(
      [1, 2, 3].map(() => postSigned(h.eventsUrl, h.fake.signingSecret, text, { timestamp })),
    );
    expect(replays.map((r) => r.status)).toEqual([401, 401, 401]);
    await until(() => roots("CR").length >= 1, 20_000, "the first request's diagnosis");
    await new Promise((r) => setTimeout(r, 1500));
    expect(roots("CR")).toHaveLength(1);
    // The signature is kept under the deployment's prefix, for at most 5 minutes.
    const redis = new Redis(SHARED_REDIS_URL);
    const ttl = await redis.ttl(replayKey(h.prefix, sign(h.fake.signingSecret, timestamp, text)));
    redis.disconnect();
    expect(ttl).toBeGreaterThan(280);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it("Slack's own retry (X-Slack-Retry-Num) is acknowledged with 200 and starts nothing", async () => {
    const text = body("CT");
    const first = await postSigned(h.eventsUrl, h.fake.signingSecret, text);
    expect(first.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const retry = await postSigned(h.eventsUrl, h.fake.signingSecret, text, {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    expect(retry.status).toBe(200);
    expect(retry.body).toBe("");
    await until(() => roots("CT").length >= 1, 20_000, "the first request's diagnosis");
    await new Promise((r) => setTimeout(r, 1500));
    expect(roots("CT")).toHaveLength(1);
  });

  it("a bad signature is still refused by the receiver, and not cached", async () => {
    const r = await postSigned(h.eventsUrl, h.fake.signingSecret, body("CB"), {
      badSignature: true,
    });
    expect(r.status).toBe(401);
  });
});
