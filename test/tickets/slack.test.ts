import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/queue/engine.js";
import { fakeReport } from "../helpers/reports.js";
import { type FakeSlack, postSigned, slashCommand } from "../helpers/slack-api.js";
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
      out: Buffer.from(`  PID COMMAND\n 4242 app --token=abcdef123456 --on ${request.host}\n`),
    },
  ],
});

const TOKEN = "ghp_test_token_for_the_stand_in_0001";

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

  const command = (text: string, channel: string) =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, channel, responseUrl: h.fake.responseUrl() }),
    );

  beforeAll(async () => {
    github = await githubStandIn({ token: TOKEN, repo: "acme/web", number: 12 });
    h = await startHarness({
      mode: "http",
      engine,
      tickets: true,
      hosts: { "test-host": ["test"], "db-1": ["db"] },
      env: {
        DIAGBOT_GITHUB_URL: github.url,
        DIAGBOT_GITHUB_TOKEN: TOKEN,
        DIAGBOT_TICKET_ATTEMPTS: "4",
      },
    });
  });

  afterAll(async () => {
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
});
