import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { SHARED_REDIS_URL } from "../helpers/redis.js";
import { postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";
import { type SshdHandle, startSshd } from "../helpers/sshd.js";
import { githubStandIn } from "../tickets/vendors.js";

/**
 * End to end: the Slack app (HTTP mode, this process) → real Redis → `diagbot worker`
 * processes → a real sshd on loopback → answers at the local Slack stand-in. The runbook folder
 * holds one rule that fires on every host, so the answer's category is known.
 */
const RUNBOOKS = fileURLToPath(new URL("./fixtures/runbooks", import.meta.url));

type WorkerProcess = CliProcess;

const spawnWorker = (env: NodeJS.ProcessEnv): WorkerProcess =>
  spawnCli(["worker", "--concurrency", "2"], env);

const logins = (sshd: SshdHandle) =>
  (sshd.log().match(/Accepted publickey for root/g) ?? []).length;

describe("slash command to thread answer, with worker processes and a real sshd", () => {
  let sshd: SshdHandle;
  let h: Harness;
  let workerEnv: NodeJS.ProcessEnv;
  let github: Awaited<ReturnType<typeof githubStandIn>>;
  const workers: WorkerProcess[] = [];

  const command = (text: string, channel: string) =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, channel, responseUrl: h.fake.responseUrl() }),
    );
  const threadAnswers = (channel: string) =>
    h.fake
      .callsOf("chat.postMessage")
      .filter(
        (c) => c.args.channel === channel && c.args.thread_ts && Array.isArray(c.args.blocks),
      );

  beforeAll(async () => {
    sshd = await startSshd();
    h = await startHarness({ mode: "http" });
    github = await githubStandIn({ token: "ghp-e2e-token", repo: "acme/web", number: 12 });
    workerEnv = {
      REDIS_URL: SHARED_REDIS_URL,
      DIAGBOT_REDIS_PREFIX: h.prefix,
      DIAGBOT_INVENTORY: sshd.inventory,
      DIAGBOT_RUNBOOKS: RUNBOOKS,
      SLACK_BOT_TOKEN: h.fake.botToken,
      SLACK_API_URL: h.fake.apiUrl,
      DIAGBOT_LOCK_MS: "3000",
      DIAGBOT_STALLED_INTERVAL_MS: "500",
      DIAGBOT_LOG_LEVEL: "warn",
      DIAGBOT_GITHUB_URL: github.url,
      DIAGBOT_GITHUB_TOKEN: "ghp-e2e-token",
    };
    const w = spawnWorker(workerEnv);
    workers.push(w);
    await w.waitFor(/diagbot worker: ready/);
  });

  afterAll(async () => {
    for (const w of workers) await w.stop("SIGKILL");
    await h?.stop();
    await github?.close();
    await sshd?.stop();
  });

  it("ack, root message, progress edits with rising counts, then the thread answer with the expected category", async () => {
    const t0 = Date.now();
    const r = await command("test-host health --window 1s", "C-E2E");
    const ackAt = Date.now();
    expect(r.status).toBe(200);
    expect(ackAt - t0).toBeLessThan(3000);
    await until(() => threadAnswers("C-E2E").length > 0, 60_000, "thread answer");
    const mine = h.fake.calls.filter(
      (c) => c.args.channel === "C-E2E" && c.status === 200 && !c.error,
    );
    const root = mine.find((c) => c.method === "chat.postMessage" && !c.args.thread_ts)!;
    expect(root.args.text).toMatch(/diagnosing test-host \(health\)/);
    const answer = threadAnswers("C-E2E")[0];
    const progress = mine.filter(
      (c) => c.method === "chat.update" && /collectors done/.test(c.args.text),
    );
    expect(progress.length).toBeGreaterThan(0);
    const counts = progress.map((c) => Number(/(\d+)\/\d+ collectors/.exec(c.args.text)![1]));
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    expect(root.at).toBeGreaterThanOrEqual(t0);
    expect(progress[0].at).toBeGreaterThanOrEqual(root.at);
    expect(answer.at).toBeGreaterThanOrEqual(progress[progress.length - 1].at);
    expect(answer.args.thread_ts).toBe(root.response.ts);
    expect(answer.args.text).toMatch(/test-host \(health\): test rule: .* — other/);
    expect(JSON.stringify(answer.args.blocks)).toContain("`other`");
    await until(
      () =>
        h.fake
          .callsOf("chat.update")
          .some(
            (c) =>
              c.args.channel === "C-E2E" &&
              c.args.ts === root.response.ts &&
              /answer in the thread/.test(c.args.text),
          ),
      5000,
      "root message edited with the headline",
    );
  });

  it("10 identical commands: one SSH login at sshd, 10 answers, one each", async () => {
    const before = logins(sshd);
    const channels = Array.from({ length: 10 }, (_, i) => `C-CO-${i}`);
    const acks = await Promise.all(
      channels.map((c) => command("test-host latency --window 1s", c)),
    );
    expect(acks.every((a) => a.status === 200)).toBe(true);
    await until(() => channels.every((c) => threadAnswers(c).length > 0), 60_000, "10 answers");
    await new Promise((r) => setTimeout(r, 1000));
    expect(channels.map((c) => threadAnswers(c).length)).toEqual(channels.map(() => 1));
    expect(logins(sshd) - before).toBe(1);
  });

  it("--ticket: the worker process answers, then puts the redacted evidence on the GitHub issue and says so in the thread", async () => {
    const r = await command("test-host health --window 1s --ticket github:acme/web#12", "C-TICKET");
    expect(r.status).toBe(200);
    const note = () =>
      h.fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "C-TICKET" && /evidence attached to/.test(c.args.text));
    await until(() => note() !== undefined, 60_000, "ticket note");
    expect(threadAnswers("C-TICKET")).toHaveLength(2);
    expect(threadAnswers("C-TICKET")[0].args.text).toMatch(/test-host \(health\)/);
    expect(github.comments).toHaveLength(1);
    const [comment] = github.comments;
    expect(note()!.args.text).toBe(
      `:paperclip: evidence attached to \`github:acme/web#12\`: ${comment.html_url}`,
    );
    expect(comment.body).toMatch(/diagbot-bundle: [0-9a-f]{64}/);
    expect(comment.body).toContain("test-host");
  });

  it("a worker killed mid-diagnosis: another worker takes the job over, exactly one answer", async () => {
    for (const w of workers.splice(0)) await w.stop("SIGTERM");
    const held = spawnWorker({ ...workerEnv, DIAGBOT_TEST_HOOK: "hold-mid-diagnosis" });
    workers.push(held);
    await held.waitFor(/diagbot worker: ready/);
    const r = await command("test-host memory --window 1s", "C-CRASH");
    expect(r.status).toBe(200);
    await held.waitFor(/diagbot-test-hook: held/, 30_000);
    await held.stop("SIGKILL");
    expect(threadAnswers("C-CRASH")).toHaveLength(0);
    const next = spawnWorker(workerEnv);
    workers.push(next);
    await until(() => threadAnswers("C-CRASH").length > 0, 60_000, "answer after the crash");
    await new Promise((r2) => setTimeout(r2, 1500));
    expect(threadAnswers("C-CRASH")).toHaveLength(1);
    expect(threadAnswers("C-CRASH")[0].args.text).toMatch(/test-host \(memory\)/);
  });
});
