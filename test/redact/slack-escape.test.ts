import type { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import type { StoredResult } from "../../src/model/answer.js";
import type { Report } from "../../src/model/report.js";
import type { DiagnoseRequest } from "../../src/model/request.js";
import { escapeMrkdwn } from "../../src/redact/mrkdwn.js";
import { renderAnswer, renderFailure, renderHome, rootText } from "../../src/render/blocks.js";
import { SlackReplier } from "../../src/slack/replies.js";
import { fakeReport } from "../helpers/reports.js";

/**
 * Host text never speaks in Slack: every message the app builds, with hostile text in every
 * place a host (or a request) can put text, holds no `<` that came from that text. The only
 * `<…>` left are the app's own: the requester's mention and the App Home's date.
 */
const HOSTILE = [
  "worker <!channel> <https://evil.example/login|Slack session expired: click to re-authenticate>",
  "<!here>",
  "<!everyone>",
  "<!channel|channel>",
  "<@U024BE7LH>",
  "<@W0123ADMIN|admin>",
  "<#C024BE7LR|general>",
  "<!subteam^SAZ94GDB8|@oncall>",
  "<https://evil.example|docs>",
  "<http://10.0.0.1/phish>",
  "<mailto:it@evil.example|IT support>",
  "<tel:+15555550100|call now>",
  "<slack://app?team=T1&id=A1|open the app>",
  "<!date^1392734382^{date_pretty}|Feb 18>",
  "&lt;!channel&gt; already escaped",
  "<<!channel>>",
  "*bold* _it_ ~strike~ `code` <!here|here>",
  "line one\n<!channel>\nline three",
  "kworker/0:1 </script><!here>",
  "java -jar app.jar --name=<@U0BADBAD>",
];

const ASKER = "UASKER01";
/** The app's own `<…>`: the requester mention, and the App Home date. */
const OWN = [
  new RegExp(`<@${ASKER}>`, "g"),
  /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>/g,
];

/** Every string inside a message, with the app's own `<…>` removed. */
function texts(value: unknown): string[] {
  if (typeof value === "string") return [OWN.reduce((s, re) => s.replace(re, ""), value)];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === "object") return Object.values(value).flatMap(texts);
  return [];
}

function expectSilent(message: unknown, hostile: string): void {
  for (const t of texts(message)) {
    expect(t, `from ${JSON.stringify(hostile)}`).not.toContain("<");
  }
}

function hostileReport(h: string): Report {
  const report = fakeReport({ findings: 4, evidencePerFinding: 3, excerpt: `${h} pid 42` });
  report.host = `web-1 ${h}`;
  report.symptom = h as Report["symptom"];
  report.summary = h;
  report.notes = [h];
  for (const x of report.hypotheses) {
    x.title = `busiest process: ${h}`;
    x.rule = `rule ${h}`;
    x.category = h as typeof x.category;
    x.remediation = [`kill ${h}`, `check ${h}`];
    for (const e of x.evidence) e.threshold = h;
  }
  report.checked = report.checked.map((c) => ({ ...c, rule: `${c.rule}${h}` }));
  report.checked.push({ ...report.checked[0], verdict: "not-evaluated" });
  report.collectors.push({ id: "dmesg", status: "failed", durationMs: 3, error: `dmesg: ${h}` });
  return report;
}

describe("escapeMrkdwn", () => {
  it("escapes &, < and > as Slack documents, & first", () => {
    expect(escapeMrkdwn("a & <!channel> > b")).toBe("a &amp; &lt;!channel&gt; &gt; b");
    expect(escapeMrkdwn("&lt;")).toBe("&amp;lt;");
  });
});

describe("every Slack message with hostile host text", () => {
  for (const h of HOSTILE) {
    it(`stays silent: ${JSON.stringify(h).slice(0, 60)}`, async () => {
      const report = hostileReport(h);
      const request = { host: `web-1 ${h}`, symptom: h, deep: true };
      expectSilent(
        renderAnswer(report, {
          diagnosisId: "dg_abc123",
          redactions: 3,
          bundle: true,
          requestedBy: [ASKER],
        }),
        h,
      );
      const none = { ...report, hypotheses: [] };
      expectSilent(
        renderAnswer(none, { diagnosisId: "dg_abc123", redactions: 0, bundle: false }),
        h,
      );
      for (const state of [
        { phase: "queued" as const },
        {
          phase: "running" as const,
          progress: { phase: "sampling" as const, done: 3, total: 9, running: [h], windowLeft: 2 },
        },
        { phase: "done" as const, headline: h },
        { phase: "failed" as const, error: h },
      ])
        expectSilent(rootText(request, state), h);
      expectSilent(renderFailure(request, `ssh: ${h}`, "dg_abc123"), h);
      expectSilent(
        renderHome(
          [
            {
              diagnosisId: "dg_abc123",
              host: request.host,
              symptom: h,
              finishedAt: Date.now(),
              category: h,
              title: h,
              confidence: 0.8,
              requestedBy: ASKER,
            },
            {
              ...{ diagnosisId: "dg_x", host: h, symptom: h, finishedAt: 1 },
              error: h,
              requestedBy: ASKER,
            },
          ],
          { canDeep: false },
        ),
        h,
      );
      await expectRepliesSilent(report, request as unknown as DiagnoseRequest, h);
    });
  }
});

/** The worker's replies (root message edits, thread answers, failures) through a recording client. */
async function expectRepliesSilent(report: Report, request: DiagnoseRequest, h: string) {
  const calls: unknown[] = [];
  const record = async (args: unknown) => {
    calls.push(args);
    return { ok: true, ts: "1.2" };
  };
  const client = { chat: { update: record, postMessage: record } } as unknown as WebClient;
  const replier = new SlackReplier(client);
  const target = { user: ASKER, channel: "C1", ts: "1.1" };
  const result: StoredResult = {
    diagnosisId: "dg_abc123",
    request,
    requestedBy: ASKER,
    requestedAt: 0,
    finishedAt: 1,
    report,
    redactions: 0,
    bundle: true,
  };
  await replier.progress(target, request, { phase: "collecting", done: 1, total: 2, running: [] });
  await replier.answer(target, result, [ASKER]);
  await replier.failure(target, request, `ssh: mysql -pHunter2Pass ${h}`, "dg_abc123");
  expect(calls.length).toBe(5);
  expectSilent(calls, h);
  expect(JSON.stringify(calls)).not.toContain("Hunter2Pass");
}
