import { readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import pLimit, { type LimitFunction } from "p-limit";
import ssh2, {
  type Algorithms,
  type AuthenticationType,
  type ClientChannel,
  type ConnectConfig,
} from "ssh2";
import type { HostConfig } from "../inventory/inventory.js";
import { checkHostKey, type HostKeyPins, loadHostKeyPins } from "../inventory/known-hosts.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { abortReason, CappedBuffer, checkExecOptions, execResult } from "./capture.js";
import type { ExecOptions, ExecResult, Transport } from "./types.js";
import { isRunMarker, newRunMarker, RUN_MARKER_VARIABLE, underWatchdog } from "./watchdog.js";

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

/**
 * SSH transport (ssh2): one connection per diagnosis, commands on exec channels. Every hop's
 * (jump hosts included) known_hosts is read before the TCP connection is opened, the host-key
 * algorithms offered are the pinned ones only, and the presented key is compared in
 * `hostVerifier`, so a host with an unknown, changed or revoked key is refused before it is
 * sent a login, let alone a command. A hop with no usable pin (no known_hosts file, no line for
 * it) is refused the same way, once it presents its key, as OpenSSH's StrictHostKeyChecking
 * does: a host that does not answer at all is reported as such, not as a key to pin.
 */

/** Tunables of {@link SshTransport.connect}. All durations in ms. */
export interface SshConnectOptions {
  /** Limit for TCP connect + SSH handshake + auth, per hop (default 10 000). */
  readyTimeoutMs?: number;
  /** SSH keepalive interval (default 15 000); the connection drops after 3 unanswered. */
  keepaliveIntervalMs?: number;
  /**
   * How long one exec may keep waiting for a session channel while the server refuses them
   * (sshd `MaxSessions`), before it fails (default 60 000).
   */
  channelWaitMs?: number;
  /** Limit for the `id -u` run after connect (default 15 000). */
  probeTimeoutMs?: number;
  /**
   * Environment for `SSH_AUTH_SOCK` and `DIAGBOT_RUN` (default `process.env`): the marker every
   * remote process of this connection carries (see `watchdog.ts`); a fresh one when unset.
   */
  env?: NodeJS.ProcessEnv;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /** ssh2 debug lines. */
  debug?: (message: string) => void;
}

interface Hop {
  host: HostConfig;
  client: SshClient;
}

/** Credentials for one hop: a parsed private key and/or an agent socket. */
interface Auth {
  privateKey?: Buffer;
  agent?: string;
  describe: string;
}

const RETRYABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "EAI_AGAIN",
]);

function endpoint(host: Pick<HostConfig, "address" | "port">): string {
  return host.address.includes(":")
    ? `[${host.address}]:${host.port}`
    : `${host.address}:${host.port}`;
}

