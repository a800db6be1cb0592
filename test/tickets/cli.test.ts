import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { jiraStandIn } from "./vendors.js";

const EXAMPLE = "runbooks/examples/09-oom-memory-leak-tickrs";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "diagbot-tickets-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function jira() {
  const auth = `Basic ${Buffer.from("ops@example.com:jira-token-1").toString("base64")}`;
  const server = await jiraStandIn({ flavour: "cloud", auth, issue: "OPS-7" });
  cleanups.push(server.close);
  const state = await tempDir();
  const env = {
    DIAGBOT_JIRA_URL: server.url,
    DIAGBOT_JIRA_EMAIL: "ops@example.com",
    DIAGBOT_JIRA_TOKEN: "jira-token-1",
    DIAGBOT_STATE_DIR: state,
  };
  return { server, env, state };
}

describe("diagbot diagnose --ticket", () => {
  it("attaches the report of an example bundle to jira:OPS-7 and exits 0; again, adds nothing", async () => {
    const { server, env } = await jira();
    const args = ["diagnose", "tickrs", "--from", EXAMPLE, "--ticket", "jira:OPS-7"];
    const r = await runCli(args, { env });
    expect(r.stderr).toMatch(
      /diagbot: evidence attached to jira:OPS-7: http:\/\/127\.0\.0\.1:\d+\/browse\/OPS-7\?focusedCommentId=10000/,
    );
    expect(r.code).toBe(0);
    expect(server.comments).toHaveLength(1);
    expect(JSON.stringify(server.comments[0].body)).toContain("memory-leak");
    expect(server.attachments).toHaveLength(2);
    const again = await runCli(args, { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("evidence already on jira:OPS-7");
    expect(server.comments).toHaveLength(1);
    expect(server.attachments).toHaveLength(2);
  });

  it("exits 5 and keeps the bundle (0600 in a 0700 folder) when the server keeps answering 503", async () => {
    const { server, env, state } = await jira();
    server.failAlways({
      status: 503,
      headers: { "retry-after": "0" },
      body: "Service Unavailable",
    });
    const r = await runCli(["diagnose", "tickrs", "--from", EXAMPLE, "--ticket", "jira:OPS-7"], {
      env,
    });
    expect(r.code).toBe(5);
    expect(server.calls).toHaveLength(3);
    expect(r.stderr).toContain(
      "Jira did not take the evidence (listing the comments of OPS-7) after 3 tries: HTTP 503",
    );
    const kept = /the evidence bundle is kept at (\S+)/.exec(r.stderr)?.[1] ?? "";
    expect(kept.startsWith(join(state, "undelivered"))).toBe(true);
    expect((await stat(kept)).mode & 0o777).toBe(0o600);
    expect((await stat(join(state, "undelivered"))).mode & 0o777).toBe(0o700);
    expect(r.stdout).toContain("tickrs");
  });

  it("refuses a bad key or a missing setting with exit 2 before reading the bundle", async () => {
    const bad = await runCli(["diagnose", "x", "--from", EXAMPLE, "--ticket", "jira:ops7"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("the form is jira:OPS-7");
    const unset = await runCli(["diagnose", "x", "--from", EXAMPLE, "--ticket", "github:a/b#1"], {
      env: { DIAGBOT_GITHUB_TOKEN: "" },
    });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("DIAGBOT_GITHUB_TOKEN is not set");
    expect(unset.stdout).toBe("");
  });
});

describe("report.json", () => {
  it("is saved next to bundle.json, and a replay notes the verdict it recorded", async () => {
    const dir = join(await tempDir(), "b");
    const saved = await runCli(["diagnose", "x", "--from", EXAMPLE, "--save", dir, "--json"]);
    expect(saved.code).toBe(0);
    const recorded = JSON.parse(await readFile(join(dir, "report.json"), "utf8"));
    expect(recorded).toEqual(saved.json);
    const top = recorded.hypotheses[0];
    const replay = await runCli(["diagnose", "x", "--from", dir, "--json"]);
    expect(replay.json.ignored).not.toContain("report.json");
    const pct = Math.round(top.confidence * 100);
    expect(replay.json.notes).toContain(
      `recorded verdict: ${top.title} (${pct} %); today: the same`,
    );

    recorded.hypotheses = [
      { ...top, title: "an older verdict", rule: "older-rule", confidence: 0.4 },
    ];
    await writeFile(join(dir, "report.json"), JSON.stringify(recorded));
    const changed = await runCli(["diagnose", "x", "--from", dir, "--json"]);
    expect(changed.json.notes).toContain(
      `recorded verdict: an older verdict (40 %); today: ${top.title} (${pct} %)`,
    );
  });
});
