import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/queue/engine.js";
import { BIN } from "../helpers/cli.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { type FakeSlack, postSigned, slashCommand, startFakeSlack } from "../helpers/slack-api.js";
import { startHarness, until } from "../helpers/slack-harness.js";
import { freePort } from "../helpers/sshd.js";

/**
 * Scheduled sweeps with real processes (the built `diagbot`) on a real Redis, digests posted to
 * a local Slack stand-in: two `diagbot scheduler` processes share a sweep every 2 s; three
 * `diagbot worker` processes share a sweep's hosts while one of them is SIGKILLed mid-host.
 */
const FIXTURES = fileURLToPath(new URL("../fixtures/sweeps/", import.meta.url));

interface Proc {
  child: ChildProcess;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const procs: Proc[] = [];
function start(verb: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [BIN, verb], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const p: Proc = {
    child,
    stderr: () => err,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  procs.push(p);
  return p;
}

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await slack?.close();
});

/** A fleet of `n` replay hosts, all with `bundle` (default: the full file system), and a sweeps file over it. */
async function setup(n: number, sweeps: string, bundle = "full-fs") {
  const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-procs-"));
  const names = Array.from({ length: n }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  for (const name of names) await cp(join(FIXTURES, bundle), join(dir, name), { recursive: true });
  await writeFile(
    join(dir, "inventory.yaml"),
    `hosts:\n${names.map((h) => `  ${h}: { transport: replay, bundle: ./${h}, groups: [fleet] }\n`).join("")}`,
  );
  await writeFile(join(dir, "sweeps.yaml"), sweeps);
  const prefix = uniquePrefix("procs");
  const env: NodeJS.ProcessEnv = {
    REDIS_URL: SHARED_REDIS_URL,
    DIAGBOT_REDIS_PREFIX: prefix,
    DIAGBOT_INVENTORY: join(dir, "inventory.yaml"),
    DIAGBOT_SWEEPS: join(dir, "sweeps.yaml"),
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    DIAGBOT_LOCK_MS: "2000",
    DIAGBOT_STALLED_INTERVAL_MS: "1000",
    DIAGBOT_LOG_LEVEL: "warn",
  };
  return { names, prefix, env, dir };
}

const postsTo = (channel: string) =>
  slack.callsOf("chat.postMessage").filter((c) => c.args.channel === channel);
/** The run time a digest names in its context line. */
const runOf = (call: { args: Record<string, unknown> }) =>
  /run of ([0-9TZ:.-]+)/.exec(JSON.stringify(call.args.blocks))?.[1];

describe("scheduler processes", () => {
  it("waits for a Redis that is away without stack traces, and stops at SIGTERM with exit 0", async () => {
    const { prefix, env } = await setup(
      1,
      "sweeps:\n  away:\n    hosts: fleet\n    every: 2s\n    channel: C0AWAY\n",
    );
    try {
      const p = start("scheduler", { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      await until(() => /waiting for Redis/.test(p.stderr()), 20_000, "waiting for Redis");
      const stopped = Date.now();
      await p.stop();
      expect(p.child.exitCode, p.stderr()).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(8000);
      expect(p.stderr()).not.toMatch(/TCPConnectWrap|Unhandled error/);
    } finally {
      await removePrefix(prefix);
    }
  });

  it("two schedulers, a sweep every 2 s: each run executes once", async () => {
    const { prefix, env } = await setup(
      2,
      "sweeps:\n  tick:\n    hosts: fleet\n    every: 2s\n    channel: C0TICK\n    heartbeat: true\n    confirmRuns: 1\n",
    );
    try {
      const a = start("scheduler", env);
      const b = start("scheduler", env);
      await until(() => /ready/.test(a.stderr()) && /ready/.test(b.stderr()), 30_000, "ready");
      await until(() => postsTo("C0TICK").length >= 1, 30_000, "first digest");
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 9000));
      const posts = postsTo("C0TICK");
      const runs = posts.map(runOf);
      // Every post is a different run, runs are a tick apart, and there is one per tick.
      expect(new Set(runs).size).toBe(runs.length);
      const times = runs.map((r) => Date.parse(r!)).sort((x, y) => x - y);
      for (let i = 1; i < times.length; i++)
        expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
      const ticks = (Date.now() - t0) / 2000;
      expect(posts.length).toBeGreaterThanOrEqual(Math.floor(ticks) - 1);
      expect(posts.length).toBeLessThanOrEqual(Math.ceil(ticks) + 2);
      expect(posts[0].args.text).toBe("Sweep tick: 2 new");
      // SIGTERM stops a scheduler at once: exit 0, its connections closed.
      const stopped = Date.now();
      await a.stop();
      expect(a.child.exitCode).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(8000);
    } finally {
      await removePrefix(prefix);
    }
  });

  it("three workers share a sweep, one SIGKILLed mid-host: every host answered exactly once", async () => {
    const { names, prefix, env } = await setup(
      12,
      "sweeps:\n  fleet:\n    hosts: fleet\n    every: 1h\n    channel: C0KILL\n    heartbeat: true\n    confirmRuns: 1\n",
    );
    try {
      const held = start("worker", { ...env, DIAGBOT_TEST_HOOK: "hold-sweep-host" });
      start("worker", { ...env, DIAGBOT_SWEEP_CONCURRENCY: "2" });
      start("worker", { ...env, DIAGBOT_SWEEP_CONCURRENCY: "2" });
      await until(() => procs.every((p) => /ready/.test(p.stderr())), 30_000, "workers ready");
      start("scheduler", { ...env, DIAGBOT_SWEEP_CONCURRENCY: "1" });
      await until(() => /diagbot-test-hook: held/.test(held.stderr()), 30_000, "a host held");
      await held.stop("SIGKILL");
      await until(() => postsTo("C0KILL").length >= 1, 60_000, "the digest");
      const digest = postsTo("C0KILL")[0];
      expect(digest.args.text).toBe("Sweep fleet: 12 new");
      const text = JSON.stringify(digest.args.blocks);
      for (const h of names) expect(text).toContain(`*${h}*`);
      expect(text).toContain("12 hosts · 0 still present · 0 unreachable");
      const queue = new Queue("sweep-hosts", { connection: { url: SHARED_REDIS_URL }, prefix });
      const counts = await queue.getJobCounts("completed", "failed", "active", "wait");
      await queue.close();
      expect(counts).toEqual({ completed: 12, failed: 0, active: 0, wait: 0 });
      await new Promise((r) => setTimeout(r, 1500));
      expect(postsTo("C0KILL")).toHaveLength(1);
    } finally {
      await removePrefix(prefix);
    }
  });
});

describe("a sweep never slows an interactive /diagnose", () => {
  const engine: Engine = async (request) => {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    return { report: fakeReport({ host: request.host, excerpt: "sda util 99 %" }), outputs: [] };
  };
  const WINDOW_MS = 1000;

  it("while a 50-host sweep runs, /diagnose is answered within 1 s of its time on an idle queue", async () => {
    const h = await startHarness({ mode: "http", engine, hosts: { "app-01": ["app"] } });
    const { prefix, env } = await setup(
      50,
      "sweeps:\n  big:\n    hosts: fleet\n    every: 1h\n    channel: C0BIG\n    heartbeat: true\n    confirmRuns: 1\n",
      "oom",
    );
    const hostsQueue = new Queue("sweep-hosts", { connection: { url: SHARED_REDIS_URL }, prefix });
    try {
      const diagnose = async (channel: string) => {
        const t0 = Date.now();
        await postSigned(
          h.eventsUrl,
          h.fake.signingSecret,
          slashCommand({ text: "app-01", channel, responseUrl: h.fake.responseUrl() }),
        );
        const answered = () =>
          h.fake
            .callsOf("chat.postMessage")
            .some(
              (c) => c.args.channel === channel && c.args.thread_ts && Array.isArray(c.args.blocks),
            );
        await until(answered, 30_000, `answer in ${channel}`);
        return Date.now() - t0;
      };
      const idleMs = await diagnose("C0IDLE");
      // The sweep's own processes: a scheduler and two workers, 4 hosts at once each.
      const sweepEnv = { ...env, DIAGBOT_SWEEP_CONCURRENCY: "4" };
      start("scheduler", sweepEnv);
      start("worker", sweepEnv);
      start("worker", sweepEnv);
      await until(
        async () => (await hostsQueue.getJobCounts("active")).active > 0,
        60_000,
        "sweep running",
      );
      const busyAsked = Date.now();
      const busyMs = await diagnose("C0BUSY");
      const left = await hostsQueue.getJobCounts("active", "wait", "prioritized", "completed");
      // Measured on a loaded 2-core machine: printed for the record.
      process.stderr.write(
        `/diagnose: idle ${idleMs} ms, during the sweep ${busyMs} ms; sweep jobs then ${JSON.stringify(left)}\n`,
      );
      expect(busyMs).toBeLessThanOrEqual(idleMs + 1000);
      await until(() => postsTo("C0BIG").length >= 1, 120_000, "the sweep's digest");
      expect(postsTo("C0BIG")[0].args.text).toMatch(/^Sweep big: /);
      // The sweep was still running when the /diagnose was asked: its digest came after.
      expect(postsTo("C0BIG")[0].at).toBeGreaterThan(busyAsked);
    } finally {
      await hostsQueue.close();
      await h.stop();
      await removePrefix(prefix);
    }
  });
});
