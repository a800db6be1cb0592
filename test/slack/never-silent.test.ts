import { createServer, type Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/log.js";
import type { Engine } from "../../src/queue/engine.js";
import { startRedisServer } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { type FakeSlack, postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";
import { freePort } from "../helpers/sshd.js";

/**
 * An answer is never lost in silence: `serve --http` and an in-process worker against the local
 * Slack stand-in, with the engine held mid-diagnosis while Redis restarts without persistence
 * (its own redis-server) or while Slack is down (503, or nothing listening).
 */

/** An engine that waits for `release()` before answering, and says when it started. */
function heldEngine() {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let started = false;
  const engine: Engine = async (request, { onProgress }) => {
    started = true;
    onProgress({ phase: "collecting", done: 1, total: 2, running: ["iostat"] });
    await gate;
    onProgress({ phase: "collecting", done: 2, total: 2, running: [] });
    return { report: fakeReport({ host: request.host }), outputs: [] };
  };
  return { engine, release, started: () => started };
}

/** Answers in a thread (the Block Kit answer, not the root message). */
const threadAnswers = (fake: FakeSlack) =>
  fake.callsOf("chat.postMessage").filter((c) => c.args.thread_ts && Array.isArray(c.args.blocks));

/** Log lines written by the app and the worker, parsed. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("test", { DIAGBOT_LOG_LEVEL: "info" }, {
    write: (line: string) => lines.push(JSON.parse(line)),
  } as never);
  return { log, lines };
}

/**
 * A TCP relay to the Slack stand-in on a port of its own, which the test can close (connection
 * refused) and open again on the same port.
 */
async function relayTo(target: string) {
  const { port: targetPort } = new URL(target);
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        upstream.connect(Number(targetPort), "127.0.0.1");
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
      }).listen(port, "127.0.0.1", () => resolve());
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server?.close(() => resolve()) ?? resolve();
    });
  await up();
  return { url: `http://127.0.0.1:${port}/api/`, up, down };
}

describe("never silent", () => {
  let h: Harness | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await h?.stop();
    h = undefined;
    while (cleanups.length) await cleanups.pop()!();
  });

  const command = (text: string, user = "U1") =>
    postSigned(
      h!.eventsUrl,
      h!.fake.signingSecret,
      slashCommand({ text, user, responseUrl: h!.fake.responseUrl() }),
    );

  it("answers the first requester from the job data when Redis restarted without persistence mid-diagnosis", async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const held = heldEngine();
    const { log, lines } = capturingLog();
    h = await startHarness({ mode: "http", engine: held.engine, redisUrl: redis.url, log });
    const res = await command("test-host latency --window 1");
    expect(res.status).toBe(200);
    await until(held.started, 10_000, "the diagnosis started");
    const root = h.fake.callsOf("chat.postMessage")[0];
    expect(root.args.text).toMatch(/diagnosing/i);

    // The reply-target set, the job and every other key are gone.
    await redis.stop();
    await redis.start();
    held.release();

    await until(() => threadAnswers(h!.fake).length === 1, 20_000, "the answer was posted");
    const answer = threadAnswers(h.fake)[0];
    expect(answer.args.channel).toBe("C1");
    expect(answer.args.thread_ts).toBe(root.response.ts);
    expect(JSON.stringify(answer.args.blocks)).toContain("test-host");
    // The root message was edited to its final state, not left at "1/2 collectors done".
    await until(
      () =>
        h!.fake
          .callsOf("chat.update")
          .some((c) => c.args.ts === root.response.ts && /sda|saturat|found/i.test(c.args.text)),
      5000,
      "the root message shows the outcome",
    );
    const warning = lines.find((l) => /reply targets are gone/.test(String(l.msg)));
    expect(warning).toMatchObject({ level: 40, channel: "C1", user: "U1" });
    await until(() => lines.some((l) => l.msg === "diagnosis answered"), 5000, "logged");
    const answered = lines.find((l) => l.msg === "diagnosis answered");
    expect(answered).toMatchObject({ posted: 1, targets: 1 });
  });

  it.each([
    ["answers 503", "503"],
    ["refuses connections", "refused"],
  ])(
    "queues an answer for delivery while Slack %s, and posts it exactly once when Slack is back",
    async (_what, mode) => {
      const held = heldEngine();
      const { log, lines } = capturingLog();
      let relay: Awaited<ReturnType<typeof relayTo>> | undefined;
      h = await startHarness({
        mode: "http",
        engine: held.engine,
        log,
        env: { DIAGBOT_DELIVERY_BACKOFF_MS: "500", DIAGBOT_DELIVERY_ATTEMPTS: "8" },
        // The Web API through a relay that the test can switch off (connection refused).
        slackApiUrl: async (fake) => {
          if (mode !== "refused") return fake.apiUrl;
          relay = await relayTo(fake.apiUrl);
          cleanups.push(() => relay!.down());
          return relay.url;
        },
      });
      expect((await command("test-host latency --window 1")).status).toBe(200);
      await until(held.started, 10_000, "the diagnosis started");

      // Slack goes down past the Web API client's own retries (5 tries over about 3 s).
      const answerCall = (args: Record<string, unknown>) =>
        Boolean(args.thread_ts) && Array.isArray(args.blocks);
      // 503 until the test says Slack is back, however many tries the client and the queue make.
      let slackDown = true;
      if (mode === "503")
        h.fake.inject("chat.postMessage", {
          status: 503,
          times: Number.MAX_SAFE_INTEGER,
          when: (args) => slackDown && answerCall(args),
        });
      else await relay!.down();
      held.release();

      await until(
        () => lines.some((l) => /queued for delivery/.test(String(l.msg))),
        20_000,
        "the failed answer went to the delivery queue",
      );
      expect(lines.some((l) => l.msg === "posting the answer failed")).toBe(false);
      expect(threadAnswers(h.fake)).toHaveLength(0);
      if (mode === "refused") await relay!.up();
      else slackDown = false;

      await until(() => threadAnswers(h!.fake).length === 1, 30_000, "the answer was delivered");
      // Later tries and duplicate guards post nothing more.
      await new Promise((r) => setTimeout(r, 1500));
      expect(threadAnswers(h.fake)).toHaveLength(1);
      expect(threadAnswers(h.fake)[0].args.channel).toBe("C1");
      expect(lines.filter((l) => l.msg === "answer delivered after a failed post")).toHaveLength(1);
    },
  );
});
