import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

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
});
