import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiagbotError } from "../../src/model/errors.js";
import { AuditStream } from "../../src/observability/audit.js";
import type { StoredBundle } from "../../src/queue/bundle.js";
import type { Engine } from "../../src/queue/engine.js";
import { runCli } from "../helpers/cli.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { fakeReport } from "../helpers/reports.js";
import { type Json, postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";
import { freePort } from "../helpers/sshd.js";

/**
 * The audit stream end to end: `serve --http` (this process) records requests and decisions, an
 * in-process worker records each run's commands, exit codes, duration and bundle hash, and the
 * real `diagbot audit` binary reads them back from real Redis.
 */
const KEY = "/home/op/.ssh/diagbot_ed25519";
const engine: Engine = async (request) => {
  if (request.host === "gone-host")
    throw new DiagbotError("auth-failed", `the host refused the key ${KEY}`, {
      hint: `check that ${KEY}.pub is in authorized_keys`,
      localPaths: [KEY],
    });
  return {
    report: fakeReport({ host: request.host }),
    outputs: [
      {
        id: "top",
        status: "ok",
        exitCode: 0,
        durationMs: 12,
        command: "top -b -n 1",
        out: Buffer.from("  PID COMMAND\n 4242 app --token=abcdef123456\n"),
      },
      {
        id: "dmesg",
        status: "failed",
        exitCode: 1,
        durationMs: 3,
        command: "dmesg --password=hunter2",
        error: "dmesg: read kernel buffer failed: Operation not permitted",
      },
    ],
  };
};

describe("the audit stream and `diagbot audit`", () => {
  let h: Harness;
  const audit = (args: string[], env: Record<string, string> = {}) =>
    runCli(["audit", ...args], {
      env: {
        REDIS_URL: SHARED_REDIS_URL,
        DIAGBOT_REDIS_PREFIX: h.prefix,
        DIAGBOT_REDIS_CONNECT_TIMEOUT_MS: "500",
        ...env,
      },
      timeoutMs: 30_000,
    });
  const send = (text: string, user: string, channel = "C1") =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, user, channel, responseUrl: h.fake.responseUrl() }),
    );

  beforeAll(async () => {
    h = await startHarness({
      mode: "http",
      engine,
      hosts: { "test-host": ["test"], "gone-host": ["test"] },
      env: { DIAGBOT_JOB_ATTEMPTS: "1" },
    });
    await send("test-host --token xoxb-1234567890-abcdefghijkl", "UREF");
    await send("test-host cpu --window 2s", "UOK", "C7");
    await send("gone-host --window 1s", "UOK", "C8");
    const answered = async () => (await audit(["--json", "--since", "5m"])).json ?? [];
    await until(
      async () =>
        (await answered()).filter((e: Json) => e.event === "answered" || e.event === "failed")
          .length === 2,
      30_000,
      "answered and failed events",
    );
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("--json: who, where, host, options, decision, the commands run, exit codes, duration and bundle hash, redacted", async () => {
    const r = await audit(["--json"]);
    expect(r.code).toBe(0);
    const events = r.json as Json[];
    expect(r.stdout).not.toMatch(/abcdefghijkl|hunter2|abcdef123456/);
    const refused = events.find((e) => e.user === "UREF");
    expect(refused).toMatchObject({ event: "request", decision: "refused", channel: "C1" });
    expect(refused.textSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(refused.text).toBeUndefined();
    const mine = events.filter((e) => e.user === "UOK" && e.host === "test-host");
    expect(mine.map((e) => [e.event, e.decision])).toEqual([
      ["request", "allowed"],
      ["queued", "queued"],
      ["answered", "answered"],
    ]);
    const answered = mine[2];
    expect(answered).toMatchObject({
      channel: "C7",
      symptom: "cpu",
      window: 2,
      deep: false,
      commands: [
        { collector: "top", command: "top -b -n 1", status: "ok", exitCode: 0, durationMs: 12 },
        {
          collector: "dmesg",
          command: "dmesg --password=[REDACTED]",
          status: "failed",
          exitCode: 1,
          durationMs: 3,
        },
      ],
    });
    expect(answered.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(answered.at)).toBeGreaterThan(Date.now() - 60_000);
    const bundle = await h.producer.store.loadBundle<StoredBundle>(answered.diagnosisId);
    expect(answered.bundleSha256).toBe(
      createHash("sha256").update(bundle!.files["bundle.json"]).digest("hex"),
    );
    const failed = events.find((e) => e.event === "failed");
    expect(failed).toMatchObject({
      user: "UOK",
      channel: "C8",
      host: "gone-host",
      decision: "failed",
    });
    // The key's path is the worker's business: the channel and the trail get its file name.
    expect(failed.reason).toContain("the host refused the key diagbot_ed25519");
    expect(r.stdout).not.toContain("/home/op");
    const inC8 = h.fake.calls
      .filter((c) => c.args.channel === "C8")
      .map((c) => JSON.stringify(c.args));
    expect(inC8.some((t) => t.includes("refused the key diagbot_ed25519"))).toBe(true);
    expect(inC8.join("\n")).not.toContain("/home/op");
  });

  it("--user and --host filter; without --json a table a person reads", async () => {
    const byUser = (await audit(["--json", "--user", "UREF"])).json as Json[];
    expect(byUser.map((e) => e.user)).toEqual(["UREF"]);
    const byHost = (await audit(["--json", "--host", "gone-host"])).json as Json[];
    expect(byHost.length).toBeGreaterThanOrEqual(3);
    expect(byHost.every((e) => e.host === "gone-host")).toBe(true);
    const table = await audit(["--host", "test-host", "--user", "UOK"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^TIME \(UTC\)\s+EVENT\s+DECISION\s+USER\s+CHANNEL\s+HOST\s+REQUEST\s+DETAIL$/,
    );
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(
      /answered\s+answered\s+UOK\s+C7\s+test-host\s+cpu --window 2s\s+dg_\w+; .*2 commands, exit 0\/1, not ok: dmesg failed; \d+\.\d s; bundle [0-9a-f]{12}$/,
    );
    const none = await audit(["--user", "UNOBODY", "--since", "10m"]);
    expect(none.stdout).toBe("no audit events in the last 10m\n");
  });

  it("a bad --since is a usage error; Redis down is a clear error with exit 3", async () => {
    const bad = await audit(["--since", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday": expected a duration');
    const port = await freePort();
    // A password holding `@` and `/` is cut whole from the message.
    const down = await audit(["--json"], { REDIS_URL: `redis://:p@ss/w0rd@127.0.0.1:${port}` });
    expect(down.code).toBe(3);
    // A refusal is said as the connection said it, at once.
    expect(down.stderr).toContain(
      `cannot read the audit stream: Redis at redis://:***@127.0.0.1:${port} does not answer: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(down.stderr).not.toMatch(/p@ss|w0rd/);
    expect(down.stdout).toBe("");
  });
});

describe("the audit stream's caps", () => {
  const prefix = uniquePrefix("audit");
  const redis = new Redis(SHARED_REDIS_URL);
  afterAll(async () => {
    redis.disconnect();
    await removePrefix(prefix);
  });

  it("keeps about maxLen entries, drops entries older than maxAge, and redacts every field", async () => {
    const stream = new AuditStream(redis, {
      key: `${prefix}:audit`,
      maxLen: 100,
      maxAgeSeconds: 3600,
    });
    for (let i = 0; i < 500; i++)
      await stream.append("request", {
        user: `U${i}`,
        reason: "token xoxb-1234567890-abcdefghijkl",
      });
    const length = await redis.xlen(`${prefix}:audit`);
    // `~`: Redis trims whole macro nodes (100 entries each by default), never below maxLen.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    const kept = await stream.read(0);
    expect(kept.at(-1)?.fields.user).toBe("U499");
    expect(JSON.stringify(kept)).not.toContain("abcdefghijkl");
    // An age cap of 1 s: after 1.1 s every earlier macro node is past it.
    const young = new AuditStream(redis, {
      key: `${prefix}:young`,
      maxLen: 100_000,
      maxAgeSeconds: 1,
    });
    for (let i = 0; i < 300; i++) await young.append("request", { user: `U${i}` });
    await new Promise((r) => setTimeout(r, 1100));
    await young.append("request", { user: "later" });
    const aged = await young.read(0);
    expect(aged.length).toBeLessThanOrEqual(101);
    expect(aged.at(-1)?.fields.user).toBe("later");
    expect(aged.some((e) => e.fields.user === "U0")).toBe(false);
  });
});
