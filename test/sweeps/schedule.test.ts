import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/inventory.js";
import { createLogger } from "../../src/observability/log.js";
import { queueConfig } from "../../src/queue/config.js";
import { ResultStore } from "../../src/queue/store.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { slackConfig, webClient } from "../../src/slack/config.js";
import { slackDigestPoster } from "../../src/slack/digest.js";
import { parseSweeps } from "../../src/sweeps/config.js";
import {
  type SchedulerHandle,
  SWEEP_RUNS_QUEUE,
  startScheduler,
} from "../../src/sweeps/schedule.js";
import { sweepKeys } from "../../src/sweeps/state.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { type FakeSlack, startFakeSlack } from "../helpers/slack-api.js";

/**
 * Scheduled sweeps on a real Redis, digests posted to a local Slack stand-in: two scheduler
 * processes' worth of BullMQ clients share one sweep that runs every 2 s, over replay hosts
 * whose bundles are swapped between runs.
 */
const FIXTURES = fileURLToPath(new URL("../fixtures/sweeps/", import.meta.url));
const EVERY_MS = 2000;

let slack: FakeSlack;
let dir: string;
const prefix = uniquePrefix("sched");
const log = createLogger("test", { DIAGBOT_LOG_LEVEL: "silent" });

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = await mkdtemp(join(tmpdir(), "diagbot-schedule-"));
  await writeFile(
    join(dir, "inventory.yaml"),
    `hosts:
  db-01: { transport: replay, bundle: ./db-01, groups: [fleet] }
  web-01: { transport: replay, bundle: ./web-01, groups: [fleet] }
`,
  );
});
afterAll(async () => {
  await slack?.close();
  await removePrefix(prefix);
});

const use = async (host: string, bundle: string) => {
  await rm(join(dir, host), { recursive: true, force: true });
  await cp(join(FIXTURES, bundle), join(dir, host), { recursive: true });
};

async function scheduler(sweepsYaml: string): Promise<SchedulerHandle> {
  const env = {
    REDIS_URL: SHARED_REDIS_URL,
    DIAGBOT_REDIS_PREFIX: prefix,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    DIAGBOT_STALLED_INTERVAL_MS: "1000",
    DIAGBOT_LOCK_MS: "2000",
    DIAGBOT_HOST_RETRY_MS: "200",
  };
  const { sweeps, issues } = parseSweeps(sweepsYaml, "sweeps.yaml");
  expect(issues).toEqual([]);
  const handle = startScheduler(queueConfig(env), sweeps, {
    inventory: () => loadInventory(join(dir, "inventory.yaml")),
    runbooks: await loadRunbooks(),
    log,
    post: slackDigestPoster(webClient(slackConfig(env, "web"))),
  });
  return handle;
}

const posts = () => slack.callsOf("chat.postMessage");
const until = async (what: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
};