function label(host: HostConfig): string {
  return `${host.name} (${endpoint(host)}${host.jumpHost ? ` via ${host.jumpHost.name}` : ""})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Reads the credentials for a host: its `identityFile` (which must be readable and not
 * encrypted) and, when `SSH_AUTH_SOCK` is set, the agent.
 * @throws DiagbotError `config` when the key file is unreadable, not a private key, or
 *   encrypted, or when there is neither a key file nor an agent.
 */
async function loadAuth(host: HostConfig, env: NodeJS.ProcessEnv): Promise<Auth> {
  const agent =
    env.SSH_AUTH_SOCK !== undefined && env.SSH_AUTH_SOCK !== "" ? env.SSH_AUTH_SOCK : undefined;
  const useAgent =
    "use a dedicated unencrypted key readable only by diagbot (ssh-keygen -t ed25519 -N '' -f FILE), or load the key into ssh-agent and set SSH_AUTH_SOCK";
  if (host.identityFile === undefined) {
    if (agent) return { agent, describe: "the ssh-agent keys" };
    throw new DiagbotError(
      "config",
      `no identityFile for ${host.name} and SSH_AUTH_SOCK is not set: no key to log in with`,
      { hint: `set identityFile in the inventory (defaults or the host); ${useAgent}` },
    );
  }
  let data: Buffer;
  try {
    data = await readFile(host.identityFile);
  } catch (err) {
    throw new DiagbotError(
      "config",
      `cannot read the SSH key ${host.identityFile} (identityFile of ${host.name}): ${whyUnreadable(err)}`,
      { hint: useAgent, cause: err, localPaths: keyFiles(host) },
    );
  }
  const parsed = utils.parseKey(data);
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first instanceof Error || first === undefined) {
    const message = first instanceof Error ? first.message : "no key found";
    if (/encrypted|passphrase/i.test(message)) {
      throw new DiagbotError(
        "config",
        `the SSH key ${host.identityFile} (identityFile of ${host.name}) is encrypted with a passphrase, which diagbot cannot type`,
        { hint: useAgent, localPaths: keyFiles(host) },
      );
    }
    throw new DiagbotError(
      "config",
      `${host.identityFile} (identityFile of ${host.name}) is not a usable private key: ${message}`,
      { hint: useAgent, localPaths: keyFiles(host) },
    );
  }
  if (!first.isPrivateKey()) {
    throw new DiagbotError(
      "config",
      `${host.identityFile} (identityFile of ${host.name}) holds a public key, not a private key`,
      { hint: useAgent, localPaths: keyFiles(host) },
    );
  }
  return {
    privateKey: data,
    agent,
    describe: `key ${host.identityFile}${agent ? " and the ssh-agent keys" : ""}`,
  };
}

/**
 * The host's key files (identity, known_hosts): an error that names them gives a chat channel
 * only their file names ({@link DiagbotError.publicMessage}).
 */
function keyFiles(host: HostConfig): string[] {
  return [host.identityFile, host.knownHosts].filter((p): p is string => p !== undefined);
}

/** Maps an ssh2 connection error to a DiagbotError for a person. */
function connectError(
  err: Error & { level?: string; code?: string },
  host: HostConfig,
  auth: Auth,
  readyTimeoutMs: number,
): DiagbotError {
  const where = label(host);
  if (err.level === "client-timeout") {
    return new DiagbotError(
      "connect-timeout",
      `connecting to ${where} timed out after ${readyTimeoutMs} ms (TCP connect, SSH handshake and login)`,
      {
        hint: "check that the host is up and that sshd answers on that port from here",
        cause: err,
      },
    );
  }
  if (err.level === "client-authentication") {
    return new DiagbotError(
      "auth-failed",
      `authentication failed for ${host.user}@${where} with ${auth.describe}: the server accepted none of them`,
      {
        hint: `add the public key (ssh-keygen -y -f ${host.identityFile ?? "KEY"}) to ~${host.user}/.ssh/authorized_keys on ${host.name}, and check that the user ${host.user} exists and may log in`,
        cause: err,
        localPaths: keyFiles(host),
      },
    );
  }
  if (/no matching host key/i.test(err.message)) {
    return new DiagbotError(
      "host-key-refused",
      `${where} offered no host key of the pinned type(s); refused (${err.message})`,
      {
        hint: `the pin in ${host.knownHosts} may be outdated: verify the host's keys out of band and pin them again with ssh-keyscan -p ${host.port} ${host.address}`,
        cause: err,
        localPaths: keyFiles(host),
      },
    );
  }
  const code = err.code;
  if (code !== undefined && (RETRYABLE_SOCKET_CODES.has(code) || code === "ENOTFOUND")) {
    const why: Record<string, string> = {
      ECONNREFUSED: "connection refused (is sshd listening on that port?)",
      EHOSTUNREACH: "host unreachable",
      ENETUNREACH: "network unreachable",
      ETIMEDOUT: "timed out",
      ECONNRESET: "connection reset",
      ENOTFOUND: "the name does not resolve",
      EAI_AGAIN: "the name server did not answer",
    };
    const unresolved = code === "ENOTFOUND";
    return new DiagbotError(
      unresolved ? "unresolved-host" : "connect-failed",
      `cannot connect to ${where}: ${why[code] ?? code}`,
      {
        hint:
          code === "ENOTFOUND"
            ? `check the address of ${host.name} in the inventory`
            : "check that the host is up and reachable from here; try again",
        cause: err,
      },
    );
  }
  return new DiagbotError("connect-failed", `SSH connection to ${where} failed: ${err.message}`, {
    cause: err,
  });
}

