import { afterAll, beforeAll, expect, it } from "vitest";
import { postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * Acknowledge first: user group membership (for RBAC bindings on user groups) is refreshed in
 * the background, so a Slack API that takes 5 s to answer `usergroups.users.list` never stands
 * between a `/diagnose` and its acknowledgement.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    mode: "http",
    hosts: { "test-host": ["test"] },
    rbac: [
      "roles:",
      "  oncall: { hostGroups: [test], costClasses: [cheap, sampling] }",
      "  sre: { hostGroups: ['*'], costClasses: [cheap, sampling, intrusive] }",
      "bindings:",
      "  - { role: sre, usergroups: [S1] }",
      "default: oncall",
    ].join("\n"),
    usergroups: { S1: ["U3"] },
    beforeStart: (fake) =>
      fake.inject("usergroups.users.list", { delayMs: 5000, times: Number.POSITIVE_INFINITY }),
  });
});

afterAll(async () => {
  await h?.stop();
});

it("acknowledges /diagnose while usergroups.users.list has not answered yet", async () => {
  const lists = () => h.fake.callsOf("usergroups.users.list");
  await until(() => lists().length > 0, 5000, "the background membership refresh to start");
  const res = await postSigned(
    h.eventsUrl,
    h.fake.signingSecret,
    slashCommand({ text: "test-host", user: "U3", responseUrl: h.fake.responseUrl() }),
  );
  const ackedAt = Date.now();
  expect(res.status).toBe(200);
  // The refresh is in flight: asked, not answered, when the acknowledgement arrived.
  expect(lists().length).toBeGreaterThan(0);
  expect(lists().every((c) => c.answeredAt === undefined)).toBe(true);
  await until(() => lists().some((c) => c.answeredAt !== undefined), 10_000, "the slow answer");
  expect(Math.min(...lists().map((c) => c.answeredAt ?? Number.POSITIVE_INFINITY))).toBeGreaterThan(
    ackedAt,
  );
  // The root message was posted after the acknowledgement: the request went through.
  await until(() => h.fake.callsOf("chat.postMessage").length > 0, 5000, "root message");
});

it("uses the membership once the slow list has arrived: a deep dive for a member of S1", async () => {
  await until(
    () => h.fake.callsOf("usergroups.users.list").some((c) => c.answeredAt !== undefined),
    10_000,
    "the slow answer",
  );
  const res = await postSigned(
    h.eventsUrl,
    h.fake.signingSecret,
    slashCommand({ text: "test-host --deep", user: "U3", responseUrl: h.fake.responseUrl() }),
  );
  expect(res.status).toBe(200);
  // Accepted: an empty acknowledgement, no "not allowed for you".
  expect(res.body).not.toMatch(/not allowed/);
  const stranger = await postSigned(
    h.eventsUrl,
    h.fake.signingSecret,
    slashCommand({ text: "test-host --deep", user: "U1", responseUrl: h.fake.responseUrl() }),
  );
  expect(JSON.parse(stranger.body).text).toMatch(/not allowed for you/);
});
