import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/queue/engine.js";
import { ACTIONS } from "../../src/render/blocks.js";
import { startRedisServer } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { buttonPayload, type Json, postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * `diagbot serve --http` against the local Slack stand-in and real Redis, with an in-process
 * worker whose engine is a stand-in (the real engine over SSH is in e2e.test.ts).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const engine: Engine = async (request, { onProgress }) => {
  for (let i = 1; i <= 4; i++) {
    onProgress({ phase: "collecting", done: i, total: 4, running: [] });
    await sleep(120);
  }
  return {
    report: fakeReport({
      host: request.host,
      excerpt: "postgres --password=hunter2 uses sda: util 99 %",
    }),
    outputs: [
      {
        id: "top",
        status: "ok",
        durationMs: 5,
        out: Buffer.from("  PID COMMAND\n 4242 app --token=abcdef123456\n"),
      },
    ],
  };
};

const hosts: Record<string, string[]> = { "test-host": ["test"], "db-1": ["db"] };
for (let i = 1; i <= 30; i++) hosts[`web-${String(i).padStart(2, "0")}`] = ["web"];

describe("serve --http", () => {
  let h: Harness;
  const command = (text: string, extra: { user?: string; channel?: string } = {}) => {
    const responseUrl = h.fake.responseUrl();
    return {
      responseUrl,
      res: postSigned(
        h.eventsUrl,
        h.fake.signingSecret,
        slashCommand({ text, responseUrl, ...extra }),
      ),
    };
  };
  const answers = () =>
    h.fake
      .callsOf("chat.postMessage")
      .filter((c) => c.args.thread_ts && Array.isArray(c.args.blocks));

  beforeAll(async () => {
    h = await startHarness({
      mode: "http",
      engine,
      hosts,
      rbac: [
        "roles:",
        "  oncall: { hostGroups: [test, web], costClasses: [cheap, sampling] }",
        "  sre: { hostGroups: ['*'], costClasses: [cheap, sampling, intrusive] }",
        "bindings:",
        "  - { role: sre, users: [U2] }",
        "  - { role: sre, usergroups: [S1] }",
        "default: oncall",
      ].join("\n"),
      usergroups: { S1: ["U3"] },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("refuses a bad signature and a stale timestamp with 401", async () => {
    const body = slashCommand({ text: "test-host", responseUrl: h.fake.responseUrl() });
    const bad = await postSigned(h.eventsUrl, h.fake.signingSecret, body, { badSignature: true });
    expect(bad.status).toBe(401);
    const stale = await postSigned(h.eventsUrl, h.fake.signingSecret, body, {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    expect(h.fake.callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("answers /diagnose help with the usage, privately", async () => {
    const r = await command("help").res;
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("/diagnose <host> [symptom]");
  });

  it("an unknown host gets an ephemeral message with hosts by prefix, at most 20, only those the user may diagnose", async () => {
    const r = await command("web-").res;
    const body = JSON.parse(r.body);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("unknown host `web-`");
    const listed = body.text.match(/`web-\d\d`/g) ?? [];
    expect(listed.length).toBe(20);
    expect(listed[0]).toBe("`web-01`");
    // db-1 exists, but oncall may not diagnose the db group: it is neither allowed nor listed.
    const db = JSON.parse((await command("db-1").res).body);
    expect(db.text).toContain("unknown host `db-1`");
    expect(db.text).not.toContain("`db-1`,");
    expect(r.ms).toBeLessThan(3000);
  });

  it("an unknown symptom or option says what is wrong and the choices", async () => {
    const s = JSON.parse((await command("test-host slow").res).body);
    expect(s.text).toMatch(/unknown symptom "slow".*latency, errors, cpu/s);
    const o = JSON.parse((await command("test-host --verbose").res).body);
    expect(o.text).toMatch(
      /unknown option --verbose.*--pid N, --process NAME, --deep, --window 5s/s,
    );
    const w = JSON.parse((await command("test-host —window 90s").res).body);
    expect(w.text).toMatch(/--window "90s": expected 1 s to 60 s/);
  });

  it("refuses a deep dive to a user without intrusive rights, with the reason", async () => {
    const r = JSON.parse((await command("test-host --deep").res).body);
    expect(r.response_type).toBe("ephemeral");
    expect(r.text).toMatch(/deep dives .* not allowed for you/);
  });

  it("acks, posts the root message, edits it with progress, answers in the thread (through a 429 and a 5xx)", async () => {
    h.fake.inject("chat.postMessage", {
      status: 429,
      retryAfter: 1,
      when: (a) => Boolean(a.thread_ts),
    });
    h.fake.inject("chat.update", { status: 500 });
    const before = h.fake.calls.length;
    const { res } = command("test-host latency --window 1s", { channel: "C9" });
    const r = await res;
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    await until(() => answers().some((a) => a.args.channel === "C9"), 20_000, "thread answer");
    const calls = h.fake.calls.slice(before).filter((c) => c.args.channel === "C9");
    const root = calls.find((c) => c.method === "chat.postMessage" && !c.args.thread_ts)!;
    expect(root.args.text).toMatch(/diagnosing test-host \(latency\)/);
    const answer = answers().find((a) => a.args.channel === "C9")!;
    expect(answer.at).toBeGreaterThan(root.at);
    expect(answer.args.thread_ts).toBe(root.response.ts);
    const progress = h.fake
      .callsOf("chat.update")
      .filter((c) => c.args.channel === "C9" && /collectors done/.test(c.args.text));
    expect(progress.length).toBeGreaterThan(0);
    const counts = progress.map((c) => Number(/(\d+)\/4/.exec(c.args.text)![1]));
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(progress[0].at).toBeLessThan(answer.at);
    expect(answer.args.text).toMatch(/disk-saturation/);
    // The 429 was waited out (Retry-After: 1), not dropped.
    expect(h.fake.calls.some((c) => c.status === 429)).toBe(true);
    const blocks = JSON.stringify(answer.args.blocks);
    expect(blocks).not.toContain("hunter2");
    expect(blocks).toContain("[REDACTED]");
    expect(blocks).toMatch(/secrets? redacted/);
    await until(
      () =>
        h.fake
          .callsOf("chat.update")
          .some((c) => c.args.channel === "C9" && /answer in the thread/.test(c.args.text)),
      5000,
      "root edited with the headline",
    );
  });

  it("answers through response_url with an invite hint when the bot is not in the channel", async () => {
    h.fake.inject("chat.postMessage", {
      error: "not_in_channel",
      when: (a) => a.channel === "C-OUT",
    });
    const { responseUrl, res } = command("test-host disk --window 1s", { channel: "C-OUT" });
    expect((await res).status).toBe(200);
    const id = responseUrl.split("/").pop();
    await until(
      () => h.fake.responses.filter((r) => r.id === id).length >= 2,
      20_000,
      "answer via response_url",
    );
    const [first, second] = h.fake.responses.filter((r) => r.id === id);
    expect(first.body.text).toMatch(/invite the bot/);
    expect(second.body.response_type).toBe("in_channel");
    expect(JSON.stringify(second.body.blocks)).toContain("disk-saturation");
  });

  it("buttons: Show evidence uploads the redacted bundle, Re-run answers again in the thread, Deep dive checks rights", async () => {
    const { res } = command("test-host errors --window 1s", { channel: "C5" });
    await res;
    await until(() => answers().some((a) => a.args.channel === "C5"), 20_000, "first answer");
    const answer = answers().find((a) => a.args.channel === "C5")!;
    const actions = (answer.args.blocks as Json[]).find((b) => b.type === "actions");
    const id = actions.elements[0].value as string;
    const press = (actionId: string, user = "U1") => {
      const responseUrl = h.fake.responseUrl();
      const payload = buttonPayload({
        actionId,
        value: id,
        user,
        channel: "C5",
        messageTs: "1700000999.000001",
        threadTs: answer.args.thread_ts,
        responseUrl,
      });
      return {
        responseUrl,
        res: postSigned(
          h.eventsUrl,
          h.fake.signingSecret,
          new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        ),
      };
    };

    expect((await press(ACTIONS.evidence).res).status).toBe(200);
    await until(
      () => h.fake.callsOf("files.completeUploadExternal").length > 0,
      10_000,
      "upload completed",
    );
    const complete = h.fake.callsOf("files.completeUploadExternal")[0];
    expect(complete.args.channel_id).toBe("C5");
    expect(complete.args.thread_ts).toBe(answer.args.thread_ts);
    expect(h.fake.callsOf("files.getUploadURLExternal")).toHaveLength(2);
    const uploaded = [...h.fake.uploads.values()].map((b) => b.toString("latin1"));
    const text = uploaded.find((u) => u.startsWith("diagbot evidence"))!;
    expect(text).toContain("==> top.out <==");
    expect(text).toContain("--token=[REDACTED]");
    expect(text).not.toContain("abcdef123456");
    expect(uploaded.some((u) => u.startsWith("\x1f\x8b"))).toBe(true);

    const rerun = press(ACTIONS.rerun);
    expect((await rerun.res).status).toBe(200);
    await until(
      () => answers().filter((a) => a.args.thread_ts === answer.args.thread_ts).length >= 2,
      20_000,
      "re-run answer",
    );
    expect(
      h.fake
        .callsOf("chat.postMessage")
        .some(
          (c) =>
            c.args.thread_ts === answer.args.thread_ts && /diagnosing test-host/.test(c.args.text),
        ),
    ).toBe(true);

    const denied = press(ACTIONS.deep, "U1");
    await denied.res;
    const deniedId = denied.responseUrl.split("/").pop();
    await until(() => h.fake.responses.some((r) => r.id === deniedId), 5000, "deep dive refusal");
    expect(h.fake.responses.find((r) => r.id === deniedId)!.body.text).toMatch(
      /not allowed for you/,
    );

    for (const user of ["U2", "U3"]) {
      const allowed = press(ACTIONS.deep, user);
      await allowed.res;
      await until(
        () =>
          h.fake
            .callsOf("chat.postMessage")
            .some(
              (c) =>
                c.args.thread_ts === answer.args.thread_ts &&
                /\(errors, deep\)/.test(c.args.text ?? ""),
            ),
        5000,
        `deep dive by ${user} queued`,
      );
    }
    await until(
      () => answers().filter((a) => a.args.thread_ts === answer.args.thread_ts).length >= 3,
      20_000,
      "deep answer",
    );
  });

  it("App Home lists recent diagnoses with their top hypothesis", async () => {
    const event = {
      token: "x",
      team_id: "T1",
      api_app_id: "A1",
      type: "event_callback",
      event_id: "Ev1",
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: "app_home_opened",
        user: "U1",
        channel: "D1",
        tab: "home",
        event_ts: "1700000000.1",
      },
    };
    const r = await postSigned(h.eventsUrl, h.fake.signingSecret, JSON.stringify(event), {
      contentType: "application/json",
    });
    expect(r.status).toBe(200);
    await until(() => h.fake.callsOf("views.publish").length > 0, 5000, "views.publish");
    const view = h.fake.callsOf("views.publish")[0].args.view;
    expect(view.type).toBe("home");
    expect(JSON.stringify(view.blocks)).toContain("test-host");
    expect(JSON.stringify(view.blocks)).toContain("disk-saturation");
  });
});

describe("serve --http with Redis down", () => {
  it("answers 'queue unavailable' within 3 s, and works again once Redis is back", async () => {
    const redis = await startRedisServer();
    const h = await startHarness({ mode: "http", redisUrl: redis.url, engine });
    try {
      await redis.stop();
      await sleep(200);
      const body = slashCommand({
        text: "test-host --window 1s",
        responseUrl: h.fake.responseUrl(),
        channel: "C7",
      });
      const r = await postSigned(h.eventsUrl, h.fake.signingSecret, body);
      expect(r.ms).toBeLessThan(3000);
      const msg = JSON.parse(r.body);
      expect(msg.response_type).toBe("ephemeral");
      expect(msg.text).toMatch(/queue is unavailable/);
      await redis.start();
      await until(() => h.producer.ready, 10_000, "producer reconnected");
      await until(
        async () => (await h.worker!.redis.ping().catch(() => "")) === "PONG",
        10_000,
        "worker reconnected",
      );
      const ok = await postSigned(
        h.eventsUrl,
        h.fake.signingSecret,
        slashCommand({
          text: "test-host --window 1s",
          responseUrl: h.fake.responseUrl(),
          channel: "C8",
        }),
      );
      expect(ok.status).toBe(200);
      await until(
        () =>
          h.fake
            .callsOf("chat.postMessage")
            .some((c) => c.args.channel === "C8" && c.args.thread_ts),
        20_000,
        "answer after Redis came back",
      );
    } finally {
      await h.stop();
      await redis.stop();
    }
  });
});

describe("serve --http with no worker running", () => {
  it("ends a job that no worker takes with a message in the thread", async () => {
    const h = await startHarness({ mode: "http", env: { DIAGBOT_UNCLAIMED_MS: "800" } });
    try {
      const r = await postSigned(
        h.eventsUrl,
        h.fake.signingSecret,
        slashCommand({
          text: "test-host --window 1s",
          responseUrl: h.fake.responseUrl(),
          channel: "C-NW",
        }),
      );
      expect(r.status).toBe(200);
      await until(
        () =>
          h.fake
            .callsOf("chat.postMessage")
            .some((c) => c.args.channel === "C-NW" && c.args.thread_ts),
        10_000,
        "failure message",
      );
      const msg = h.fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "C-NW" && c.args.thread_ts)!;
      expect(msg.args.text).toMatch(/no worker took this diagnosis within 1 s/);
      expect(await h.producer.queue.getWaitingCount()).toBe(0);
    } finally {
      await h.stop();
    }
  });
});
