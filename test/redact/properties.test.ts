import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactText } from "../../src/redact/index.js";
import { CORPUS, leaked } from "./corpus.js";

/**
 * Properties of the redactor: it is idempotent; cutting its output never reveals more of a
 * secret; and a token already cut by a tool's column width (`top -w`, `ps`, a trailing `+`)
 * is still replaced from its recognisable prefix.
 */

/** Tokens whose prefix is too weak to recognise them cut: only their whole length is. */
const WHOLE_ONLY = new Set([
  "twilio-api-key",
  "mailgun-api-key",
  "mailchimp-api-key",
  "nuget-key",
  "discord-bot-token",
  "square-access-token",
]);

/** How short a cut token may be and still be replaced: a prefix and some characters. */
const CUT_FROM = 20;

/** The public start of a webhook URL or bot token, before its secret part. */
const PUBLIC: Record<string, RegExp> = {
  "slack-webhook": /^hooks\.slack\.com\/services\//,
  "discord-webhook": /^discord\.com\/api\/webhooks\/\d+\//,
  "telegram-bot-token": /^\d+:/,
};

const top = (command: string) =>
  `   4242 app       20   0 2151232 412340  18400 S  87.4   5.1  12:03.11 ${command}+\n`;

describe("cut tokens", () => {
  const tokens = CORPUS.filter(
    (e) => (e.class === "vendor-token" || e.class === "jwt") && !WHOLE_ONLY.has(e.shape),
  );
  for (const e of tokens) {
    it(`${e.shape} cut at any width from ${CUT_FROM} characters`, () => {
      const open = e.secret.match(PUBLIC[e.shape] ?? /^/)?.[0].length ?? 0;
      for (let n = Math.max(CUT_FROM, open + 8); n < e.secret.length; n++) {
        const cut = e.secret.slice(0, n);
        const out = redactText(top(`/usr/bin/agent --verbose ${cut}`)).text;
        expect(leaked(out, cut.slice(open)), `${cut} → ${out}`).toBeUndefined();
      }
    });
  }

  it("a password in a command line cut by ps keeps no part of it", () => {
    const line =
      "app 9001 3.1 1.2 812344 201220 ? Sl 09:14 1:02 /opt/app/server --db-password=Xy7!pQ2@wL9/zR4";
    for (let n = line.indexOf("=") + 2; n < line.length; n++) {
      const out = redactText(line.slice(0, n)).text;
      expect(leaked(out, line.slice(line.indexOf("=") + 1, n)), out).toBeUndefined();
    }
  });
});

/** Text made of ordinary output, planted secrets and their pieces, and noise. */
const pieces = fc.oneof(
  fc.constantFrom(...CORPUS.map((e) => e.text)),
  fc.constantFrom(...CORPUS.map((e) => e.secret)),
  fc.constantFrom(
    " ",
    "\n",
    "=",
    ":",
    "@",
    "'",
    '"',
    "--password",
    "-p",
    "mysql ",
    "Authorization: Bearer ",
    "postgres://u:",
    "export TOKEN=",
    "[REDACTED]",
    `${"-".repeat(5)}BEGIN RSA PRIVATE KEY${"-".repeat(5)}\n`,
    "eyJhbGciOiJIUzI1NiJ9",
    "ghp_",
    "sda 12.0 0.00",
  ),
  fc.string({ maxLength: 12 }),
);
const texts = fc.array(pieces, { maxLength: 12 }).map((a) => a.join(""));

describe("properties", () => {
  it("redact(redact(x)) = redact(x)", () => {
    fc.assert(
      fc.property(texts, (x) => {
        const once = redactText(x).text;
        expect(redactText(once).text).toBe(once);
      }),
      { numRuns: 1500 },
    );
  });

  it("cutting after redaction never reveals any 8 characters of a planted secret", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS),
        fc.string({ maxLength: 20 }),
        fc.nat(),
        (e, noise, at) => {
          const out = redactText(`${noise} ${e.text} ${noise}`).text;
          const cut = out.slice(0, at % (out.length + 1));
          expect(leaked(cut, e.secret)).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
});
