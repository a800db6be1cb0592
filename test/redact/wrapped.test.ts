import { describe, expect, it } from "vitest";
import { REDACTED, redactText } from "../../src/redact/index.js";

/**
 * Secrets as terminals and JSON write them: behind a colour code (`ls --color`, `grep
 * --color`, a coloured log line pasted from a terminal), and inside a JSON string that holds an
 * escaped quote.
 */
const RED = "\x1b[31m";
const BOLD = "\x1b[1m";
const OFF = "\x1b[0m";

const SECRETS = [
  "xoxb-1234567890-1234567890123-abcdefghijklmnopqrstuvwx",
  "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
  "AKIAIOSFODNN7EXAMPLE",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
];

describe("secrets behind terminal colour codes", () => {
  it.each(SECRETS)("%s, coloured, is replaced and the colour codes kept", (secret) => {
    for (const text of [`a ${RED}${secret}${OFF} b`, `${BOLD}${secret}`, `x=1${RED}${secret}`]) {
      const r = redactText(text);
      expect(r.count, text).toBe(1);
      for (const piece of secret.split(".")) expect(r.text).not.toContain(piece);
      expect(r.text).toContain(REDACTED);
      expect(r.text.replace(REDACTED, "")).toBe(text.replace(secret, ""));
    }
  });

  it("a coloured key=value pair is replaced, and coloured ordinary text is left alone", () => {
    expect(redactText(`${RED}password=hunter2secret${OFF}`).text).toBe(
      `${RED}password=${REDACTED}${OFF}`,
    );
    const ordinary = `${BOLD}sda${OFF}  util ${RED}99.2${OFF} %  aqu-sz 4.1`;
    expect(redactText(ordinary)).toMatchObject({ text: ordinary, count: 0 });
  });
});

describe("a colour code between a name and its secret", () => {
  it.each([
    [`password=${RED}hunter2secret${OFF}`, "hunter2secret"],
    // grep --color=always -i password: the match coloured, the value after it.
    ["db_\x1b[01;31m\x1b[Kpassword\x1b[m\x1b[K=hunter7secret", "hunter7secret"],
    [`postgres://app:${RED}p4ssw0rd${OFF}@db:5432/app`, "p4ssw0rd"],
  ])("%j loses its colours rather than keep the secret", (text, secret) => {
    const r = redactText(text);
    expect(r.count).toBe(1);
    expect(r.text).not.toContain(secret);
    expect(r.text).not.toContain("\x1b");
    expect(r.text).toContain(REDACTED);
  });
});

describe("a JSON string with an escaped quote", () => {
  it("is replaced to its real closing quote", () => {
    expect(redactText('{"password":"a\\"b secretTail","user":"app"}').text).toBe(
      `{"password":"${REDACTED}","user":"app"}`,
    );
    expect(redactText('DB_PASSWORD="p\\"q tail" next').text).toBe(`DB_PASSWORD="${REDACTED}" next`);
  });

  it("a single-quoted value keeps its backslash literal, as the shell does", () => {
    expect(redactText("password='a\\' rest").text).toBe(`password='${REDACTED}' rest`);
  });
});
