import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/log.js";
import { postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * The audit lines of `/diagnose` over real HTTP, captured from the logger: validated fields
 * for requests that parsed, length and SHA-256 only for text that did not.
 */
describe("serve --http: the audit log keeps no raw command text", () => {
  let h: Harness;
  const lines: string[] = [];
  const audits = () =>
    lines.map((l) => JSON.parse(l)).filter((e) => e.audit === true && e.event === "request");

  beforeAll(async () => {
    const log = createLogger(
      "test",
      { DIAGBOT_LOG_LEVEL: "info" },
      { write: (l: string) => lines.push(l) },
    );
    h = await startHarness({ mode: "http", log });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const send = (text: string, user: string) =>
    postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text, user, responseUrl: h.fake.responseUrl() }),
    );

  it("a rejected text with secrets is logged as its length and hash, never as text", async () => {
    const secrets = [
      "test-host --token xoxb-1234567890-abcdefghijkl --password=hunter2",
      'test-host --window "xoxb-1234567890-abcdefghijkl"',
      "test-host --pid xoxb-1234567890-abcdefghijkl",
    ];
    for (const [i, text] of secrets.entries()) {
      const r = await send(text, `UA${i}`);
      expect(JSON.parse(r.body).response_type).toBe("ephemeral");
    }
    await until(
      () => audits().filter((e) => e.user?.startsWith("UA")).length === 3,
      5000,
      "audit lines",
    );
    const all = lines.join("\n");
    expect(all).not.toContain("hunter2");
    expect(all).not.toContain("abcdefghijkl");
    for (const [i, text] of secrets.entries()) {
      const e = audits().find((x) => x.user === `UA${i}`);
      expect(e).toMatchObject({
        decision: "refused",
        textLength: text.length,
        textSha256: createHash("sha256").update(text).digest("hex"),
      });
      expect(e.text).toBeUndefined();
      expect(e.reason).toMatch(/^[a-z-]+$/);
    }
  });

  it("a request that parsed is logged with its validated fields", async () => {
    // A token typed where the host goes parses as a host name: the log's redactor censors it.
    await send("xoxb-1234567890-abcdefghijkl", "UB0");
    const r = await send("no-such-host cpu --window 7s", "UB1");
    expect(JSON.parse(r.body).text).toContain("unknown host");
    await until(() => audits().some((e) => e.user === "UB1"), 5000, "audit line");
    const e = audits().find((x) => x.user === "UB1");
    expect(e).toMatchObject({
      decision: "refused",
      host: "no-such-host",
      symptom: "cpu",
      window: 7,
      deep: false,
    });
    expect(e.textSha256).toBeUndefined();
    expect(lines.join("\n")).not.toContain("abcdefghijkl");
  });
});