describe("scheduled sweeps", () => {
  it("two schedulers run each tick once; the first digest is exact; no change posts nothing; a fix resolves", async () => {
    await use("db-01", "full-fs");
    await use("web-01", "healthy");
    const yaml = `sweeps:
  fleet-health:
    hosts: fleet
    every: 2s
    channel: C0FLEET
    confirmRuns: 1
`;
    const a = await scheduler(yaml);
    const b = await scheduler(yaml);
    try {
      await until(() => posts().length >= 1, 15_000);
      expect(posts()).toHaveLength(1);
      const first = posts()[0].args;
      expect(first.channel).toBe("C0FLEET");
      expect(first.text).toBe("Sweep fleet-health: 1 new");
      expect(first.blocks[2].text.text).toBe(
        ":new: *db-01*\n• /var/lib/postgresql is 100 % full (0 bytes left for non-root users) (`filesystem-full`, 80 %)",
      );
      expect(first.blocks[2].accessory.value).toBe('{"host":"db-01","symptom":"health"}');

      // Three more ticks with nothing changed: nothing posted, and the state saw each run once.
      const redis = new Redis(SHARED_REDIS_URL);
      const runsOf = async () =>
        JSON.parse((await redis.get(sweepKeys(prefix, "fleet-health").state)) ?? "{}").runs ?? 0;
      const runsBefore = await runsOf();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 3 * EVERY_MS + 500));
      const elapsed = Date.now() - t0;
      const runsAfter = await runsOf();
      expect(posts()).toHaveLength(1);
      // One run per tick whatever the number of schedulers (two would double it).
      expect(runsAfter - runsBefore).toBeGreaterThanOrEqual(2);
      expect(runsAfter - runsBefore).toBeLessThanOrEqual(Math.ceil(elapsed / EVERY_MS) + 1);

      // The fix: resolved (confirmRuns 1: at the next run).
      await use("db-01", "healthy");
      await until(() => posts().length >= 2, 10_000);
      expect(posts()[1].args.text).toBe("Sweep fleet-health: 1 resolved");
      await new Promise((r) => setTimeout(r, EVERY_MS + 500));
      expect(posts()).toHaveLength(2);
      redis.disconnect();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a host another sweep is diagnosing waits for it: one sweep diagnosis per host", async () => {
    await use("db-01", "full-fs");
    await use("web-01", "healthy");
    const redis = new Redis(SHARED_REDIS_URL);
    const slots = new ResultStore(redis, prefix, { ttlSeconds: 60, maxBytes: 4096 });
    expect(await slots.takeSlot("sweep", "web-01", "another-sweep", 1, 60_000)).toBe(true);
    const s = await scheduler(
      "sweeps:\n  slot:\n    hosts: fleet\n    every: 1h\n    channel: C0SLOT\n    heartbeat: true\n    confirmRuns: 1\n",
    );
    try {
      const slotPosts = () => posts().filter((p) => p.args.channel === "C0SLOT");
      await new Promise((r) => setTimeout(r, 3000));
      expect(slotPosts()).toHaveLength(0);
      const released = Date.now();
      await slots.releaseSlot("sweep", "web-01", "another-sweep");
      await until(() => slotPosts().length >= 1, 10_000);
      expect(slotPosts()).toHaveLength(1);
      expect(slotPosts()[0].at).toBeGreaterThanOrEqual(released);
      expect(JSON.stringify(slotPosts()[0].args.blocks)).toContain(
        "2 hosts · 0 still present · 0 unreachable",
      );
    } finally {
      await s.close();
      redis.disconnect();
    }
  });

  it("a sweep's concurrency bounds its hosts diagnosing at once, and every host is answered", async () => {
    await use("db-01", "full-fs");
    await use("web-01", "full-fs");
    const redis = new Redis(SHARED_REDIS_URL);
    const places = new ResultStore(redis, prefix, { ttlSeconds: 60, maxBytes: 4096 });
    // The sweep's one place (concurrency: 1) is held by someone else: no host may start.
    expect(await places.takeSlot("sweep-run", "one", "elsewhere", 1, 60_000)).toBe(true);
    const s = await scheduler(
      "sweeps:\n  one:\n    hosts: fleet\n    every: 1h\n    channel: C0ONE\n    heartbeat: true\n    confirmRuns: 1\n    concurrency: 1\n",
    );
    try {
      const onePosts = () => posts().filter((p) => p.args.channel === "C0ONE");
      await new Promise((r) => setTimeout(r, 3000));
      expect(onePosts()).toHaveLength(0);
      await places.releaseSlot("sweep-run", "one", "elsewhere");
      await until(() => onePosts().length >= 1, 20_000);
      expect(onePosts()[0].args.text).toBe("Sweep one: 2 new");
      // Every host gave its place back.
      expect(await redis.zcard(places.slotKey("sweep-run", "one"))).toBe(0);
    } finally {
      await s.close();
      redis.disconnect();
    }
  });

  it("a sweep removed from the file is removed from Redis, with its state", async () => {
    const s = await scheduler("sweeps: {}\n");
    try {
      // Each test's file held only its own sweep, which removed the one before.
      expect(await s.synced).toEqual(["one"]);
      const queue = new Queue(SWEEP_RUNS_QUEUE, { connection: { url: SHARED_REDIS_URL }, prefix });
      expect(await queue.getJobSchedulers(0, -1)).toEqual([]);
      await queue.close();
      const redis = new Redis(SHARED_REDIS_URL);
      expect(await redis.exists(sweepKeys(prefix, "fleet-health").state)).toBe(0);
      expect(await redis.exists(sweepKeys(prefix, "slot").state)).toBe(0);
      redis.disconnect();
    } finally {
      await s.close();
    }
  });
});
