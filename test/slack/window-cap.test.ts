import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRbac } from "../../src/access/rbac.js";
import type { Engine } from "../../src/queue/engine.js";
import { ACTIONS } from "../../src/render/blocks.js";
import { fakeReport } from "../helpers/reports.js";
import { buttonPayload, type Json, postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * A role's `maxWindowSeconds` over HTTP: `serve --http` against the Slack stand-in and real
 * Redis, with an in-process worker whose engine records the windows it was asked for.
 */
describe("serve --http: the maximum window of a role", () => {
  let h: Harness;
  const windows: number[] = [];
  const engine: Engine = async (request) => {
    windows.push(request.windowSeconds);
    return { report: fakeReport({ host: request.host }), outputs: [] };
  };
  const command = async (text: string, user: string, channel = "C1") => {
    const r = await postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, user, channel, responseUrl: h.fake.responseUrl() }),
    );
    expect(r.status).toBe(200);
    return r.body ? (JSON.parse(r.body) as Json) : undefined;
  };
  const answersIn = (channel: string) =>
    h.fake
      .callsOf("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.args.thread_ts && c.args.blocks);

  beforeAll(async () => {
    h = await startHarness({
      mode: "http",
      engine,
      rbac: [
        "roles:",
        "  oncall: { hostGroups: [test], costClasses: [cheap, sampling], maxWindowSeconds: 10 }",
        "  long: { hostGroups: [test], costClasses: [cheap, sampling] }",
        "  deep: { hostGroups: [test], costClasses: [cheap, sampling, intrusive], maxWindowSeconds: 5 }",
        "bindings:",
        "  - { role: long, users: [ULONG] }",
        "  - { role: deep, users: [UDEEP] }",
        "default: oncall",
      ].join("\n"),
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("a window above the role's cap gets an ephemeral message naming the cap, and nothing runs", async () => {
    const before = h.fake.callsOf("chat.postMessage").length;
    const r = await command("test-host cpu --window 30s", "U1");
    expect(r.response_type).toBe("ephemeral");
    expect(r.text).toContain("a window of 30 s on `test-host` is over your limit of 10 s");
    expect(r.text).toContain("`--window 10s` or less");
    await new Promise((res) => setTimeout(res, 300));
    expect(h.fake.callsOf("chat.postMessage").length).toBe(before);
    expect(await h.producer.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
  });

  it("a window at the cap runs; a role without a cap allows 60 s; the largest cap of a person's roles counts", async () => {
    expect(await command("test-host cpu --window 10s", "U1", "C2")).toBeUndefined();
    await until(() => answersIn("C2").length === 1, 20_000, "answer at the cap");
    expect(await command("test-host cpu --window 60", "ULONG", "C3")).toBeUndefined();
    await until(() => answersIn("C3").length === 1, 20_000, "answer of a role without a cap");
    // UDEEP holds oncall (10 s) and deep (5 s): 10 s without --deep, 5 s with it.
    expect(await command("test-host cpu --window 8s", "UDEEP", "C4")).toBeUndefined();
    await until(() => answersIn("C4").length === 1, 20_000, "answer under oncall's cap");
    expect(windows).toEqual([10, 60, 8]);
  });

  it("a deep dive is capped by the roles that allow intrusive collectors", async () => {
    const r = await command("test-host cpu --deep --window 8s", "UDEEP");
    expect(r.text).toContain("a window of 8 s on `test-host` is over your limit of 5 s");
    expect(await command("test-host cpu --deep --window 5s", "UDEEP", "C5")).toBeUndefined();
    await until(() => answersIn("C5").length === 1, 20_000, "deep answer at the cap");
    expect(windows.at(-1)).toBe(5);
  });

  it("Re-run checks the presser's cap against the stored window", async () => {
    const answer = answersIn("C3")[0];
    const id = (answer.args.blocks as Json[]).find((b) => b.type === "actions").elements[0].value;
    const responseUrl = h.fake.responseUrl();
    const payload = buttonPayload({
      actionId: ACTIONS.rerun,
      value: id,
      user: "U1",
      channel: "C3",
      messageTs: answer.args.thread_ts,
      threadTs: answer.args.thread_ts,
      responseUrl,
    });
    const r = await postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    );
    expect(r.status).toBe(200);
    const rid = responseUrl.split("/").pop();
    await until(() => h.fake.responses.some((x) => x.id === rid), 10_000, "ephemeral refusal");
    const refusal = h.fake.responses.find((x) => x.id === rid)!.body;
    expect(refusal.response_type).toBe("ephemeral");
    expect(refusal.text).toContain("a window of 60 s on `test-host` is over your limit of 10 s");
    expect(windows).toHaveLength(4);
  });

  it("a cap outside 1 to 60 is a configuration error naming the field", () => {
    const text =
      "roles:\n  r: { hostGroups: ['*'], costClasses: [cheap, sampling], maxWindowSeconds: 90 }\n";
    expect(() => parseRbac(text, "rbac.yaml")).toThrow(
      /rbac\.yaml: roles\.r\.maxWindowSeconds: at most 60 \(the largest --window\)/,
    );
  });
});
