import { createHmac } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setting } from "../../src/tickets/config.js";
import { signWebhook, verifyWebhook } from "../../src/tickets/sign.js";

describe("settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-settings-"));
  const file = join(dir, "token");
  writeFileSync(file, "from-file\n");

  it("reads X, or X_FILE without its trailing newline; empty is unset", () => {
    expect(setting({ DIAGBOT_JIRA_TOKEN: "direct" }, "DIAGBOT_JIRA_TOKEN")).toBe("direct");
    expect(setting({ DIAGBOT_JIRA_TOKEN_FILE: file }, "DIAGBOT_JIRA_TOKEN")).toBe("from-file");
    expect(setting({ DIAGBOT_JIRA_TOKEN: "" }, "DIAGBOT_JIRA_TOKEN")).toBeUndefined();
  });

  it("refuses both, and names an unreadable file", () => {
    expect(() =>
      setting({ DIAGBOT_JIRA_TOKEN: "a", DIAGBOT_JIRA_TOKEN_FILE: file }, "DIAGBOT_JIRA_TOKEN"),
    ).toThrow("both DIAGBOT_JIRA_TOKEN and DIAGBOT_JIRA_TOKEN_FILE are set");
    expect(() =>
      setting({ DIAGBOT_JIRA_TOKEN_FILE: join(dir, "none") }, "DIAGBOT_JIRA_TOKEN"),
    ).toThrow(/DIAGBOT_JIRA_TOKEN_FILE=.*none: no such file/);
  });

  it("refuses an empty file: a secret that never reached it is no empty key to sign with", () => {
    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    expect(() => setting({ DIAGBOT_WEBHOOK_SECRET_FILE: empty }, "DIAGBOT_WEBHOOK_SECRET")).toThrow(
      `DIAGBOT_WEBHOOK_SECRET_FILE=${empty}: the file is empty`,
    );
  });
});

describe("webhook signature", () => {
  it("is sha256=HMAC-SHA256(secret, '<timestamp>.<raw body>'), checked within 5 minutes", () => {
    const body = '{"id":"x"}';
    const expected = createHmac("sha256", "s").update(`1765000000.${body}`).digest("hex");
    expect(signWebhook(body, 1765000000, "s")).toBe(`sha256=${expected}`);
    const now = new Date(1765000000 * 1000 + 299_000);
    expect(verifyWebhook(body, "1765000000", `sha256=${expected}`, "s", { now })).toBe(true);
    expect(verifyWebhook(`${body} `, "1765000000", `sha256=${expected}`, "s", { now })).toBe(false);
    const late = new Date(1765000000 * 1000 + 301_000);
    expect(verifyWebhook(body, "1765000000", `sha256=${expected}`, "s", { now: late })).toBe(false);
  });
});
