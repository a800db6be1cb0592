import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkHostKey,
  findHostKeys,
  fingerprintSha256,
  globMatch,
  hostLookupNames,
  loadHostKeyPins,
  parseKnownHosts,
  requireHostKeys,
} from "../../src/inventory/known-hosts.js";
import type { DiagbotError } from "../../src/model/errors.js";

/** A syntactically valid key blob of a type (random body: only matched as bytes). */
function blob(type: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, randomBytes(40)]);
}
const b64 = (b: Buffer) => b.toString("base64");

function hashed(host: string): string {
  const salt = randomBytes(20);
  const hash = createHmac("sha1", salt).update(host).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

const host = (address: string, port = 22, name = "web-1") => ({
  name,
  address,
  port,
  knownHosts: "/kh",
});

const ED = blob("ssh-ed25519");
const ED2 = blob("ssh-ed25519");
const RSA = blob("ssh-rsa");
const EC = blob("ecdsa-sha2-nistp256");

describe("known_hosts parsing", () => {
  it("reads patterns, markers and comments, and reports lines it skips", () => {
    const text = [
      "# comment",
      "",
      `web-1,10.0.0.1 ssh-ed25519 ${b64(ED)} a comment with spaces`,
      `@revoked * ssh-rsa ${b64(RSA)}`,
      `@cert-authority *.example.com ecdsa-sha2-nistp256 ${b64(EC)}`,
      `@bogus web-1 ssh-ed25519 ${b64(ED)}`,
      "web-2 ssh-ed25519 not!base64",
      `web-3 ssh-rsa ${b64(ED)}`,
      "web-4 1024 35 1234567",
      "web-5 ssh-ed25519",
      `|1|short|short ssh-ed25519 ${b64(ED)}`,
      `web-6 sk-ssh-ed25519@openssh.com ${b64(blob("sk-ssh-ed25519@openssh.com"))}`,
    ].join("\r\n");
    const { entries, problems } = parseKnownHosts(text);
    expect(entries.map((e) => [e.marker, e.key.type, e.key.line])).toEqual([
      [null, "ssh-ed25519", 3],
      ["revoked", "ssh-rsa", 4],
      ["cert-authority", "ecdsa-sha2-nistp256", 5],
      [null, "sk-ssh-ed25519@openssh.com", 12],
    ]);
    expect(entries[3].supported).toBe(false);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [6, "unknown marker @bogus"],
      [7, "the key is not base64"],
      [8, "the key blob holds a ssh-ed25519 key, not ssh-rsa"],
      [9, "SSH protocol 1 key format is not supported"],
      [10, "expected: host patterns, key type, base64 key"],
      [11, "malformed hashed host entry (salt and hash are 20 bytes each)"],
      [
        12,
        "key type sk-ssh-ed25519@openssh.com cannot be verified by ssh2; line ignored for pinning",
      ],
    ]);
  });

  it("matches globs like OpenSSH", () => {
    expect(globMatch("web-1.example.com", "*.example.com")).toBe(true);
    expect(globMatch("example.com", "*.example.com")).toBe(false);
    expect(globMatch("web-1", "web-?")).toBe(true);
    expect(globMatch("web-10", "web-?")).toBe(false);
    expect(globMatch("[10.0.0.1]:2222", "[10.0.0.*]:2222")).toBe(true);
    expect(globMatch("abc", "a*b*c*")).toBe(true);
    expect(globMatch("", "*")).toBe(true);
  });

  it("looks a host up as [address]:port, then address, then the inventory name", () => {
    expect(hostLookupNames(host("10.0.0.1", 2222))).toEqual([
      "[10.0.0.1]:2222",
      "10.0.0.1",
      "web-1",
    ]);
    expect(hostLookupNames(host("10.0.0.1"))).toEqual(["10.0.0.1", "web-1"]);
    expect(hostLookupNames(host("web-1"))).toEqual(["web-1"]);
    expect(hostLookupNames(host("::1", 2222))).toEqual(["[::1]:2222", "::1", "web-1"]);

    const text = [
      `web-1 ssh-ed25519 ${b64(ED2)}`,
      `10.0.0.1 ssh-rsa ${b64(RSA)}`,
      `[10.0.0.1]:2222 ssh-ed25519 ${b64(ED)}`,
    ].join("\n");
    const kh = parseKnownHosts(text);
    const onPort = findHostKeys(kh, host("10.0.0.1", 2222), "/kh");
    expect(onPort.matchedAs).toBe("[10.0.0.1]:2222");
    expect(onPort.keys.map((k) => k.line)).toEqual([3]);
    expect(onPort.algorithms).toEqual(["ssh-ed25519"]);
    const on22 = findHostKeys(kh, host("10.0.0.1"), "/kh");
    expect(on22.matchedAs).toBe("10.0.0.1");
    expect(on22.algorithms).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    const byName = findHostKeys(kh, host("10.9.9.9"), "/kh");
    expect(byName.matchedAs).toBe("web-1");
    expect(byName.keys[0].blob.equals(ED2)).toBe(true);
  });

  it("matches hashed entries (HMAC-SHA1 with the salt), case-insensitively", () => {
    const kh = parseKnownHosts(
      `${hashed("[db-1.internal]:2222")} ssh-ed25519 ${b64(ED)}\n${hashed("other")} ssh-rsa ${b64(RSA)}\n`,
    );
    const pins = findHostKeys(kh, host("DB-1.internal", 2222, "db-1"), "/kh");
    expect(pins.matchedAs).toBe("[DB-1.internal]:2222");
    expect(pins.keys).toHaveLength(1);
    expect(findHostKeys(kh, host("db-1.internal", 22, "db-1"), "/kh").keys).toHaveLength(0);
  });

  it("honours negation: a matching !pattern excludes the line", () => {
    const kh = parseKnownHosts(`*.example.com,!bad.example.com ssh-ed25519 ${b64(ED)}\n`);
    expect(findHostKeys(kh, host("good.example.com"), "/kh").keys).toHaveLength(1);
    expect(findHostKeys(kh, host("bad.example.com", 22, "bad"), "/kh").keys).toHaveLength(0);
  });

  it("removes @revoked keys from the pins, for every host", () => {
    const kh = parseKnownHosts(
      [
        `web-1 ssh-ed25519 ${b64(ED)}`,
        `web-1 ssh-ed25519 ${b64(ED2)}`,
        `@revoked other ssh-ed25519 ${b64(ED)}`,
      ].join("\n"),
    );
    const pins = findHostKeys(kh, host("web-1"), "/kh");
    expect(pins.keys.map((k) => k.line)).toEqual([2]);
    const err = checkHostKey(pins, ED, host("web-1"));
    expect(err?.code).toBe("host-key-refused");
    expect(err?.message).toMatch(/is REVOKED \(\/kh line 3\)/);
    expect(checkHostKey(pins, ED2, host("web-1"))).toBeNull();
  });
});