/** Opens a TCP tunnel to `host` through an already connected jump host. */
function forward(jump: Hop, host: HostConfig): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.client.forwardOut("127.0.0.1", 0, host.address, host.port, (err, stream) => {
      if (err) {
        reject(
          new DiagbotError(
            "connect-failed",
            `jump host ${jump.host.name} cannot open a connection to ${host.name} (${endpoint(host)}): ${err.message.replace(/^\(SSH\) /, "")}`,
            {
              hint: `check that ${host.name} is up, reachable from ${jump.host.name}, and that sshd on ${jump.host.name} allows TCP forwarding (AllowTcpForwarding)`,
              cause: err,
            },
          ),
        );
        return;
      }
      resolve(stream);
    });
  });
}

/**
 * A `host-key-refused` error from reading the pins, kept to be thrown when the hop presents
 * its key (see {@link connectHop}); any other error is thrown at once.
 */
function refusedOnAnswer(err: unknown): DiagbotError {
  if (err instanceof DiagbotError && err.code === "host-key-refused") return err;
  throw err;
}

/**
 * Connects one hop, over `sock` when it is reached through a jump host. `pins` is the hop's
 * refusal when it has no usable pin: the connection is then tried with ssh2's host-key
 * algorithms and fails with that refusal once the hop presents any key.
 */
