import { createServer } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetricsServer } from "../../src/observability/metrics.js";
import type { Engine } from "../../src/queue/engine.js";
import { ACTIONS } from "../../src/render/blocks.js";
import { TICKET_MODAL } from "../../src/slack/listeners/ticket.js";
import { serveEvidence } from "../../src/tickets/route.js";
import { signEvidenceLink } from "../../src/tickets/sign.js";
import { fakeReport } from "../helpers/reports.js";
import {
  buttonPayload,
  type FakeSlack,
  type Json,
  postSigned,
  slashCommand,
  viewSubmission,
} from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";
import { githubStandIn } from "./vendors.js";

/**
 * `/diagnose … --ticket SYSTEM:KEY` from the outside: the Slack app and an in-process worker with
 * the `tickets` queue's worker, against the local Slack stand-in, real Redis and a GitHub
 * stand-in. The answer is posted first; the evidence then reaches the ticket from a queued job,
 * which waits what a 429's `Retry-After` asks and ends at once on a 404, saying so in the thread.
 */
const engine: Engine = async (request) => ({
  report: fakeReport({ host: request.host, excerpt: "postgres --password=hunter2 uses sda" }),
  outputs: [
    {
      id: "top",
      status: "ok",
      durationMs: 5,
      out: Buffer.from(
        `  PID COMMAND\n 4242 app --token=abcdef123456 --on ${request.host} ${request.symptom}\n`,
      ),
    },
  ],
});

const TOKEN = "ghp_test_token_for_the_stand_in_0001";
const EVIDENCE_SECRET = "evidence-secret-generated-for-this-test";

/** A port free on 127.0.0.1 now (the evidence listener's, named in DIAGBOT_PUBLIC_URL first). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The thread messages of `channel`: the answer (many blocks) and the ticket notes. */
const thread = (fake: FakeSlack, channel: string) =>
  fake
    .callsOf("chat.postMessage")
    .filter((c) => c.args.channel === channel && c.args.thread_ts && !c.error);
const notes = (fake: FakeSlack, channel: string) =>
  thread(fake, channel)
    .map((c) => String(c.args.text))
    .filter((t) => /evidence/.test(t) && /github:/.test(t));