describe("host-key refusals", () => {
  const refuse = (text: string, h = host("10.0.0.1", 2222)) => {
    try {
      requireHostKeys(findHostKeys(parseKnownHosts(text), h, "/etc/diagbot/known_hosts"), h);
    } catch (e) {
      return e as DiagbotError;
    }
    throw new Error("not refused");
  };

  it("an unknown host is refused with the exact ssh-keyscan line and the out-of-band check", () => {
    const err = refuse(`other ssh-ed25519 ${b64(ED)}\n`);
    expect(err.code).toBe("host-key-refused");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(
      "no host key pinned for web-1 (10.0.0.1:2222) in /etc/diagbot/known_hosts (looked up as [10.0.0.1]:2222, 10.0.0.1, web-1)",
    );
    expect(err.hint).toContain("ssh-keyscan -p 2222 10.0.0.1 >> /etc/diagbot/known_hosts");
    expect(err.hint).toMatch(/verify the fingerprint out of band/);
  });

  it("a host behind a jump host: the hint says where to run ssh-keyscan", () => {
    const h = { ...host("10.0.0.1"), jumpHost: { name: "bastion" } };
    expect(refuse("", h).hint).toMatch(
      /^run on the jump host bastion: ssh-keyscan -p 22 10\.0\.0\.1/,
    );
  });

  it("a host vouched for only by @cert-authority is refused with a hint to pin its key", () => {
    const err = refuse(`@cert-authority *.example.com,10.0.0.* ssh-ed25519 ${b64(ED)}\n`);
    expect(err.message).toMatch(/only by @cert-authority .*line 1.*cannot check host certificates/);
    expect(err.hint).toMatch(/^pin the host key itself: run: ssh-keyscan -p 2222 10\.0\.0\.1 >> /);
  });

  it("a CA line does not refuse a host that also has its key pinned", () => {
    const kh = parseKnownHosts(
      `@cert-authority * ssh-ed25519 ${b64(ED2)}\n[10.0.0.1]:2222 ssh-ed25519 ${b64(ED)}\n`,
    );
    const h = host("10.0.0.1", 2222);
    const pins = requireHostKeys(findHostKeys(kh, h, "/kh"), h);
    expect(pins.certAuthorities).toHaveLength(1);
    expect(checkHostKey(pins, ED, h)).toBeNull();
  });

  it("a host whose every pinned key is revoked is refused before connecting", () => {
    const err = refuse(`10.0.0.1 ssh-ed25519 ${b64(ED)}\n@revoked * ssh-ed25519 ${b64(ED)}\n`);
    expect(err.message).toMatch(/every key pinned for web-1 .* is @revoked/);
  });

  it("a changed key is refused as CHANGED with both SHA256 fingerprints", () => {
    const h = host("10.0.0.1", 2222);
    const pins = findHostKeys(
      parseKnownHosts(`[10.0.0.1]:2222 ssh-ed25519 ${b64(ED)}\n`),
      h,
      "/kh",
    );
    const err = checkHostKey(pins, ED2, h)!;
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toContain("has CHANGED (possible man-in-the-middle attack)");
    expect(err.message).toContain(`presented ssh-ed25519 ${fingerprintSha256(ED2)}`);
    expect(err.message).toContain(`pinned in /kh: ssh-ed25519 ${fingerprintSha256(ED)} (line 1)`);
    expect(err.hint).toContain(
      "ssh-keygen -R '[10.0.0.1]:2222' -f /kh && ssh-keyscan -p 2222 10.0.0.1 >> /kh",
    );
  });

  it("an unreadable known_hosts file refuses the host", async () => {
    await expect(
      loadHostKeyPins({ ...host("10.0.0.1"), knownHosts: "/nonexistent/kh" }),
    ).rejects.toMatchObject({
      code: "host-key-refused",
      message: expect.stringMatching(
        /cannot read known_hosts \/nonexistent\/kh for web-1: no such file/,
      ),
    });
  });
});

