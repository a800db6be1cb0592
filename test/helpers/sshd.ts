import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export { createTestUser, type TestUser } from "./users.js";

/**
 * A real OpenSSH `sshd` for tests: 127.0.0.1 on a free high port, its own freshly generated
 * ed25519 host key, public-key login only (root and optional extra users, one generated client
 * key), `UsePAM no`, `StrictModes no`, keys read from a temp folder (`AuthorizedKeysFile`), and
 * a known_hosts and an inventory.yaml written for the test. Needs root and openssh-server.
 */

const run = promisify(execFile);

export const SSHD_PATH = "/usr/sbin/sshd";

/** True when `/usr/sbin/sshd` exists and this process is root. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD_PATH) && typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Waits until `/usr/sbin/sshd` exists (openssh-server may still be installing).
 * @returns false when it did not appear within `timeoutMs`.
 */
export async function waitForSshd(timeoutMs = 120_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(SSHD_PATH)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

/** Options for {@link startSshd}. */
export interface SshdOptions {
  /** sshd `MaxSessions` (default 10, sshd's own default). */
  maxSessions?: number;
  /** Users besides root who may log in with the client key. */
  users?: string[];
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

/** Host fields for {@link SshdHandle.writeInventory}; values are written as given. */
export type InventoryHost = Record<string, unknown>;

/** A running sshd. */
export interface SshdHandle {
  port: number;
  /** Temp folder holding keys, config, logs; removed by `stop()`. */
  dir: string;
  /** The host public key line: `ssh-ed25519 AAAA... comment`. */
  hostPublicKey: string;
  /** Base64 blob of the host key. */
  hostKeyBase64: string;
  /** Path of the client private key (unencrypted ed25519), authorised for every user. */
  clientKey: string;
  /** known_hosts pinning this sshd as `[127.0.0.1]:port` and as `127.0.0.1` (any port). */
  knownHosts: string;
  /** Inventory with one host `test-host` (root@127.0.0.1:port) and `defaults` pointing here. */
  inventory: string;
  /** Writes another file in `dir` and returns its path. */
  writeFile(name: string, text: string): string;
  /**
   * Writes an inventory (defaults: root, this port, client key, known_hosts) with the given
   * hosts; returns its path.
   */
  writeInventory(hosts: Record<string, InventoryHost>, name?: string): string;
  /** Authorises the client key for one more user. */
  authorize(user: string): void;
  /** sshd's log so far (stderr, `-e`). */
  log(): string;
  /** Stops sshd (SIGTERM, then SIGKILL) and removes `dir`. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something on 127.0.0.1:port answers with an SSH banner. */
async function waitForBanner(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: "127.0.0.1", port });
      const done = (v: boolean) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(1000, () => done(false));
      sock.once("error", () => done(false));
      sock.once("data", (d) => done(d.toString("latin1").startsWith("SSH-")));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`sshd did not answer on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Generates an unencrypted ed25519 key pair at `path` (and `path.pub`). */
export async function generateKey(path: string, comment = "diagbot-test"): Promise<string> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
  return readFileSync(`${path}.pub`, "utf8").trim();
}

function yamlValue(v: unknown): string {
  return JSON.stringify(v);
}

/**
 * Starts sshd. Throws when sshd is missing, the config is rejected (`sshd -t`), or it does not
 * answer within 15 s (its log is in the message).
 */
export async function startSshd(options: SshdOptions = {}): Promise<SshdHandle> {
  if (!(await waitForSshd())) throw new Error(`${SSHD_PATH} not found: install openssh-server`);
  // sshd's privilege separation folder; Debian creates it only when the service starts.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), "diagbot-sshd-"));
  // Users read their authorized_keys file themselves: the folder must be traversable.
  await chmod(dir, 0o755);
  const keysDir = join(dir, "authorized_keys");
  mkdirSync(keysDir, { mode: 0o755 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const hostPublicKey = await generateKey(hostKey, "diagbot-test-host");
  const clientKey = join(dir, "client_ed25519");
  const clientPublic = await generateKey(clientKey, "diagbot-test-client");

  const authorize = (user: string) => {
    writeFileSync(join(keysDir, user), `${clientPublic}\n`, { mode: 0o644 });
  };
  const users = ["root", ...(options.users ?? [])];
  for (const u of users) authorize(u);

  const port = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${keysDir}/%u`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "HostbasedAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "AllowTcpForwarding yes",
      "X11Forwarding no",
      "PrintMotd no",
      "UseDNS no",
      "LogLevel VERBOSE",
      `MaxSessions ${options.maxSessions ?? 10}`,
      "MaxStartups 100:30:200",
      ...(options.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  await run(SSHD_PATH, ["-t", "-f", config]).catch((err) => {
    throw new Error(`sshd -t rejected the test config: ${err.stderr || err.message}`);
  });

  const knownHosts = join(dir, "known_hosts");
  // Pinned as [127.0.0.1]:port and as plain 127.0.0.1 (the lookup's second step), so that a
  // test host on another port of 127.0.0.1 (a closed one, say) gets past the host-key check.
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPublicKey}\n127.0.0.1 ${hostPublicKey}\n`);

  const child = spawn(SSHD_PATH, ["-D", "-e", "-f", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString("utf8");
  });
  try {
    await waitForBanner(port, child, 15_000);
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log}`);
  }

  const writeFile = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const writeInventory = (hosts: Record<string, InventoryHost>, name = "inventory.yaml") => {
    const lines = [
      "defaults:",
      "  user: root",
      `  port: ${port}`,
      `  identityFile: ${yamlValue(clientKey)}`,
      `  knownHosts: ${yamlValue(knownHosts)}`,
      "hosts:",
    ];
    for (const [host, fields] of Object.entries(hosts)) {
      lines.push(`  ${host}:`);
      const entries = Object.entries(fields);
      if (entries.length === 0) lines[lines.length - 1] += " {}";
      for (const [k, v] of entries) lines.push(`    ${k}: ${yamlValue(v)}`);
    }
    return writeFile(name, `${lines.join("\n")}\n`);
  };
  const inventory = writeInventory({ "test-host": { address: "127.0.0.1" } });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    port,
    dir,
    hostPublicKey,
    hostKeyBase64: hostPublicKey.split(" ")[1],
    clientKey,
    knownHosts,
    inventory,
    writeFile,
    writeInventory,
    authorize,
    log: () => log,
    stop,
  };
}
