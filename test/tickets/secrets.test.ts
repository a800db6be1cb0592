import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectedOutput } from "../../src/model/collected.js";
import {
  attachEvidence,
  parseTicketKey,
  prepareEvidence,
  type TicketEvidence,
} from "../../src/tickets/index.js";
import { fakeReport } from "../helpers/reports.js";
import { CORPUS } from "../redact/corpus.js";
import { type Call, multipartFiles } from "./stand-in.js";
import { githubStandIn, jiraStandIn, pagerdutyStandIn, webhookReceiver } from "./vendors.js";

/** The planted set: 210 secrets of 110 shapes in real command outputs (test/fixtures/redaction). */
const PLANTED = CORPUS;

/** Everything a call carried, with archives opened: multipart files, base64 bundles, gzip. */
async function sentText(call: Call): Promise<string> {
  const parts = [JSON.stringify(call.headers), call.body.toString("utf8")];
  if (String(call.headers["content-type"]).startsWith("multipart/")) {
    for (const f of await multipartFiles(call)) parts.push(opened(f.data));
  }
  const base64 = /"base64":"([A-Za-z0-9+/=]+)"/.exec(parts[1])?.[1];
  if (base64) parts.push(opened(Buffer.from(base64, "base64")));
  return parts.join("\n");
}

function opened(data: Buffer): string {
  return data[0] === 0x1f && data[1] === 0x8b
    ? gunzipSync(data).toString("utf8")
    : data.toString("utf8");
}

describe("no planted secret reaches a sink", () => {
  let evidence: TicketEvidence;
  const servers: { calls: Call[]; close: () => Promise<void> }[] = [];
  const env: Record<string, string> = {};

  beforeAll(async () => {
    const outputs: CollectedOutput[] = PLANTED.map((p, i) => ({
      id: `planted-${i}`,
      status: "ok",
      durationMs: 1,
      out: Buffer.from(p.text),
      command: p.context,
    }));
    outputs.push({ id: "top", status: "failed", durationMs: 1, error: PLANTED[0].text });
    const report = fakeReport({ findings: 3 });
    // A fact's value from host text is the line it was read from (a command line, a log line).
    report.hypotheses[0].evidence = PLANTED.map((p, i) => {
      const line = p.text.split("\n").find((l) => l.includes(p.secret)) ?? p.text;
      return { collector: `planted-${i}`, fact: "line", value: line, excerpt: line };
    });
    report.hypotheses[1].title = PLANTED[1].text;
    report.collectors.push({ id: "top", status: "failed", durationMs: 1, error: PLANTED[2].text });
    report.notes.push(...PLANTED.map((p) => p.text));
    evidence = await prepareEvidence(report, outputs);

    const auth = `Basic ${Buffer.from("ops@example.com:t").toString("base64")}`;
    const jira = await jiraStandIn({ flavour: "cloud", auth, issue: "OPS-7" });
    const gh = await githubStandIn({ token: "t", repo: "a/b", number: 1 });
    const pd = await pagerdutyStandIn({ token: "t", incident: "PT4KHLK", routingKey: "R" });
    const hook = await webhookReceiver("w");
    servers.push(jira, gh, pd, hook);
    Object.assign(env, {
      DIAGBOT_JIRA_URL: jira.url,
      DIAGBOT_JIRA_EMAIL: "ops@example.com",
      DIAGBOT_JIRA_TOKEN: "t",
      DIAGBOT_GITHUB_URL: gh.url,
      DIAGBOT_GITHUB_TOKEN: "t",
      DIAGBOT_PAGERDUTY_URL: pd.url,
      DIAGBOT_PAGERDUTY_TOKEN: "t",
      DIAGBOT_PAGERDUTY_FROM: "oncall@example.com",
      DIAGBOT_WEBHOOK_URL: hook.url,
      DIAGBOT_WEBHOOK_SECRET: "w",
    });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it.each(["jira:OPS-7", "github:a/b#1", "pagerduty:PT4KHLK", "webhook:planted"])(
    "%s",
    async (key) => {
      await attachEvidence(parseTicketKey(key), evidence, { env });
      const calls = servers.flatMap((s) => s.calls);
      const sent = (await Promise.all(calls.map(sentText))).join("\n");
      expect(sent).toContain("[REDACTED]");
      const leaked = PLANTED.filter((p) => sent.includes(p.secret)).map((p) => p.secret);
      expect(leaked).toEqual([]);
    },
  );

  it("counts what it replaced", () => {
    expect(evidence.redactions).toBeGreaterThanOrEqual(PLANTED.length * 2);
  });
});