describe("known_hosts written by OpenSSH tools", () => {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-kh-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file hashed by ssh-keygen -H and fingerprints like ssh-keygen -l", async () => {
    const key = join(dir, "hostkey");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const pub = readFileSync(`${key}.pub`, "utf8").trim().split(" ");
    const kh = join(dir, "known_hosts");
    writeFileSync(kh, `[127.0.0.1]:2222 ${pub[0]} ${pub[1]}\nweb-1,10.1.1.1 ${pub[0]} ${pub[1]}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", kh], { stdio: "ignore" });
    const text = readFileSync(kh, "utf8");
    expect(text).not.toContain("127.0.0.1");
    expect(text).toMatch(/^\|1\|/);

    const pins = await loadHostKeyPins({
      ...host("127.0.0.1", 2222, "local-sshd"),
      knownHosts: kh,
    });
    expect(pins.matchedAs).toBe("[127.0.0.1]:2222");
    const expected = execFileSync("ssh-keygen", ["-l", "-f", `${key}.pub`], {
      encoding: "utf8",
    }).split(" ")[1];
    expect(pins.keys[0].fingerprint).toBe(expected);
    // ssh-keygen -H writes one hashed line per name of a comma-separated entry.
    expect((await loadHostKeyPins({ ...host("10.1.1.1"), knownHosts: kh })).keys).toHaveLength(1);
  });
});