describe("/diagnose --ticket", () => {
  let h: Harness;
  let github: Awaited<ReturnType<typeof githubStandIn>>;
  let evidence: MetricsServer;
  let publicUrl: string;
  const routeErrors: Error[] = [];

  const command = (text: string, channel: string) =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, channel, responseUrl: h.fake.responseUrl() }),
    );

  beforeAll(async () => {
    github = await githubStandIn({ token: TOKEN, repo: "acme/web", number: 12 });
    const evidencePort = await freePort();
    publicUrl = `http://127.0.0.1:${evidencePort}`;
    h = await startHarness({
      mode: "http",
      engine,
      tickets: true,
      hosts: { "test-host": ["test"], "db-1": ["db"] },
      // U1 (the default requester) may diagnose every host; U-OUT none.
      rbac: [
        "roles:",
        "  oncall: { hostGroups: [test, db], costClasses: [cheap, sampling] }",
        "bindings:",
        "  - { role: oncall, users: [U1] }",
      ].join("\n"),
      env: {
        DIAGBOT_GITHUB_URL: github.url,
        DIAGBOT_GITHUB_TOKEN: TOKEN,
        DIAGBOT_TICKET_ATTEMPTS: "4",
        DIAGBOT_PUBLIC_URL: publicUrl,
        DIAGBOT_EVIDENCE_SECRET: EVIDENCE_SECRET,
      },
    });
    evidence = await serveEvidence(
      h.producer.store,
      { DIAGBOT_EVIDENCE_SECRET: EVIDENCE_SECRET },
      { host: "127.0.0.1", port: evidencePort },
      "DIAGBOT_EVIDENCE_LISTEN",
      (err) => routeErrors.push(err),
    );
  });

  afterAll(async () => {
    await evidence?.close();
    await h?.stop();
    await github?.close();
  });

  it("attaches the evidence after the answer, as Slack quotes the key, redacted, and says where in the thread", async () => {
    const r = await command("test-host latency --ticket \u201cgithub:acme/web#12\u201d", "C-TK1");
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
    await until(() => notes(h.fake, "C-TK1").length > 0, 20_000, "ticket note");
    const messages = thread(h.fake, "C-TK1");
    const answerAt = messages.findIndex(
      (c) => Array.isArray(c.args.blocks) && c.args.blocks.length > 1,
    );
    const noteAt = messages.findIndex((c) => /evidence attached to/.test(String(c.args.text)));
    expect(answerAt).toBeGreaterThanOrEqual(0);
    expect(noteAt).toBeGreaterThan(answerAt);
    expect(github.comments).toHaveLength(1);
    const [comment] = github.comments;
    expect(notes(h.fake, "C-TK1")[0]).toBe(
      `:paperclip: evidence attached to \`github:acme/web#12\`: ${comment.html_url}`,
    );
    expect(comment.body).toMatch(/diagbot-bundle: [0-9a-f]{64}/);
    expect(comment.body).toContain("sda is saturated");
    expect(comment.body).not.toContain("hunter2");
    expect(comment.body).not.toContain("abcdef123456");
    const post = github.calls.find((c) => c.method === "POST");
    expect(post?.headers.authorization).toBe(`token ${TOKEN}`);
  });

  it("waits what a 429's Retry-After asks, then comments once", async () => {
    const before = github.calls.length;
    github.failNext({
      status: 429,
      headers: { "retry-after": "2" },
      body: { message: "secondary rate limit" },
    });
    const t0 = Date.now();
    await command("db-1 --ticket github:acme/web#12", "C-TK2");
    await until(() => notes(h.fake, "C-TK2").length > 0, 30_000, "ticket note after 429");
    const calls = github.calls.slice(before);
    // The 429 (listing comments), then after the wait the list and the POST.
    expect(calls.map((c) => c.method)).toEqual(["GET", "GET", "POST"]);
    const gap = calls[1].at - calls[0].at;
    expect(gap).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(notes(h.fake, "C-TK2")[0]).toMatch(
      /^:paperclip: evidence attached to `github:acme\/web#12`/,
    );
    expect(github.comments).toHaveLength(2);
  });

  it("ends at once on a 404, and says in the thread which setting to check", async () => {
    const before = github.calls.length;
    await command("test-host --ticket github:acme/web#99", "C-TK3");
    await until(() => notes(h.fake, "C-TK3").length > 0, 20_000, "ticket failure note");
    const [note] = notes(h.fake, "C-TK3");
    expect(note).toMatch(/^:warning: the evidence did not reach `github:acme\/web#99` \(1 try\)/);
    expect(note).toContain("DIAGBOT_GITHUB_URL");
    expect(github.calls.length - before).toBe(1);
    // The answer itself was posted all the same.
    expect(
      thread(h.fake, "C-TK3").some((c) => Array.isArray(c.args.blocks) && c.args.blocks.length > 1),
    ).toBe(true);
  });

  it("refuses a key not of DESIGN's forms before anything is queued", async () => {
    const r = await command("test-host --ticket jira:ops-7", "C-TK4");
    const body = JSON.parse(r.body);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain('"ops-7" is not a jira key');
    expect(body.text).toContain("jira:OPS-7");
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.calls.filter((c) => c.args.channel === "C-TK4")).toHaveLength(0);
  });

  it("Attach to ticket: opens a modal for the presser who may see the host, checks the key's form, queues the job, audits it", async () => {
    await command("test-host memory", "C-TK5");
    await until(
      () =>
        thread(h.fake, "C-TK5").some(
          (c) => Array.isArray(c.args.blocks) && c.args.blocks.length > 1,
        ),
      20_000,
      "answer",
    );
    const answer = thread(h.fake, "C-TK5").find((c) => c.args.blocks.length > 1)!;
    const actions = (answer.args.blocks as Json[]).find((b) => b.type === "actions");
    const button = actions.elements.find((e: Json) => e.action_id === ACTIONS.ticket);
    expect(button.text.text).toBe("Attach to ticket");
    const press = (user: string) =>
      postSigned(
        h.eventsUrl,
        h.fake.signingSecret,
        new URLSearchParams({
          payload: JSON.stringify(
            buttonPayload({
              actionId: ACTIONS.ticket,
              value: button.value,
              user,
              channel: "C-TK5",
              messageTs: answer.args.thread_ts,
              threadTs: answer.args.thread_ts,
              responseUrl: h.fake.responseUrl(),
            }),
          ),
        }).toString(),
      );
    const submit = (user: string, system: string, key: string, metadata: string) =>
      postSigned(
        h.eventsUrl,
        h.fake.signingSecret,
        new URLSearchParams({
          payload: JSON.stringify(
            viewSubmission({
              callbackId: TICKET_MODAL,
              privateMetadata: metadata,
              user,
              values: {
                ticket_system: {
                  ticket_system: { type: "static_select", selected_option: { value: system } },
                },
                ticket_key: { ticket_key: { type: "plain_text_input", value: key } },
              },
            }),
          ),
        }).toString(),
      );

    // Someone who may not diagnose the host gets no modal.
    expect((await press("U-OUT")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.callsOf("views.open")).toHaveLength(0);

    expect((await press("U1")).status).toBe(200);
    await until(() => h.fake.callsOf("views.open").length > 0, 5000, "views.open");
    const view = h.fake.callsOf("views.open")[0].args.view as Json;
    const modal = typeof view === "string" ? JSON.parse(view) : view;
    expect(modal.callback_id).toBe(TICKET_MODAL);
    expect(modal.blocks[0].element.options.map((o: Json) => o.value)).toEqual([
      "jira",
      "github",
      "pagerduty",
      "webhook",
    ]);
    const metadata = modal.private_metadata as string;
    expect(JSON.parse(metadata)).toEqual({
      diagnosisId: button.value,
      channel: "C-TK5",
      threadTs: answer.args.thread_ts,
    });

    // A key not of the system's form stays in the modal, with the form under the key input.
    const bad = JSON.parse((await submit("U1", "github", "acme/web", metadata)).body);
    expect(bad.response_action).toBe("errors");
    expect(bad.errors.ticket_key).toContain("the form is github:owner/repo#12");
    // Someone who may not diagnose the host cannot submit it either.
    const refused = JSON.parse((await submit("U-OUT", "github", "acme/web#12", metadata)).body);
    expect(refused.errors.ticket_key).toMatch(/unknown host/);

    const before = github.comments.length;
    const ok = await submit("U1", "github", "github:acme/web#12", metadata);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    await until(() => notes(h.fake, "C-TK5").length > 0, 20_000, "ticket note");
    expect(notes(h.fake, "C-TK5")[0]).toMatch(
      /^:paperclip: evidence attached to `github:acme\/web#12`/,
    );
    expect(github.comments.length).toBe(before + 1);
    const note = thread(h.fake, "C-TK5").find((c) => /paperclip/.test(String(c.args.text)))!;
    expect(note.args.thread_ts).toBe(answer.args.thread_ts);

    const audit = await h.producer.store.redis.xrange(`${h.prefix}:audit`, "-", "+");
    const tickets = audit
      .map(([, kv]) => JSON.parse(kv[1]) as Record<string, unknown>)
      .filter((e) => e.event === "ticket");
    expect(tickets).toContainEqual(
      expect.objectContaining({ user: "U-OUT", decision: "refused", diagnosisId: button.value }),
    );
    expect(tickets).toContainEqual(
      expect.objectContaining({
        user: "U1",
        channel: "C-TK5",
        decision: "queued",
        host: "test-host",
        ticket: "github:acme/web#12",
        diagnosisId: button.value,
      }),
    );
  });

  it("serves the comment's signed, expiring /evidence/ link: the redacted bundle; 403 for a bad or expired signature, 404 for an unknown id", async () => {
    const body = github.comments[0].body;
    const link = new RegExp(
      `${publicUrl}/evidence/([0-9a-f]{64})\\?expires=(\\d+)&sig=([0-9a-f]{64})`,
    ).exec(body);
    expect(link).not.toBeNull();
    const [url, sha, expires] = link!;
    // Valid 7 days (README), give or take the test's run.
    expect(Number(expires) * 1000 - Date.now()).toBeGreaterThan(7 * 86_400_000 - 120_000);
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/gzip");
    expect(r.headers.get("content-disposition")).toMatch(
      /^attachment; filename="diagbot-test-host-[0-9a-f]{12}\.tar\.gz"$/,
    );
    const tar = gunzipSync(Buffer.from(await r.arrayBuffer())).toString("latin1");
    expect(tar).toContain("/report.json");
    expect(tar).toContain("--token=[REDACTED]");
    expect(tar).not.toContain("abcdef123456");
    expect(tar).not.toContain("hunter2");

    const status = async (u: string, init?: RequestInit) => (await fetch(u, init)).status;
    expect(
      await status(
        url.replace(/sig=[0-9a-f]/, (m) =>
          m.endsWith("0") ? `${m.slice(0, -1)}1` : `${m.slice(0, -1)}0`,
        ),
      ),
    ).toBe(403);
    expect(await status(`${publicUrl}/evidence/${sha}`)).toBe(403);
    const expired = signEvidenceLink(publicUrl, sha, new Date(Date.now() - 1000), EVIDENCE_SECRET);
    expect(await status(expired)).toBe(403);
    const otherSecret = signEvidenceLink(
      publicUrl,
      sha,
      new Date(Date.now() + 60_000),
      "not-the-secret",
    );
    expect(await status(otherSecret)).toBe(403);
    const unknown = signEvidenceLink(
      publicUrl,
      "0".repeat(64),
      new Date(Date.now() + 60_000),
      EVIDENCE_SECRET,
    );
    expect(await status(unknown)).toBe(404);
    expect(await status(url, { method: "POST" })).toBe(405);
    expect(await status(`${publicUrl}/metrics`)).toBe(404);
    expect(routeErrors).toEqual([]);
  });
});
