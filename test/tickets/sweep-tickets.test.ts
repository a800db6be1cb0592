import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DigestMessage, FindingTicketer } from "../../src/model/answer.js";
import { parseSweeps, type SweepDefinition } from "../../src/sweeps/config.js";
import { finishRun } from "../../src/sweeps/run.js";
import { FileStateStore } from "../../src/sweeps/state.js";
import type { HostResult } from "../../src/sweeps/types.js";
import { findingTicketer } from "../../src/tickets/findings.js";
import { REAL_CLOCK } from "../../src/tickets/retry.js";
import { DISK, MEMORY, webHost } from "../helpers/sweep-run.js";
import { adfViolations } from "./adf-check.js";
import { githubStandIn, jiraStandIn, type OpenedIssue, webhookReceiver } from "./vendors.js";

/**
 * A sweep's `ticket:` for Jira, GitHub and a webhook: runs finished as the scheduler finishes
 * them (finishRun, a state store, a digest poster), against the vendors' stand-ins, through the
 * ticketer the scheduler builds (src/tickets/findings.ts). PagerDuty's: sweep-incidents.test.ts.
 */
const POLICY = { tries: 1, maxWaitMs: 0, clock: REAL_CLOCK };

function sweepOf(ticket: string): SweepDefinition {
  const text = `sweeps:\n  web:\n    hosts: web\n    every: 1m\n    channel: C0WEB\n    confirmRuns: 1\n    ticket: ${ticket}\n`;
  const { sweeps, issues } = parseSweeps(text, "sweeps.yaml");
  expect(issues).toEqual([]);
  return sweeps[0];
}

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Four runs of one sweep: new, still present, resolved, back again. */
async function runs(sweep: SweepDefinition, ticketer: FindingTicketer) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-sweep-tickets-"));
  dirs.push(dir);
  const store = new FileStateStore(dir);
  const deps = { store, ticketer, post: async (_m: DigestMessage) => ({ ts: "1.1" }) };
  const run = (minute: number, hosts: HostResult[]) =>
    finishRun(sweep, { startedAt: `2026-12-07T01:0${minute}:00.000Z`, hosts }, deps);
  const both = webHost([
    { key: DISK, confidence: 0.9 },
    { key: MEMORY, confidence: 0.6 },
  ]);
  const memoryOnly = webHost([{ key: MEMORY, confidence: 0.6 }]);
  return { store, run, both, memoryOnly };
}

