import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signEvidenceLink } from "../../src/tickets/sign.js";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { removePrefix, serveEnv, uniquePrefix } from "../helpers/redis.js";
import { type FakeSlack, startFakeSlack } from "../helpers/slack-api.js";

/**
 * The real `diagbot serve` with DIAGBOT_PUBLIC_URL: the `/evidence/<sha256>` links on their own
 * listener (DIAGBOT_EVIDENCE_LISTEN), never on the port that takes Slack's requests; the secret
 * is required. (What a good link serves: test/tickets/slack.test.ts.)
 */
describe("serve's evidence listener", () => {
  let fake: FakeSlack;
  const prefix = uniquePrefix("evidence");
  const running: CliProcess[] = [];
  const secret = `secret-${Math.random().toString(36).slice(2)}`;
  const env = () =>
    serveEnv(fake, prefix, {
      DIAGBOT_METRICS_LISTEN: "off",
      DIAGBOT_PUBLIC_URL: "https://diagbot.example",
    });

  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(async () => {
    for (const p of running) await p.stop("SIGKILL");
    await fake?.close();
    await removePrefix(prefix);
  });

  it("serves /evidence/ on DIAGBOT_EVIDENCE_LISTEN: 403 unsigned or expired, 404 for a good link to nothing stored", async () => {
    const serve = spawnCli(["serve", "--http", "--port", "0", "--host", "127.0.0.1"], {
      ...env(),
      DIAGBOT_EVIDENCE_SECRET: secret,
      DIAGBOT_EVIDENCE_LISTEN: "127.0.0.1:0",
    });
    running.push(serve);
    const ready = await serve.waitFor(
      /ready \(HTTP on port (\d+) at \/slack\/events; metrics off; evidence links on 127\.0\.0\.1:(\d+)\)/,
    );
    const [slackPort, evidencePort] = [ready[1], ready[2]];
    const base = `http://127.0.0.1:${evidencePort}`;
    const sha = "a".repeat(64);
    expect((await fetch(`${base}/evidence/${sha}`)).status).toBe(403);
    const expired = signEvidenceLink(base, sha, new Date(Date.now() - 1000), secret);
    expect((await fetch(expired)).status).toBe(403);
    const good = signEvidenceLink(base, sha, new Date(Date.now() + 60_000), secret);
    const r = await fetch(good);
    expect([r.status, await r.text()]).toEqual([
      404,
      "this evidence is no longer stored: run the diagnosis again\n",
    ]);
    const onSlack = signEvidenceLink(
      `http://127.0.0.1:${slackPort}`,
      sha,
      new Date(Date.now() + 60_000),
      secret,
    );
    expect((await fetch(onSlack)).status).toBe(404);
    expect(await serve.stop()).toBe(0);
  });

  it("exits 2 naming DIAGBOT_EVIDENCE_SECRET when it is missing", async () => {
    const r = await runCli(["serve", "--http", "--port", "0"], {
      env: { ...env(), DIAGBOT_EVIDENCE_LISTEN: "127.0.0.1:0" },
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DIAGBOT_EVIDENCE_SECRET is not set");
  });
});
