import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DigestMessage } from "../../src/model/answer.js";
import { parseSweeps } from "../../src/sweeps/config.js";
import { finishRun } from "../../src/sweeps/run.js";
import { FileStateStore } from "../../src/sweeps/state.js";
import type { HostResult } from "../../src/sweeps/types.js";
import { pagerdutyTicketer } from "../../src/tickets/pagerduty.js";
import { REAL_CLOCK } from "../../src/tickets/retry.js";
import { DISK, MEMORY, webHost } from "../helpers/sweep-run.js";
import { pagerdutyStandIn } from "./vendors.js";

/**
 * A sweep's `ticket: { system: pagerduty }`: runs finished as the scheduler finishes them
 * (finishRun, a state store, a digest poster), against a PagerDuty Events API v2 stand-in.
 */
const SWEEPS = `sweeps:
  web:
    hosts: web
    every: 1m
    channel: C0WEB
    confirmRuns: 1
    ticket: { system: pagerduty, minConfidence: 0.8 }
`;

describe("sweep incidents through PagerDuty Events API v2", () => {
  let pd: Awaited<ReturnType<typeof pagerdutyStandIn>>;
  let dir: string;
  const posted: DigestMessage[] = [];

  beforeAll(async () => {
    pd = await pagerdutyStandIn({ token: "t", incident: "PX", routingKey: "rk-sweeps-1" });
    dir = mkdtempSync(join(tmpdir(), "diagbot-sweep-incidents-"));
  });
  afterAll(async () => {
    await pd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("triggers a new finding at or above the ticket's confidence once, and resolves it when resolved; a refused call is tried next run", async () => {
    const { sweeps, issues } = parseSweeps(SWEEPS, "sweeps.yaml");
    expect(issues).toEqual([]);
    const [sweep] = sweeps;
    expect(sweep.ticket).toEqual({ system: "pagerduty", minConfidence: 0.8 });
    const store = new FileStateStore(dir);
    const ticketer = pagerdutyTicketer(
      { DIAGBOT_PAGERDUTY_EVENTS_URL: pd.url, DIAGBOT_PAGERDUTY_ROUTING_KEY: "rk-sweeps-1" },
      { tries: 1, maxWaitMs: 0, clock: REAL_CLOCK },
    );
    const deps = {
      store,
      ticketer,
      post: async (m: DigestMessage) => {
        posted.push(m);
        return { ts: `1.${posted.length}` };
      },
    };
    const run = (minute: number, hosts: HostResult[]) =>
      finishRun(sweep, { startedAt: `2026-12-07T01:0${minute}:00.000Z`, hosts }, deps);

    // Run 1: both findings new; only the one at 0.9 opens an incident.
    const first = await run(1, [
      webHost([
        { key: DISK, confidence: 0.9 },
        { key: MEMORY, confidence: 0.6 },
      ]),
    ]);
    expect(first?.digest.new.map((f) => f.key).sort()).toEqual([DISK, MEMORY].sort());
    expect(first?.ticketFailures).toEqual([]);
    expect(pd.events).toHaveLength(1);
    const trigger = pd.events[0] as { payload: { summary: string } };
    expect(trigger).toMatchObject({
      routing_key: "rk-sweeps-1",
      event_action: "trigger",
      dedup_key: DISK,
      payload: {
        source: "web-1",
        severity: "error",
        custom_details: { sweep: "web", rule: "disk-saturated" },
      },
    });
    expect(trigger.payload.summary).toContain("sda is saturated");
    expect(JSON.stringify(trigger)).not.toContain("hunter2");

    // Run 2: still present: no second incident for the open key.
    await run(2, [
      webHost([
        { key: DISK, confidence: 0.95 },
        { key: MEMORY, confidence: 0.6 },
      ]),
    ]);
    expect(pd.events).toHaveLength(1);
    expect((await store.load("web")).tickets).toEqual({ [DISK]: "2026-12-07T01:01:00.000Z" });

    // Run 3: resolved while PagerDuty refuses: the incident stays open in the state.
    pd.failAlways({ status: 503, body: "unavailable" });
    const third = await run(3, [webHost([{ key: MEMORY, confidence: 0.6 }])]);
    pd.failAlways(undefined);
    expect(third?.digest.resolved.map((f) => f.key)).toEqual([DISK]);
    expect(third?.ticketFailures).toHaveLength(1);
    expect(third?.ticketFailures?.[0]).toMatch(
      /^web-1\/disk-saturated\/sda: PagerDuty Events did not take/,
    );
    expect((await store.load("web")).tickets).toEqual({ [DISK]: "2026-12-07T01:01:00.000Z" });

    // Run 4: PagerDuty answers again: the resolve goes out and the key is closed.
    const fourth = await run(4, [webHost([{ key: MEMORY, confidence: 0.6 }])]);
    expect(fourth?.ticketFailures).toEqual([]);
    expect(pd.events).toHaveLength(2);
    expect(pd.events[1]).toEqual({
      routing_key: "rk-sweeps-1",
      event_action: "resolve",
      dedup_key: DISK,
    });
    expect((await store.load("web")).tickets).toEqual({});
  });

  it("names the file, line and field of a ticket system sweeps cannot drive", () => {
    const { issues } = parseSweeps(
      SWEEPS.replace("system: pagerduty", "system: servicenow"),
      "sweeps.yaml",
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 7, field: "sweeps.web.ticket.system" });
    expect(issues[0].message).toContain("expected one of jira, github, pagerduty, webhook");
  });

  it("needs DIAGBOT_PAGERDUTY_ROUTING_KEY before any run", () => {
    expect(() => pagerdutyTicketer({})).toThrow(/DIAGBOT_PAGERDUTY_ROUTING_KEY is not set/);
  });
});