/** The issue texts as one string each: Jira's ADF paragraphs, or GitHub's Markdown. */
function textOf(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

describe.each([
  {
    system: "jira",
    ticket: "{ system: jira, project: OPS, minConfidence: 0.8 }",
    async start() {
      const auth = `Basic ${Buffer.from("ops@example.com:jira-sweeps").toString("base64")}`;
      const jira = await jiraStandIn({ flavour: "cloud", auth, issue: "OPS-1", project: "OPS" });
      closers.push(jira.close);
      const env = {
        DIAGBOT_JIRA_URL: jira.url,
        DIAGBOT_JIRA_EMAIL: "ops@example.com",
        DIAGBOT_JIRA_TOKEN: "jira-sweeps",
      };
      return { server: jira, opened: jira.opened, env, first: "jira:OPS-101" };
    },
    body: (i: OpenedIssue) => i.fields.description,
  },
  {
    system: "github",
    ticket: "{ system: github, repo: acme/infra, minConfidence: 0.8 }",
    async start() {
      const gh = await githubStandIn({ token: "ghp-sweeps", repo: "acme/infra", number: 40 });
      closers.push(gh.close);
      const env = { DIAGBOT_GITHUB_URL: gh.url, DIAGBOT_GITHUB_TOKEN: "ghp-sweeps" };
      return { server: gh, opened: gh.opened, env, first: "github:acme/infra#41" };
    },
    body: (i: OpenedIssue) => i.fields.body,
  },
])("sweep tickets in $system", ({ ticket, start, body }) => {
  it("opens one issue per new finding key at or above the confidence, none while it is still present, and comments when it is resolved", async () => {
    const { server, opened, env, first } = await start();
    const sweep = sweepOf(ticket);
    const { store, run, both, memoryOnly } = await runs(
      sweep,
      findingTicketer(sweep.ticket as NonNullable<SweepDefinition["ticket"]>, {
        env,
        policy: POLICY,
      }),
    );

    const one = await run(1, [both]);
    expect(one?.ticketFailures).toEqual([]);
    expect(opened).toHaveLength(1);
    const text = `${textOf(opened[0].fields.summary ?? opened[0].fields.title)} ${textOf(body(opened[0]))}`;
    expect(text).toContain("sda is saturated");
    expect(text).toContain(`diagbot-finding: ${DISK}`);
    expect(text).not.toContain("hunter2");
    const description = body(opened[0]);
    if (typeof description !== "string") expect(adfViolations(description as never)).toEqual([]);
    expect((await store.load("web")).ticketRefs).toEqual({ [DISK]: first });

    // Still present: no second issue.
    await run(2, [both]);
    expect(opened).toHaveLength(1);

    // Resolved while the system refuses: the ticket stays open and the comment comes next run.
    server.failAlways({ status: 503, body: "unavailable" });
    const three = await run(3, [memoryOnly]);
    server.failAlways(undefined);
    expect(three?.digest.resolved.map((f) => f.key)).toEqual([DISK]);
    expect(three?.ticketFailures).toHaveLength(1);
    expect(opened[0].comments).toHaveLength(0);
    const four = await run(4, [memoryOnly]);
    expect(four?.ticketFailures).toEqual([]);
    expect(opened[0].comments).toHaveLength(1);
    expect(textOf(opened[0].comments[0])).toContain(
      `Resolved: the diagbot sweep web no longer reports ${DISK}`,
    );
    const state = await store.load("web");
    expect([state.tickets, state.ticketRefs]).toEqual([{}, undefined]);
    expect(opened).toHaveLength(1);
  });
});

describe("sweep tickets through a webhook", () => {
  it("delivers a signed open and a resolve per finding key, the key as the delivery id", async () => {
    const hook = await webhookReceiver("whsec-sweeps");
    closers.push(hook.close);
    const sweep = sweepOf("{ system: webhook, minConfidence: 0.8 }");
    expect(sweep.ticket).toEqual({ system: "webhook", label: "web", minConfidence: 0.8 });
    const env = { DIAGBOT_WEBHOOK_URL: `${hook.url}/hook`, DIAGBOT_WEBHOOK_SECRET: "whsec-sweeps" };
    const { run, both, memoryOnly } = await runs(
      sweep,
      findingTicketer(sweep.ticket as NonNullable<SweepDefinition["ticket"]>, {
        env,
        policy: POLICY,
      }),
    );
    await run(1, [both]);
    await run(2, [both]);
    await run(3, [memoryOnly]);
    expect(hook.delivered).toMatchObject([
      { type: "diagbot.finding", action: "open", id: DISK, label: "web", host: "web-1" },
      { type: "diagbot.finding", action: "resolve", id: DISK, label: "web" },
    ]);
    expect(hook.calls.map((c) => c.headers["x-diagbot-delivery"])).toEqual([DISK, DISK]);
    expect(JSON.stringify(hook.delivered)).not.toContain("hunter2");
  });
});

describe("sweeps.yaml ticket targets", () => {
  it("names the field each system needs, and refuses another system's field", () => {
    const file = (ticket: string) =>
      parseSweeps(
        `sweeps:\n  web:\n    hosts: web\n    every: 1m\n    channel: C0WEB\n    ticket: ${ticket}\n`,
        "sweeps.yaml",
      ).issues.map((i) => `${i.line} ${i.field}: ${i.message}`);
    expect(file("{ system: jira }")).toEqual([
      "6 sweeps.web.ticket.project: a jira ticket needs project: the Jira project issues are opened in, such as OPS",
    ]);
    expect(file("{ system: github, repo: nope }")[0]).toContain(
      "sweeps.web.ticket.repo: expected a GitHub repository such as acme/infra",
    );
    expect(file("{ system: pagerduty, project: OPS }")).toEqual([
      "6 sweeps.web.ticket.project: project is not a pagerduty setting: pagerduty takes no target field",
    ]);
    expect(file("{ system: servicenow }")[0]).toContain(
      "sweeps.web.ticket.system: expected one of jira, github, pagerduty, webhook",
    );
    expect(sweepOf("{ system: jira, project: OPS }").ticket).toEqual({
      system: "jira",
      project: "OPS",
      issueType: "Task",
      minConfidence: 0.5,
    });
  });
});
