import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { removePrefix, serveEnv, uniquePrefix } from "../helpers/redis.js";
import { type FakeSlack, startFakeSlack } from "../helpers/slack-api.js";
import { githubStandIn, jiraStandIn, pagerdutyStandIn } from "./vendors.js";

/**
 * `diagnose --ticket` from the CLI, with DIAGBOT_PUBLIC_URL and DIAGBOT_EVIDENCE_SECRET set and
 * a real `diagbot serve` answering /evidence/ there: every link a ticket receives must answer
 * 200 when fetched. The CLI keeps no bundle where `serve` finds it, so it writes no /evidence/
 * link: Jira holds the bundle as an attachment, GitHub and PagerDuty name the file it was saved
 * to.
 */
const EXAMPLE = "runbooks/examples/09-oom-memory-leak-tickrs";
const SECRET = "evidence-secret-for-the-cli-links-test";
const URLS = /https?:\/\/[^\s)<>"'\]|}]+/g;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Every URL in `text`, each with the status a GET answers. */
async function statuses(text: string): Promise<[string, number][]> {
  const urls = [...new Set(text.match(URLS) ?? [])];
  return Promise.all(
    urls.map(async (u) => [u, (await fetch(u, { redirect: "manual" })).status] as [string, number]),
  );
}

describe("links in tickets made by the CLI", () => {
  let fake: FakeSlack;
  let serve: CliProcess;
  let publicUrl: string;
  let state: string;
  const prefix = uniquePrefix("cli-links");
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    state = await mkdtemp(join(tmpdir(), "diagbot-cli-links-"));
    serve = spawnCli(
      ["serve", "--http", "--port", "0", "--host", "127.0.0.1"],
      serveEnv(fake, prefix, {
        DIAGBOT_METRICS_LISTEN: "off",
        DIAGBOT_PUBLIC_URL: publicUrl,
        DIAGBOT_EVIDENCE_SECRET: SECRET,
        DIAGBOT_EVIDENCE_LISTEN: `127.0.0.1:${port}`,
      }),
    );
    await serve.waitFor(/evidence links on 127\.0\.0\.1:\d+/);
  }, 60_000);
  afterAll(async () => {
    for (const close of closers) await close();
    await serve?.stop("SIGKILL");
    await fake?.close();
    await removePrefix(prefix);
    await rm(state, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({
    DIAGBOT_PUBLIC_URL: publicUrl,
    DIAGBOT_EVIDENCE_SECRET: SECRET,
    DIAGBOT_STATE_DIR: state,
    ...extra,
  });

  it("GitHub: no link that does not answer; the comment names the saved bundle, which is the one kept", async () => {
    const gh = await githubStandIn({ token: "ghp-links", repo: "acme/infra", number: 12 });
    closers.push(gh.close);
    const r = await runCli(
      ["diagnose", "tickrs", "--from", EXAMPLE, "--ticket", "github:acme/infra#12"],
      { env: env({ DIAGBOT_GITHUB_URL: gh.url, DIAGBOT_GITHUB_TOKEN: "ghp-links" }) },
    );
    expect(r.code, r.stderr).toBe(0);
    const body = gh.comments[0].body;
    for (const [url, status] of await statuses(body)) expect([url, status]).toEqual([url, 200]);
    const saved = /is saved at (\S+\.tar\.gz) on /.exec(body)?.[1] ?? "";
    expect(saved.startsWith(join(state, "evidence"))).toBe(true);
    expect(r.stderr).toContain(`the evidence bundle is saved at ${saved}`);
    const sha = /diagbot-bundle: ([0-9a-f]{64})/.exec(body)?.[1] ?? "";
    expect(saved).toContain(sha.slice(0, 12));
    expect((await readFile(saved)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it("PagerDuty: the note links nothing that does not answer and names the saved bundle", async () => {
    const pd = await pagerdutyStandIn({ token: "pd-links", incident: "PT4KHLK", routingKey: "r" });
    closers.push(pd.close);
    const r = await runCli(
      ["diagnose", "tickrs", "--from", EXAMPLE, "--ticket", "pagerduty:PT4KHLK"],
      {
        env: env({
          DIAGBOT_PAGERDUTY_URL: pd.url,
          DIAGBOT_PAGERDUTY_TOKEN: "pd-links",
          DIAGBOT_PAGERDUTY_FROM: "ops@example.com",
        }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const content = pd.notes[0].content;
    for (const [url, status] of await statuses(content)) expect([url, status]).toEqual([url, 200]);
    expect(content).toMatch(/is saved at \S+\.tar\.gz on /);
  });

  it("Jira: the comment says the bundle is attached, and the attachment is that bundle", async () => {
    const auth = `Basic ${Buffer.from("ops@example.com:jira-links").toString("base64")}`;
    const jira = await jiraStandIn({ flavour: "cloud", auth, issue: "OPS-7" });
    closers.push(jira.close);
    const r = await runCli(["diagnose", "tickrs", "--from", EXAMPLE, "--ticket", "jira:OPS-7"], {
      env: env({
        DIAGBOT_JIRA_URL: jira.url,
        DIAGBOT_JIRA_EMAIL: "ops@example.com",
        DIAGBOT_JIRA_TOKEN: "jira-links",
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    const comment = JSON.stringify(jira.comments[0].body);
    for (const [url, status] of await statuses(comment)) expect([url, status]).toEqual([url, 200]);
    const name = /Evidence bundle attached: (\S+\.tar\.gz)/.exec(comment)?.[1];
    const bundle = jira.attachments.find((a) => a.filename === name);
    expect(bundle?.data.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});
