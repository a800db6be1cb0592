import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { uniquePrefix } from "../helpers/redis.js";
import { startFakeSlack } from "../helpers/slack-api.js";

/** `diagbot serve` and `diagbot worker` refuse a missing configuration with exit 2 and the remedy. */
describe("serve and worker verbs", () => {
  const env = {
    SLACK_BOT_TOKEN: "",
    SLACK_APP_TOKEN: "",
    SLACK_SIGNING_SECRET: "",
    DIAGBOT_LOG_LEVEL: "silent",
  };

  it("serve without a bot token exits 2 naming the variable", async () => {
    const r = await runCli(["serve"], { env, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SLACK_BOT_TOKEN is not set/);
  });

  it("serve in Socket Mode needs the app token; --http needs the signing secret", async () => {
    const socket = await runCli(["serve"], {
      env: { ...env, SLACK_BOT_TOKEN: "xoxb-x" },
      timeoutMs: 20_000,
    });
    expect(socket.code).toBe(2);
    expect(socket.stderr).toMatch(/SLACK_APP_TOKEN/);
    const http = await runCli(["serve", "--http", "--port", "0"], {
      env: { ...env, SLACK_BOT_TOKEN: "xoxb-x" },
      timeoutMs: 20_000,
    });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/SLACK_SIGNING_SECRET/);
  });

  it("worker refuses a malformed REDIS_URL and a bad timing", async () => {
    const url = await runCli(["worker"], {
      env: { ...env, SLACK_BOT_TOKEN: "xoxb-x", REDIS_URL: "http://x" },
      timeoutMs: 20_000,
    });
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/REDIS_URL="http:\/\/x"/);
    const lock = await runCli(["worker"], {
      env: { ...env, SLACK_BOT_TOKEN: "xoxb-x", DIAGBOT_LOCK_MS: "soon" },
      timeoutMs: 20_000,
    });
    expect(lock.code).toBe(2);
    expect(lock.stderr).toMatch(/DIAGBOT_LOCK_MS="soon"/);
  });

  it("scheduler without DIAGBOT_SWEEPS, or with a bad file, exits 2 naming file, line and field", async () => {
    const none = await runCli(["scheduler"], { env, timeoutMs: 20_000 });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/DIAGBOT_SWEEPS is not set/);
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweeps-cli-"));
    const file = join(dir, "sweeps.yaml");
    await writeFile(
      file,
      "sweeps:\n  web:\n    hosts: web\n    every: 30s\n    channel: C0WEB\n    confirmRuns: 0\n",
    );
    const bad = await runCli(["scheduler"], {
      env: { ...env, SLACK_BOT_TOKEN: "xoxb-x", DIAGBOT_SWEEPS: file },
      timeoutMs: 20_000,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `${file}:6: sweeps.web.confirmRuns: expected a whole number from 1 to 10`,
    );
  });

  it("scheduler and serve refuse a sweep whose hosts the inventory lacks, with every other problem", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweeps-hosts-"));
    const inventory = join(dir, "inventory.yaml");
    await writeFile(inventory, "hosts:\n  web-1:\n    address: 10.0.0.1\n    groups: [web]\n");
    const file = join(dir, "sweeps.yaml");
    await writeFile(
      file,
      "sweeps:\n  web-health:\n    hosts: wbe\n    every: 30s\n    channel: C0WEB\n" +
        "  db:\n    hosts: web\n    schedule: nightly\n    timezone: Mars/Olympus\n    channel: C0DB\n",
    );
    const sweepsEnv = { ...env, DIAGBOT_SWEEPS: file, DIAGBOT_INVENTORY: inventory };
    const runs = await Promise.all([
      runCli(["scheduler"], {
        env: { ...sweepsEnv, SLACK_BOT_TOKEN: "xoxb-x" },
        timeoutMs: 50_000,
      }),
      runCli(["serve"], {
        env: {
          ...sweepsEnv,
          SLACK_BOT_TOKEN: "xoxb-x",
          SLACK_APP_TOKEN: "xapp-x",
          DIAGBOT_METRICS_LISTEN: "off",
        },
        timeoutMs: 50_000,
      }),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${file}:3: sweeps.web-health.hosts: sweep web-health: no group or host "wbe" in the inventory (files read: ${inventory}); closest known groups: web;`,
      );
      expect(r.stderr).toContain(`${file}:8: sweeps.db.schedule: not a cron expression`);
      expect(r.stderr).toContain(`${file}:9: sweeps.db.timezone: unknown time zone "Mars/Olympus"`);
    }
  }, 120_000);

  it("serve with a bot token Slack refuses exits 2 naming it, in either mode, and never says ready", async () => {
    const slack = await startFakeSlack();
    try {
      const refused = {
        ...env,
        SLACK_API_URL: slack.apiUrl,
        SLACK_BOT_TOKEN: "xoxb-revoked-1",
        DIAGBOT_INVENTORY: fileURLToPath(
          new URL("../fixtures/sweeps/inventory.yaml", import.meta.url),
        ),
        DIAGBOT_REDIS_PREFIX: uniquePrefix("refused"),
      };
      for (const [args, extra] of [
        [["serve", "--http", "--port", "0"], { SLACK_SIGNING_SECRET: slack.signingSecret }],
        [["serve"], { SLACK_APP_TOKEN: slack.appToken }],
      ] as const) {
        const r = await runCli([...args], { env: { ...refused, ...extra }, timeoutMs: 30_000 });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/SLACK_BOT_TOKEN was refused by Slack: invalid_auth/);
        expect(r.stderr).not.toMatch(/ready|WebAPIPlatformError| {4}at /);
      }
    } finally {
      await slack.close();
    }
  }, 90_000);
});
