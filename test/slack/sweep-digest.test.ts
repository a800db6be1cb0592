import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/log.js";
import type { Engine } from "../../src/queue/engine.js";
import { ACTIONS } from "../../src/render/blocks.js";
import { emptyState } from "../../src/sweeps/changes.js";
import { diagnoseValue, muteValue } from "../../src/sweeps/digest.js";
import { stateMuter } from "../../src/sweeps/run.js";
import { RedisStateStore, sweepKeys } from "../../src/sweeps/state.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { buttonPayload, type Json, postSigned } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * A sweep digest's buttons over real HTTP: Diagnose answers in the digest's thread through the
 * `/diagnose` path; a Mute choice mutes the key in Redis and is audited; refusals are ephemeral.
 */
const engine: Engine = async (request) => ({
  report: fakeReport({ host: request.host, excerpt: "sda util 99 %" }),
  outputs: [],
});
const KEY = "db-01/filesystem-full/%2Fvar";
const DIGEST_TS = "1700000500.000001";

describe("sweep digest buttons", () => {
  let h: Harness;
  const lines: string[] = [];
  const statePrefix = uniquePrefix("mute");
  const redis = new Redis(SHARED_REDIS_URL);
  const store = new RedisStateStore(redis, statePrefix);
  const audits = (event: string) =>
    lines.map((l) => JSON.parse(l)).filter((e) => e.audit === true && e.event === event);

  beforeAll(async () => {
    const log = createLogger(
      "test",
      { DIAGBOT_LOG_LEVEL: "info" },
      { write: (l: string) => lines.push(l) },
    );
    h = await startHarness({
      mode: "http",
      engine,
      hosts: { "db-01": ["db"] },
      log,
      muter: stateMuter(store),
    });
    await store.save("web-health", {
      ...emptyState(),
      findings: {
        [KEY]: {
          host: "db-01",
          rule: "filesystem-full",
          category: "filesystem-full",
          confidence: 0.8,
          title: "/var is full",
          posted: true,
          seenRuns: 2,
          goneRuns: 0,
          since: "2026-01-01T00:00:00.000Z",
        },
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await removePrefix(statePrefix);
    redis.disconnect();
  });

  const send = (payload: Record<string, unknown>) =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    );
  const reply = async (responseUrl: string) => {
    const id = responseUrl.split("/").pop();
    await until(() => h.fake.responses.some((r) => r.id === id), 10_000, "ephemeral reply");
    return h.fake.responses.find((r) => r.id === id)!.body.text as string;
  };

  it("Diagnose runs a full diagnosis answered in the digest's thread", async () => {
    const responseUrl = h.fake.responseUrl();
    const res = await send(
      buttonPayload({
        actionId: ACTIONS.sweepDiagnose,
        value: diagnoseValue("db-01", "disk"),
        channel: "C0FLEET",
        messageTs: DIGEST_TS,
        responseUrl,
      }),
    );
    expect(res.status).toBe(200);
    const answers = () =>
      h.fake
        .callsOf("chat.postMessage")
        .filter((c) => c.args.thread_ts === DIGEST_TS && Array.isArray(c.args.blocks));
    await until(() => answers().length > 0, 20_000, "answer in the digest's thread");
    expect(answers()[0].args.channel).toBe("C0FLEET");
    expect(audits("sweep-diagnose")[0]).toMatchObject({
      host: "db-01",
      symptom: "disk",
      decision: "allowed",
    });
  });

  it("Diagnose of a host not in the inventory is refused", async () => {
    const responseUrl = h.fake.responseUrl();
    await send(
      buttonPayload({
        actionId: ACTIONS.sweepDiagnose,
        value: diagnoseValue("gone-01", "health"),
        messageTs: DIGEST_TS,
        responseUrl,
      }),
    );
    expect(await reply(responseUrl)).toMatch(/unknown host `gone-01`/);
  });

  it("Mute for a day mutes the key in Redis and is audited", async () => {
    const responseUrl = h.fake.responseUrl();
    const payload = buttonPayload({
      actionId: `${ACTIONS.sweepMute}_0`,
      value: "",
      user: "U7",
      channel: "C0FLEET",
      messageTs: DIGEST_TS,
      responseUrl,
    });
    payload.actions = [
      {
        type: "static_select",
        action_id: `${ACTIONS.sweepMute}_0`,
        block_id: "b2",
        selected_option: {
          text: { type: "plain_text", text: "1 day" },
          value: muteValue("web-health", KEY, "1d"),
        },
        action_ts: "1700000600.000001",
      },
    ] as Json;
    const before = Date.now();
    await send(payload);
    expect(await reply(responseUrl)).toMatch(/muted `db-01\/filesystem-full\/%2Fvar` for 1 day/);
    const mutes = await store.mutes("web-health", Date.now());
    expect(mutes).toHaveLength(1);
    expect(mutes[0]).toMatchObject({ key: KEY, by: "U7" });
    expect(mutes[0].until - before).toBeGreaterThanOrEqual(86_400_000);
    expect(mutes[0].until - before).toBeLessThan(86_400_000 + 60_000);
    expect(audits("mute")[0]).toMatchObject({
      user: "U7",
      sweep: "web-health",
      key: KEY,
      decision: "allowed",
    });
    // A key the sweep does not know (any more) is refused and nothing is written.
    const stale = h.fake.responseUrl();
    const other = structuredClone(payload) as Json;
    other.response_url = stale;
    other.actions[0].selected_option.value = muteValue("web-health", "db-01/x/host", "1h");
    await send(other);
    expect(await reply(stale)).toMatch(/has no such finding any more/);
    expect(await redis.hlen(sweepKeys(statePrefix, "web-health").mutes)).toBe(1);
  });
});