async function connectHop(
  host: HostConfig,
  pins: HostKeyPins | DiagbotError,
  auth: Auth,
  sock: Duplex | undefined,
  options: Required<Pick<SshConnectOptions, "readyTimeoutMs" | "keepaliveIntervalMs">> &
    Pick<SshConnectOptions, "signal" | "debug">,
): Promise<SshClient> {
  const client = new Client();
  let hostKeyError: DiagbotError | null = null;
  const methods: AuthenticationType[] = [];
  if (auth.privateKey) methods.push("publickey");
  if (auth.agent) methods.push("agent");
  const algorithms: Algorithms | undefined =
    pins instanceof DiagbotError ? undefined : { serverHostKey: pins.algorithms };
  const config: ConnectConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    privateKey: auth.privateKey,
    agent: auth.agent,
    authHandler: methods,
    algorithms,
    readyTimeout: options.readyTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: 3,
    sock: sock as ConnectConfig["sock"],
    debug: options.debug,
    hostVerifier: (key: Buffer) => {
      hostKeyError = pins instanceof DiagbotError ? pins : checkHostKey(pins, key, host);
      return hostKeyError === null;
    },
  };
  return new Promise<SshClient>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      client.removeAllListeners("ready");
      client.on("error", () => {});
      // destroy(), not end(): ssh2's destroy() skips a socket end() has half-closed, and its
      // handshake timer then lives on until a silent server closes, holding the process.
      client.destroy();
      reject(err);
    };
    const onAbort = () => fail(abortReason(options.signal!) as Error);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      resolve(client);
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      fail(hostKeyError ?? connectError(err, host, auth, options.readyTimeoutMs));
    });
    client.once("close", () => {
      fail(
        hostKeyError ??
          new DiagbotError(
            "connect-failed",
            `${label(host)} closed the connection during the SSH handshake`,
          ),
      );
    });
    try {
      client.connect(config);
    } catch (err) {
      fail(
        new DiagbotError(
          "connect-failed",
          `cannot connect to ${label(host)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        ),
      );
    }
  });
}

/** The hops from the outermost jump host to the target. */
function hopChain(host: HostConfig): HostConfig[] {
  const chain: HostConfig[] = [];
  for (let h: HostConfig | undefined = host; h; h = h.jumpHost) {
    if (chain.some((c) => c.name === h!.name)) {
      throw new DiagbotError("config", `jump cycle through ${h.name}`);
    }
    chain.unshift(h);
  }
  return chain;
}

function isChannelRefusal(err: Error): boolean {
  return /channel open failure|open failed/i.test(err.message);
}

/**
 * One SSH connection to a host (through its jump hosts), running commands on exec channels.
 * Create it with {@link SshTransport.connect}.
 */
export class SshTransport implements Transport {
  readonly host: string;
  readonly maxSessions: number;
  /** Session channels the server refused (and that were retried) so far. */
  refusedChannels = 0;
  private isRoot = false;
  private closed = false;
  private lost: DiagbotError | null = null;
  private readonly limit: LimitFunction;
  private readonly slotWaiters = new Set<() => void>();
  private readonly open = new Set<ClientChannel>();
  /** Session channels the server allows at once, learnt from its first refusal. */
  private serverSessions: number | undefined;
  /** Clients whose connection has already closed. */
  private readonly ended = new WeakSet<SshClient>();

  private constructor(
    /** The host connected to (its `jumpHost` chain included). */
    readonly config: HostConfig,
    private readonly hops: Hop[],
    private readonly channelWaitMs: number,
    /** `DIAGBOT_RUN` of every command of this connection. */
    readonly runMarker: string,
  ) {
    this.host = config.name;
    this.maxSessions = config.maxSessions;
    this.limit = pLimit(config.maxSessions);
    for (const { client } of hops) client.once("close", () => this.ended.add(client));
    const target = hops[hops.length - 1].client;
    const onLost = (err?: Error) => {
      if (this.closed || this.lost) return;
      this.lost = new DiagbotError(
        "connect-failed",
        `the connection to ${label(config)} was lost${err ? `: ${err.message}` : ""}`,
        { cause: err },
      );
      this.wakeSlotWaiters();
    };
    target.on("error", onLost);
    target.on("end", () => onLost());
    target.on("close", () => onLost());
  }

  /** True when commands run as uid 0 (`id -u` printed 0 right after connecting). */
  get root(): boolean {
    return this.isRoot;
  }

  /**
   * Connects to `host` (through `host.jumpHost`, recursively) and runs `id -u` once (not
   * when the login name is root).
   * Before any TCP connection: every hop's known_hosts pins and the key file are checked.
   * @throws DiagbotError `host-key-refused` (unknown, changed, revoked or CA-only host key,
   *   thrown once the hop presents a key; no login was sent), `config` (key file unreadable or encrypted, no key and no agent),
   *   `connect-timeout` (retryable), `connect-failed` (refused / unreachable, retryable; names
   *   address:port), `unresolved-host` (the name does not resolve), `auth-failed` (not retryable; names user, host and key file).
   */
  static async connect(host: HostConfig, options: SshConnectOptions = {}): Promise<SshTransport> {
    if (host.transport !== "ssh") {
      throw new DiagbotError("config", `${host.name} has transport: ${host.transport}, not ssh`);
    }
    const env = options.env ?? process.env;
    const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    const hopOptions = {
      readyTimeoutMs,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      signal: options.signal,
      debug: options.debug,
    };
    const marker = env[RUN_MARKER_VARIABLE] || newRunMarker();
    if (!isRunMarker(marker)) {
      throw new DiagbotError(
        "config",
        `${RUN_MARKER_VARIABLE} must be 1 to 64 letters, digits, _ or -, got ${JSON.stringify(marker.slice(0, 80))}`,
        { hint: `unset ${RUN_MARKER_VARIABLE} to get a fresh marker for each connection` },
      );
    }
    const chain = hopChain(host);
    // Everything refused locally is refused before the first packet, but for a missing pin:
    // whether the host answers at all is the first thing to know about it.
    const prepared: { host: HostConfig; pins: HostKeyPins | DiagbotError; auth: Auth }[] = [];
    for (const h of chain) {
      const pins = await loadHostKeyPins(h).catch(refusedOnAnswer);
      const auth = await loadAuth(h, env);
      prepared.push({ host: h, pins, auth });
    }
    const hops: Hop[] = [];
    try {
      for (const p of prepared) {
        const previous = hops[hops.length - 1];
        const sock = previous ? await forward(previous, p.host) : undefined;
        const client = await connectHop(p.host, p.pins, p.auth, sock, hopOptions);
        hops.push({ host: p.host, client });
      }
    } catch (err) {
      for (const hop of hops.reverse()) hop.client.end();
      throw err;
    }
    const transport = new SshTransport(host, hops, options.channelWaitMs ?? 60_000, marker);
    // The login name root is uid 0 (login(1), passwd(5)): no exec to ask, and so one less
    // run of the login shell's start-up files.
    if (host.user === "root") {
      transport.isRoot = true;
      return transport;
    }
    try {
      const probe = await transport.exec("id -u", {
        timeoutMs: options.probeTimeoutMs ?? 15_000,
        capBytes: 64,
        signal: options.signal,
      });
      transport.isRoot = probe.exitCode === 0 && probe.stdout.toString("utf8").trim() === "0";
    } catch (err) {
      await transport.close();
      throw err;
    }
    return transport;
  }

  /**
   * Runs one command line on an exec channel, at most `maxSessions` at once, under the
   * watchdog of `watchdog.ts`: when the channel closes (timeout, abort, connection lost) the
   * remote command is stopped at once. A channel the server refuses (sshd `MaxSessions`) is
   * retried with backoff, not counted as a failure. On timeout the channel is closed without
   * waiting: `timedOut` is set, `exitCode` is null.
   * @returns output capped at `capBytes` per stream; `durationMs` from the channel's start.
   * @throws DiagbotError `connect-failed` (retryable) when the connection is closed or lost,
   *   `command-timeout` (retryable) when no channel could be opened within `channelWaitMs`;
   *   the signal's reason when `options.signal` aborts.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    checkExecOptions(options);
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    const unusable = this.unusable();
    if (unusable) return Promise.reject(unusable);
    return this.limit(async () => {
      const { channel, started } = await this.openChannel(
        underWatchdog(command, this.runMarker),
        options.signal,
      );
      return this.collect(channel, started, options);
    });
  }

  private unusable(): DiagbotError | null {
    if (this.lost) return this.lost;
    if (this.closed) {
      return new DiagbotError("connect-failed", `the connection to ${this.host} is closed`);
    }
    return null;
  }

  private execOnce(command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.target.exec(command, (err, channel) => (err ? reject(err) : resolve(channel)));
      } catch (err) {
        reject(err);
      }
    });
  }

  private get target(): SshClient {
    return this.hops[this.hops.length - 1].client;
  }

  /**
   * Waits until one of our channels closes (first come, first served) or `ms` pass. The
   * timer is the fallback for a server whose session slots free up without us seeing it.
   */
  private waitForSlot(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.slotWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.slotWaiters.add(wake);
    });
  }

  /** One of our channels closed: let the longest waiting exec try again. */
  private wakeOneSlotWaiter(): void {
    const first = this.slotWaiters.values().next();
    if (!first.done) first.value();
  }

  private wakeSlotWaiters(): void {
    for (const wake of [...this.slotWaiters]) wake();
  }

  /**
   * Opens an exec channel. sshd refuses session channels beyond its `MaxSessions`
   * ("open failed"); the number of our channels open at the first refusal is taken as the
   * server's limit, and later opens wait for one of ours to close instead of being refused.
   */
  private async openChannel(
    command: string,
    signal: AbortSignal | undefined,
  ): Promise<{ channel: ClientChannel; started: number }> {
    const deadline = performance.now() + this.channelWaitMs;
    let delay = 25;
    for (;;) {
      const unusable = this.unusable();
      if (unusable) throw unusable;
      if (signal?.aborted) throw abortReason(signal);
      if (this.serverSessions !== undefined && this.open.size >= this.serverSessions) {
        await this.waitForSlot(1000);
        // The server frees a session after it has read our CHANNEL_CLOSE: give it a moment.
        await sleep(5);
        if (performance.now() <= deadline) continue;
      }
      const started = performance.now();
      let channel: ClientChannel;
      try {
        channel = await this.execOnce(command);
      } catch (err) {
        if (!(err instanceof Error) || !isChannelRefusal(err)) {
          throw this.unusable() ?? this.channelError(err);
        }
        if (performance.now() > deadline) {
          throw new DiagbotError(
            "command-timeout",
            `${this.host} refused every session channel for ${this.channelWaitMs} ms (sshd MaxSessions is lower than maxSessions ${this.maxSessions}?)`,
            {
              hint: `lower maxSessions for ${this.host} in the inventory to the host's sshd MaxSessions`,
              cause: err,
            },
          );
        }
        this.refusedChannels++;
        if (this.open.size > 0) {
          this.serverSessions = Math.min(this.serverSessions ?? this.open.size, this.open.size);
        }
        // Wait for one of our channels to close, or the backoff, whichever comes first.
        await this.waitForSlot(delay + Math.random() * delay);
        await sleep(5);
        delay = Math.min(delay * 2, 500);
        continue;
      }
      if (signal?.aborted) {
        channel.close();
        throw abortReason(signal);
      }
      return { channel, started };
    }
  }

  private channelError(err: unknown): Error {
    if (err instanceof DiagbotError) return err;
    if (err instanceof Error && err.name === "AbortError") return err;
    const message = err instanceof Error ? err.message : String(err);
    return new DiagbotError("connect-failed", `${this.host}: cannot run a command: ${message}`, {
      cause: err,
    });
  }

  private collect(
    channel: ClientChannel,
    started: number,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const { signal } = options;
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = new CappedBuffer(options.capBytes);
      const stderr = new CappedBuffer(options.capBytes);
      let exitCode: number | null = null;
      let sawExit = false;
      let timedOut = false;
      let settled = false;
      this.open.add(channel);

      const release = () => {
        if (this.open.delete(channel)) this.wakeOneSlotWaiter();
      };
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error !== undefined) {
          reject(error);
          return;
        }
        resolve(execResult(stdout, stderr, exitCode, timedOut, started));
      };
      // Abandon the channel: close it and do not wait for the remote side. sshd then closes
      // the command's stdin, and the watchdog stops it on the host. (An SSH "signal" request
      // would not help: sshd refuses it for root logins, and `timeout` runs in its own process
      // group, which the session's killpg does not reach.)
      const abandon = () => {
        try {
          channel.close();
        } catch {
          // already closing
        }
      };
      const onAbort = () => {
        abandon();
        settle(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        abandon();
        settle();
      }, options.timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });

      channel.on("data", (c: Buffer) => stdout.push(c));
      channel.stderr.on("data", (c: Buffer) => stderr.push(c));
      channel.on("exit", (code: number | null) => {
        sawExit = true;
        exitCode = typeof code === "number" ? code : null;
      });
      channel.on("error", () => {});
      channel.on("close", () => {
        release();
        if (sawExit) {
          settle();
          return;
        }
        // Closed without an exit status: if the connection is going down, that is the
        // error (the client's own events may come a tick after the channel's).
        setImmediate(() => {
          if (this.lost) settle(this.lost);
          else if (this.ended.has(this.target)) settle(this.unusable() ?? undefined);
          else settle();
        });
      });
    });
  }

  /** Ends the connection (and the jump hosts' connections); later `exec` calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSlotWaiters();
    // The target first, then each jump host: ending a jump host first would cut the tunnel.
    for (const { client } of [...this.hops].reverse()) {
      if (this.ended.has(client)) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.destroy();
          resolve();
        }, 2000);
        client.once("close", () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    }
  }
}
