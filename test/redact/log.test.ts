import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { auditor } from "../../src/observability/audit.js";
import { createLogger } from "../../src/observability/log.js";

/** The log: credential fields censored by name, free text through the redactor. */
describe("log redaction", () => {
  it("censors credential fields and redacts secrets in any other field and the message", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger("test", { DIAGBOT_LOG_LEVEL: "info" }, sink);
    log.info(
      {
        token: "plain-token-value",
        slack: { botToken: "xoxb-1-2-abc" },
        command: "mysql -pHunter2Pass db",
      },
      "ran redis-cli -a Sup3rSecretPw info",
    );
    auditor(log)("request", { user: "U1", text: "web-1 --password=OpenSesame1" });
    const text = lines.join("");
    expect(text).not.toMatch(
      /plain-token-value|xoxb-1-2-abc|Hunter2Pass|Sup3rSecretPw|OpenSesame1/,
    );
    expect(text).toContain('"command":"mysql -p[REDACTED] db"');
    expect(text).toContain("ran redis-cli -a [REDACTED] info");
    expect(text).toContain('"text":"web-1 --password=[REDACTED]"');
    expect(lines).toHaveLength(2);
  });

  it("refuses a DIAGBOT_LOG_LEVEL that is not a level, naming the ones that are", () => {
    expect(() => createLogger("test", { DIAGBOT_LOG_LEVEL: "bogus" })).toThrow(
      expect.objectContaining({
        code: "config",
        message: 'DIAGBOT_LOG_LEVEL "bogus" is not a level',
        hint: expect.stringMatching(/fatal, error, warn, info, debug, trace, silent/),
      }),
    );
    expect(createLogger("test", { DIAGBOT_LOG_LEVEL: "debug" }).level).toBe("debug");
    expect(createLogger("test", {}).level).toBe("info");
  });
});
