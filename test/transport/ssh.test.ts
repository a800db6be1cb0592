import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostConfig, loadInventory } from "../../src/inventory/index.js";
import { DiagbotError } from "../../src/model/errors.js";
import { openTransport } from "../../src/transport/open.js";
import { SshTransport } from "../../src/transport/ssh.js";
import {
  freePort,
  generateKey,
  type SshdHandle,
  sshdAvailable,
  startSshd,
} from "../helpers/sshd.js";
import { checkSudoers, createTestUser, type TestUser } from "../helpers/users.js";

const run = promisify(execFile);

async function pgrep(pattern: string): Promise<number[]> {
  try {
    const { stdout } = await run("pgrep", ["-f", pattern]);
    return stdout.split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function waitGone(pattern: string, ms: number): Promise<{ pids: number[]; afterMs: number }> {
  const start = performance.now();
  for (;;) {
    const pids = await pgrep(pattern);
    const afterMs = performance.now() - start;
    if (pids.length === 0 || afterMs > ms) return { pids, afterMs };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Returns the error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<DiagbotError> {
  const outcome = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (outcome.ok) {
    await (outcome.v as { close?: () => Promise<void> }).close?.();
    throw new Error("expected a rejection");
  }
  expect(outcome.e).toBeInstanceOf(DiagbotError);
  return outcome.e as DiagbotError;
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, "g")) ?? []).length;

const opts = { timeoutMs: 10_000, capBytes: 1 << 20 };

describe.skipIf(!sshdAvailable())("SshTransport against a real sshd", () => {
  let sshd: SshdHandle;
  let host: HostConfig;

  /** The test host with some fields replaced. */
  const variant = (fields: Partial<HostConfig>): HostConfig => ({ ...host, ...fields });
  const knownHostsFile = (name: string, text: string) => sshd.writeFile(name, text);

  beforeAll(async () => {
    sshd = await startSshd();
    host = (await loadInventory(sshd.inventory)).hosts.get("test-host")!;
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("runs commands as root on one connection, with streams, exit codes and caps", async () => {
    const started = performance.now();
    const t = await SshTransport.connect(host);
    const connectMs = performance.now() - started;
    try {
      expect(t.root).toBe(true);
      expect(t.host).toBe("test-host");
      expect(t.maxSessions).toBe(8);
      const r = await t.exec("echo out; echo err >&2; exit 7", opts);
      expect(r).toMatchObject({ exitCode: 7, timedOut: false, truncated: false });
      expect(r.stdout.toString()).toBe("out\n");
      expect(r.stderr.toString()).toBe("err\n");
      const big = await t.exec("head -c 3000000 /dev/zero; echo tail >&2", {
        ...opts,
        capBytes: 1000,
      });
      expect(big.stdout.length).toBe(1000);
      expect(big.stderr.toString()).toBe("tail\n");
      expect(big).toMatchObject({ exitCode: 0, truncated: true });
      console.info(
        `ssh connect + id -u: ${Math.round(connectMs)} ms; 3 MB capped exec: ${big.durationMs} ms`,
      );
    } finally {
      await t.close();
    }
    await expect(t.exec("true", opts)).rejects.toMatchObject({ code: "connect-failed" });
  });

  it("openTransport picks ssh for an ssh host", async () => {
    const t = await openTransport(host);
    expect(t).toBeInstanceOf(SshTransport);
    await t.close();
  });

  it("refuses a changed host key before any command runs, and says CHANGED", async () => {
    const otherPub = await generateKey(join(sshd.dir, "other_host_key"));
    const kh = knownHostsFile("kh-wrong", `[127.0.0.1]:${sshd.port} ${otherPub}\n`);
    const marker = join(sshd.dir, `ran-${randomInt(1e9)}`);
    const acceptedBefore = count(sshd.log(), /Accepted publickey/);
    const err = await rejection(
      SshTransport.connect(variant({ knownHosts: kh })).then((t) =>
        t.exec(`touch ${marker}`, opts),
      ),
    );
    expect(err.code).toBe("host-key-refused");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(
      /host key of test-host \(127\.0\.0\.1:\d+\) has CHANGED \(possible man-in-the-middle attack\)/,
    );
    expect(err.message).toMatch(
      /presented ssh-ed25519 SHA256:\S+, pinned in .*kh-wrong: ssh-ed25519 SHA256:/,
    );
    expect(existsSync(marker)).toBe(false);
    // The handshake stopped at the host key: no login happened.
    await new Promise((r) => setTimeout(r, 200));
    expect(count(sshd.log(), /Accepted publickey/)).toBe(acceptedBefore);
  });

  it("refuses an unknown host at its key, before any login, with the ssh-keyscan line", async () => {
    const kh = knownHostsFile("kh-empty", "# nothing pinned\n");
    const connectionsBefore = count(sshd.log(), /Connection from 127\.0\.0\.1/);
    const loginsBefore = count(sshd.log(), /publickey/);
    const err = await rejection(SshTransport.connect(variant({ knownHosts: kh })));
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toMatch(/no host key pinned for test-host/);
    expect(err.hint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${kh}`);
    expect(err.hint).toMatch(/verify the fingerprint out of band/);
    await new Promise((r) => setTimeout(r, 200));
    // The host answered (so it is not reported as down), and was never offered a key to log in.
    expect(count(sshd.log(), /Connection from 127\.0\.0\.1/)).toBe(connectionsBefore + 1);
    expect(count(sshd.log(), /publickey/)).toBe(loginsBefore);
  });

  it("accepts a key pinned under the inventory name only when nothing is pinned under the address", async () => {
    const hostKey = readFileSync(sshd.knownHosts, "utf8")
      .split("\n")[0]
      .split(" ")
      .slice(1)
      .join(" ");
    const byName = knownHostsFile("kh-name", `test-host ${hostKey}\n`);
    const t = await SshTransport.connect(variant({ knownHosts: byName }));
    expect((await t.exec("echo ok", opts)).stdout.toString()).toBe("ok\n");
    await t.close();
    // A key under the address is looked up first: a wrong one there is not saved by the name.
    const otherPub = await generateKey(join(sshd.dir, "other_host_key_by_name"));
    const both = knownHostsFile("kh-both", `127.0.0.1 ${otherPub}\ntest-host ${hostKey}\n`);
    const err = await rejection(SshTransport.connect(variant({ knownHosts: both })));
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toMatch(/has CHANGED/);
  });

  it("accepts a pin hashed by ssh-keygen -H", async () => {
    const kh = join(sshd.dir, "kh-hashed");
    copyFileSync(sshd.knownHosts, kh);
    execFileSync("ssh-keygen", ["-H", "-f", kh], { stdio: "ignore" });
    expect(readFileSync(kh, "utf8")).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /);
    expect(readFileSync(kh, "utf8")).not.toContain("127.0.0.1");
    const t = await SshTransport.connect(variant({ knownHosts: kh }));
    expect((await t.exec("echo ok", opts)).stdout.toString()).toBe("ok\n");
    await t.close();
  });

  it("refuses a @revoked key, whether it is pinned or only presented", async () => {
    const revokedLine = `@revoked * ${sshd.hostPublicKey}\n`;
    // Pinned and revoked: refused before connecting.
    const both = knownHostsFile(
      "kh-revoked",
      `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n${revokedLine}`,
    );
    const err1 = await rejection(SshTransport.connect(variant({ knownHosts: both })));
    expect(err1.code).toBe("host-key-refused");
    expect(err1.message).toMatch(/@revoked/);
    // Another key pinned, the presented one revoked: refused in the handshake as REVOKED.
    const otherPub = await generateKey(join(sshd.dir, "other_host_key2"));
    const presented = knownHostsFile(
      "kh-revoked2",
      `[127.0.0.1]:${sshd.port} ${otherPub}\n${revokedLine}`,
    );
    const err2 = await rejection(SshTransport.connect(variant({ knownHosts: presented })));
    expect(err2.code).toBe("host-key-refused");
    expect(err2.message).toMatch(/host key of test-host .* is REVOKED/);
  });

  it("refuses a host pinned only by @cert-authority, with the hint to pin its key", async () => {
    const kh = knownHostsFile(
      "kh-ca",
      `@cert-authority 127.0.0.1,[127.0.0.1]:* ${sshd.hostPublicKey}\n`,
    );
    const err = await rejection(SshTransport.connect(variant({ knownHosts: kh })));
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toMatch(/@cert-authority/);
    expect(err.hint).toMatch(/^pin the host key itself: run: ssh-keyscan -p \d+ 127\.0\.0\.1 >> /);
  });

  it("offers only the pinned key types: a host without such a key is refused", async () => {
    const ecdsa = join(sshd.dir, "ecdsa_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", ecdsa]);
    const pub = readFileSync(`${ecdsa}.pub`, "utf8").trim();
    const kh = knownHostsFile("kh-ecdsa", `[127.0.0.1]:${sshd.port} ${pub}\n`);
    const err = await rejection(SshTransport.connect(variant({ knownHosts: kh })));
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toMatch(/offered no host key of the pinned type/);
  });

  it("an unreachable port is connect-failed, quickly, naming address:port", async () => {
    const port = await freePort();
    const kh = knownHostsFile("kh-closed", `[127.0.0.1]:${port} ${sshd.hostPublicKey}\n`);
    const started = performance.now();
    const err = await rejection(SshTransport.connect(variant({ port, knownHosts: kh })));
    const elapsed = performance.now() - started;
    expect(err.code).toBe("connect-failed");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/connection refused/);
    expect(elapsed).toBeLessThan(1000);
    console.info(`refused port reported in ${Math.round(elapsed)} ms`);
  });

  it("a server that never answers is connect-timeout after readyTimeout", async () => {
    const server: Server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const kh = knownHostsFile("kh-silent", `[127.0.0.1]:${port} ${sshd.hostPublicKey}\n`);
      const started = performance.now();
      const err = await rejection(
        SshTransport.connect(variant({ port, knownHosts: kh }), { readyTimeoutMs: 500 }),
      );
      expect(err.code).toBe("connect-timeout");
      expect(err.retryable).toBe(true);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      server.close();
    }
  });

  it("a key the server does not accept is auth-failed, naming user, host and key file", async () => {
    const stranger = join(sshd.dir, "stranger_key");
    await generateKey(stranger);
    const err = await rejection(SshTransport.connect(variant({ identityFile: stranger })));
    expect(err.code).toBe("auth-failed");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("root@test-host");
    expect(err.message).toContain(stranger);
  });

  it("an unreadable or encrypted key file is a clear error before connecting", async () => {
    const missing = await rejection(
      SshTransport.connect(variant({ identityFile: join(sshd.dir, "nope") })),
    );
    expect(missing.code).toBe("config");
    expect(missing.message).toMatch(
      /cannot read the SSH key .*nope \(identityFile of test-host\): no such file/,
    );
    expect(missing.hint).toMatch(/SSH_AUTH_SOCK/);

    const encrypted = join(sshd.dir, "encrypted_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret phrase", "-f", encrypted]);
    const err = await rejection(
      SshTransport.connect(variant({ identityFile: encrypted }), { env: {} }),
    );
    expect(err.code).toBe("config");
    expect(err.message).toMatch(/is encrypted with a passphrase/);
    expect(err.hint).toMatch(/unencrypted key .*ssh-agent and set SSH_AUTH_SOCK/);

    const none = await rejection(
      SshTransport.connect(variant({ identityFile: undefined }), { env: {} }),
    );
    expect(none.code).toBe("config");
    expect(none.message).toMatch(/SSH_AUTH_SOCK is not set/);
  });

  it("gives a chat channel only the file names of key files; the operator keeps the paths", async () => {
    const stranger = join(sshd.dir, "stranger_key_2");
    await generateKey(stranger);
    const otherPub = await generateKey(join(sshd.dir, "other_host_key_2"));
    const errors = [
      await rejection(SshTransport.connect(variant({ identityFile: stranger }))),
      await rejection(SshTransport.connect(variant({ identityFile: join(sshd.dir, "gone_key") }))),
      await rejection(
        SshTransport.connect(variant({ knownHosts: knownHostsFile("kh-none", "# none\n") })),
      ),
      await rejection(
        SshTransport.connect(
          variant({
            knownHosts: knownHostsFile("kh-other", `[127.0.0.1]:${sshd.port} ${otherPub}\n`),
          }),
        ),
      ),
    ];
    expect(errors.map((e) => e.code)).toEqual([
      "auth-failed",
      "config",
      "host-key-refused",
      "host-key-refused",
    ]);
    for (const err of errors) {
      expect(`${err.message} ${err.hint}`, err.message).toContain(sshd.dir);
      const channel = `${err.publicMessage} ${err.publicHint ?? ""}`;
      expect(channel, channel).not.toContain(sshd.dir);
      expect(channel).toContain("test-host");
    }
    expect(errors[0].publicMessage).toContain("key stranger_key_2");
    expect(errors[0].publicHint).toContain("ssh-keygen -y -f stranger_key_2");
    expect(errors[1].publicMessage).toContain(
      "cannot read the SSH key gone_key (identityFile of test-host)",
    );
    expect(errors[2].publicHint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> kh-none`);
    expect(errors[3].publicMessage).toMatch(/has CHANGED .* pinned in kh-other: ssh-ed25519/);
  });

  it("logs in through ssh-agent (SSH_AUTH_SOCK)", async () => {
    const sock = join(sshd.dir, "agent.sock");
    const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      await run("ssh-add", [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const t = await SshTransport.connect(variant({ identityFile: undefined }), {
        env: { SSH_AUTH_SOCK: sock },
      });
      expect((await t.exec("echo agent", opts)).stdout.toString()).toBe("agent\n");
      await t.close();
    } finally {
      agent.kill("SIGTERM");
    }
  });

  it("abandons a timed-out command at once; the timeout prefix ends it on the host", async () => {
    const t = await SshTransport.connect(host);
    const m = `100.${randomInt(1e8, 1e9)}`;
    try {
      const started = performance.now();
      const r = await t.exec(`timeout -s INT -k 2 2 sleep ${m}`, { ...opts, timeoutMs: 500 });
      const elapsed = performance.now() - started;
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBeNull();
      expect(elapsed).toBeLessThan(1500);
      const { pids, afterMs } = await waitGone(`sleep ${m}`, 6000);
      expect(pids).toEqual([]);
      console.info(
        `timed-out exec returned after ${Math.round(elapsed)} ms; remote process gone ${Math.round(afterMs)} ms later`,
      );
      // The connection is still usable.
      expect((await t.exec("echo still", opts)).stdout.toString()).toBe("still\n");
    } finally {
      await t.close();
    }
  });

  it("a lost connection fails the running and later execs as connect-failed", async () => {
    const t = await SshTransport.connect(host);
    try {
      // The command's parent is the watchdog shell, whose parent is the sshd process serving
      // this connection (root: no privsep child).
      const err = await rejection(t.exec("kill -KILL $(ps -o ppid= -p $PPID); sleep 5", opts));
      expect(err.code).toBe("connect-failed");
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/connection to test-host .* was lost/);
      expect((await rejection(t.exec("true", opts))).code).toBe("connect-failed");
    } finally {
      await t.close();
    }
  });

  it("tunnels through a jump host (here: the same sshd), each hop pinned", async () => {
    const inventory = await loadInventory(
      sshd.writeInventory(
        {
          bastion: { address: "127.0.0.1" },
          inner: { address: "127.0.0.1", jumpHost: "bastion" },
          deeper: { address: "127.0.0.1", jumpHost: "inner" },
        },
        "inventory-jump.yaml",
      ),
    );
    const before = count(sshd.log(), /Connection from 127\.0\.0\.1/);
    const t = await SshTransport.connect(inventory.hosts.get("deeper")!);
    try {
      expect(t.root).toBe(true);
      expect((await t.exec("echo via-jump", opts)).stdout.toString()).toBe("via-jump\n");
    } finally {
      await t.close();
    }
    expect(count(sshd.log(), /Connection from 127\.0\.0\.1/) - before).toBe(3);

    // A jump host whose key is not pinned refuses the whole chain.
    const empty = knownHostsFile("kh-jump-empty", "");
    const bastion = inventory.hosts.get("bastion")!;
    const err = await rejection(
      SshTransport.connect({
        ...inventory.hosts.get("inner")!,
        jumpHost: { ...bastion, knownHosts: empty },
      }),
    );
    expect(err.code).toBe("host-key-refused");
    expect(err.message).toMatch(/no host key pinned for bastion/);

    // A target the jump host cannot reach.
    const port = await freePort();
    const kh = knownHostsFile("kh-jump-closed", `[127.0.0.1]:${port} ${sshd.hostPublicKey}\n`);
    const unreachable = await rejection(
      SshTransport.connect({ ...inventory.hosts.get("inner")!, port, knownHosts: kh }),
    );
    expect(unreachable.code).toBe("connect-failed");
    expect(unreachable.message).toMatch(
      new RegExp(
        `jump host bastion cannot open a connection to inner \\(127\\.0\\.0\\.1:${port}\\)`,
      ),
    );
  });

  describe.skipIf(process.getuid?.() !== 0)("as a non-root user", () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await createTestUser({ sudoers: "%USER% ALL=(root) NOPASSWD: /usr/bin/id -u\n" });
      sshd.authorize(user.name);
    });
    afterAll(async () => {
      await user?.remove();
    });

    it("reports root = false, and runs an allowed sudo -n command line", async () => {
      const t = await SshTransport.connect(variant({ user: user.name }));
      try {
        expect(t.root).toBe(false);
        expect((await t.exec("id -un", opts)).stdout.toString()).toBe(`${user.name}\n`);
        expect((await t.exec("sudo -n /usr/bin/id -u", opts)).stdout.toString()).toBe("0\n");
        const denied = await t.exec("sudo -n /usr/bin/id", opts);
        expect(denied.exitCode).not.toBe(0);
      } finally {
        await t.close();
      }
    });

    it("visudo rejects a broken sudoers drop-in before it is installed", async () => {
      await expect(checkSudoers("%USER% ALL=(root NOPASSWD /usr/bin/id\n")).rejects.toThrow(
        /visudo/,
      );
      await expect(createTestUser({ sudoers: "this is not sudoers\n" })).rejects.toThrow(/visudo/);
    });
  });
});

describe.skipIf(!sshdAvailable())("SshTransport against sshd with MaxSessions 2", () => {
  let sshd: SshdHandle;
  beforeAll(async () => {
    sshd = await startSshd({ maxSessions: 2 });
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("8 concurrent execs all succeed: refused channels are queued and retried", async () => {
    const host = (await loadInventory(sshd.inventory)).hosts.get("test-host")!;
    expect(host.maxSessions).toBe(8);
    const t = await SshTransport.connect(host);
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => t.exec(`sleep 0.3; echo ${i}`, opts)),
      );
      const elapsed = performance.now() - started;
      expect(results.map((r) => r.stdout.toString())).toEqual(
        Array.from({ length: 8 }, (_, i) => `${i}\n`),
      );
      expect(results.every((r) => r.exitCode === 0 && !r.timedOut)).toBe(true);
      expect(t.refusedChannels).toBeGreaterThan(0);
      console.info(
        `MaxSessions 2, 8 execs of 0.3 s: ${Math.round(elapsed)} ms, ${t.refusedChannels} refused channel opens retried`,
      );
    } finally {
      await t.close();
    }
  });
});

describe("SshTransport without sshd", () => {
  it("refuses a non-ssh host", async () => {
    const err = await rejection(
      SshTransport.connect({
        name: "box",
        address: "localhost",
        port: 22,
        user: "root",
        knownHosts: "/nonexistent",
        sudo: false,
        maxSessions: 8,
        transport: "local",
        groups: [],
      }),
    );
    expect(err.code).toBe("config");
  });

  it("with no known_hosts file, a host where nothing listens is unreachable, not a key to pin", async () => {
    const err = await rejection(
      SshTransport.connect(
        {
          name: "db-1",
          address: "127.0.0.1",
          port: 1,
          user: "root",
          knownHosts: "/nonexistent/known_hosts",
          sudo: false,
          maxSessions: 8,
          transport: "ssh",
          groups: [],
        },
        // An agent to log in with, so the connection is really tried.
        { env: { SSH_AUTH_SOCK: "/nonexistent/agent.sock" } },
      ),
    );
    expect(err.code).toBe("connect-failed");
    expect(err.message).toMatch(/db-1 \(127\.0\.0\.1:1\): connection refused/);
  });
});
