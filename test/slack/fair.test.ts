import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Engine, liveEngine } from "../../src/queue/engine.js";
import { ACTIONS } from "../../src/render/blocks.js";
import { fakeReport } from "../helpers/reports.js";
import {
  buttonPayload,
  type FakeSlack,
  type Json,
  postSigned,
  slashCommand,
} from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * No one starves everyone: `serve --http` with an in-process worker, real Redis, the local Slack
 * stand-in. Rate limits answer with an ephemeral message; one person's backlog of long
 * diagnoses on real hosts (`transport: local`, whose collectors take their whole window) does
 * not delay another person's short one.
 */

const threadAnswers = (fake: FakeSlack) =>
  fake.callsOf("chat.postMessage").filter((c) => c.args.thread_ts && Array.isArray(c.args.blocks));

describe("fair service", () => {
  let h: Harness | undefined;

  /** Diagnoses of the real engine in hand, stopped (collectors and all) before the harness stops. */
  const inHand = new Set<AbortController>();
  let stopping = false;

  afterEach(async () => {
    stopping = true;
    for (const c of inHand) c.abort(new Error("test over"));
    await h?.stop();
    stopping = false;
    h = undefined;
  });

  const command = (text: string, user: string, channel = "C1") => {
    const responseUrl = h!.fake.responseUrl();
    return postSigned(
      h!.eventsUrl,
      h!.fake.signingSecret,
      slashCommand({ text, user, channel, responseUrl }),
    ).then((r) => ({ ...r, json: r.body ? JSON.parse(r.body) : undefined, responseUrl }));
  };

  it("refuses requests over the per-person and per-channel rate limits with an ephemeral message saying which limit and when to retry", async () => {
    const engine: Engine = async (request) => ({
      report: fakeReport({ host: request.host }),
      outputs: [],
    });
    h = await startHarness({
      mode: "http",
      engine,
      env: { DIAGBOT_USER_RATE: "2", DIAGBOT_CHANNEL_RATE: "3", DIAGBOT_RATE_WINDOW: "60" },
    });
    expect((await command("test-host", "U1")).json).toBeUndefined();
    expect((await command("test-host disk", "U1")).json).toBeUndefined();
    const third = await command("test-host cpu", "U1");
    expect(third.status).toBe(200);
    expect(third.json.response_type).toBe("ephemeral");
    expect(third.json.text).toMatch(
      /rate limit: one person may ask for 2 diagnoses per 60 s \(DIAGBOT_USER_RATE\)\. Try again in (\d+) s\./,
    );
    const wait = Number(/Try again in (\d+) s/.exec(third.json.text)![1]);
    expect(wait).toBeGreaterThan(50);
    expect(wait).toBeLessThanOrEqual(60);

    // Another person in the same channel may still ask, until the channel's limit.
    expect((await command("test-host memory", "U2")).json).toBeUndefined();
    const fourth = await command("test-host network", "U3");
    expect(fourth.json.text).toMatch(
      /rate limit: one channel may ask for 3 diagnoses per 60 s \(DIAGBOT_CHANNEL_RATE\)\. Try again in \d+ s\./,
    );
    // In another channel, that person is not limited; a refused request did not count.
    expect((await command("test-host network", "U3", "C2")).json).toBeUndefined();
    await until(() => threadAnswers(h!.fake).length === 4, 20_000, "four answers");
    expect(h.fake.callsOf("chat.postMessage").filter((c) => !c.args.thread_ts)).toHaveLength(4);

    // The answer's Re-run button counts too: U1 is over the limit, and is told so privately.
    const answer = threadAnswers(h.fake).find((c) => c.args.channel === "C2")!;
    const actions = (answer.args.blocks as Json[]).find((b) => b.type === "actions");
    const press = async (user: string) => {
      const responseUrl = h!.fake.responseUrl();
      const payload = buttonPayload({
        actionId: ACTIONS.rerun,
        value: actions.elements[0].value,
        user,
        channel: "C2",
        messageTs: answer.args.thread_ts,
        threadTs: answer.args.thread_ts,
        responseUrl,
      });
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      expect((await postSigned(h!.eventsUrl, h!.fake.signingSecret, body)).status).toBe(200);
      const id = responseUrl.split("/").pop();
      await until(() => h!.fake.responses.some((r) => r.id === id), 5000, "the refusal");
      return h!.fake.responses.find((r) => r.id === id)!.body;
    };
    const refused = await press("U1");
    expect(refused.response_type).toBe("ephemeral");
    expect(refused.text).toMatch(
      /rate limit: one person may ask for 2 diagnoses per 60 s \(DIAGBOT_USER_RATE\)\. Try again in \d+ s\./,
    );
    expect(h.fake.callsOf("chat.postMessage").filter((c) => !c.args.thread_ts)).toHaveLength(4);
  });

  it("while one person has 20 `--window 60` diagnoses queued, another person's `--window 1` diagnosis starts within 5 s and is answered", async () => {
    const hosts = Array.from({ length: 20 }, (_, i) => `a-${String(i + 1).padStart(2, "0")}`);
    const inventory = `hosts:\n${[...hosts, "b-01"].map((n) => `  ${n}: { transport: local, groups: [lab] }\n`).join("")}`;
    const started = new Map<string, number>();
    let live: Engine | undefined;
    // The real engine on this machine; the wrapper only notes when each host's diagnosis starts.
    const engine: Engine = (request, context) => {
      if (stopping) return Promise.reject(new Error("test over"));
      started.set(request.host, Date.now());
      live ??= liveEngine({ inventoryPath: join(h!.dir, "inventory.yaml") });
      const stop = new AbortController();
      inHand.add(stop);
      context.signal.addEventListener("abort", () => stop.abort(context.signal.reason));
      return live(request, { ...context, signal: stop.signal }).finally(() => inHand.delete(stop));
    };
    h = await startHarness({
      mode: "http",
      engine,
      inventory,
      env: {
        DIAGBOT_WORKER_CONCURRENCY: "2",
        DIAGBOT_USER_CONCURRENCY: "1",
        DIAGBOT_USER_RATE: "30",
        DIAGBOT_HOST_RETRY_MS: "1000",
        // A job waiting behind its requester's cap is not "unclaimed": none may end as such.
        DIAGBOT_UNCLAIMED_MS: "4000",
        // This machine runs the collectors too: Redis may answer slowly.
        DIAGBOT_REDIS_CONNECT_TIMEOUT_MS: "3000",
      },
    });
    const queued = [];
    for (const host of hosts) queued.push(await command(`${host} cpu --window 60`, "UA"));
    const lastQueuedAt = Date.now();
    expect(queued.every((r) => r.status === 200 && r.json === undefined)).toBe(true);
    await until(() => started.size >= 1, 10_000, "the first of UA's diagnoses started");
    // UA's later requests were told they wait behind UA's own.
    await until(
      () =>
        h!.fake.responses.some((r) =>
          /queued behind 1[6-9] of your own requests: other people's requests go first and at most 1 of yours run at once \(DIAGBOT_USER_CONCURRENCY\)/.test(
            r.body.text,
          ),
        ),
      10_000,
      "UA was told about the backlog",
    );

    const asked = Date.now();
    const b = await command("b-01 cpu --window 1", "UB");
    expect(b.json).toBeUndefined();
    await until(() => started.has("b-01"), 10_000, "UB's diagnosis started");
    const startedAfterMs = started.get("b-01")! - asked;
    expect(startedAfterMs).toBeLessThan(5000);
    const root = () =>
      h!.fake
        .callsOf("chat.postMessage")
        .find((c) => !c.args.thread_ts && /b-01/.test(c.args.text));
    await until(
      () => threadAnswers(h!.fake).some((c) => c.args.thread_ts === root()?.response.ts),
      40_000,
      "UB's diagnosis was answered",
    );
    const answeredAfterMs =
      threadAnswers(h.fake).find((c) => c.args.thread_ts === root()?.response.ts)!.at - asked;
    // Every one of UA's unclaimed-job checks has run by now.
    await new Promise((r) => setTimeout(r, Math.max(0, lastQueuedAt + 5000 - Date.now())));
    expect(
      h.fake.calls.filter((c) => /no worker took this diagnosis/.test(JSON.stringify(c.args))),
    ).toHaveLength(0);
    // Only one of UA's diagnoses ran meanwhile (one at a time per person).
    expect([...started.keys()].filter((k) => k.startsWith("a-"))).toHaveLength(1);
    process.stderr.write(
      `fair: UB started after ${startedAfterMs} ms, answered after ${answeredAfterMs} ms\n`,
    );
  });
});
