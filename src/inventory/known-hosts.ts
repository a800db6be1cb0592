import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DiagbotError } from "../model/errors.js";
import { DEFAULT_KNOWN_HOSTS } from "./host.js";
import type { HostConfig } from "./inventory.js";

/**
 * OpenSSH known_hosts (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): host-key pins.
 *
 * Each line is `[@marker] patterns keytype base64 [comment]`. Patterns are comma-separated,
 * may be `[host]:port`, use `*` and `?` wildcards and `!` negation, or are one hashed entry
 * `|1|salt|hash` (HMAC-SHA1 of the host string keyed with the salt). `@revoked` keys are never
 * accepted, for any host. `@cert-authority` lines are recognised, but ssh2 cannot check host
 * certificates, so a host pinned only that way is refused with a hint to pin its key.
 *
 * Lookup order (DESIGN.md): `[address]:port` (or `address` when the port is 22), then
 * `address`, then the inventory name; the first of these with a plain key line wins.
 */

/** The host-key algorithms ssh2 can verify, in the names ssh2 uses. */
export type HostKeyAlgorithm =
  | "ssh-ed25519"
  | "ecdsa-sha2-nistp256"
  | "ecdsa-sha2-nistp384"
  | "ecdsa-sha2-nistp521"
  | "rsa-sha2-512"
  | "rsa-sha2-256"
  | "ssh-rsa"
  | "ssh-dss";

const ALGORITHMS_FOR_KEY_TYPE: Readonly<Record<string, readonly HostKeyAlgorithm[]>> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ssh-dss": ["ssh-dss"],
};

/** A public key from a known_hosts line. */
export interface PinnedKey {
  /** Key type as written, e.g. `ssh-ed25519`. */
  type: string;
  /** The key blob (SSH wire format), as ssh2 passes it to `hostVerifier`. */
  blob: Buffer;
  /** `blob` in base64, as in the file. */
  base64: string;
  /** `SHA256:...` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** 1-based line in the known_hosts file. */
  line: number;
}

/** How a line's host field is matched. */
export type HostMatcher =
  | { kind: "patterns"; patterns: { negated: boolean; glob: string }[] }
  | { kind: "hashed"; salt: Buffer; hash: Buffer };

/** One usable known_hosts line. */
export interface KnownHostsEntry {
  marker: "revoked" | "cert-authority" | null;
  hosts: HostMatcher;
  key: PinnedKey;
  /** True when ssh2 can verify this key type (others are kept only to be reported). */
  supported: boolean;
}

/** A line that was skipped, and why. */
export interface KnownHostsProblem {
  line: number;
  text: string;
  reason: string;
}

/** A parsed known_hosts file. */
export interface KnownHosts {
  entries: KnownHostsEntry[];
  problems: KnownHostsProblem[];
}

/** `SHA256:<base64 without padding>` of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH key blob (its first string), or null if malformed. */
export function keyBlobType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return null;
  const type = blob.subarray(4, 4 + len).toString("latin1");
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses known_hosts text. Lines that cannot be used (bad base64, a blob whose type differs
 * from the declared one, an unknown marker, the old SSH-1 format) are skipped and reported in
 * `problems`, as OpenSSH skips them.
 */
export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const problem = (reason: string) =>
      problems.push({ line: lineNo, text: line.slice(0, 200), reason });
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostsEntry["marker"] = null;
    if (fields[0].startsWith("@")) {
      const m = fields.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else {
        problem(`unknown marker ${m}`);
        continue;
      }
    }
    if (fields.length < 3) {
      problem("expected: host patterns, key type, base64 key");
      continue;
    }
    const [hostField, type, base64] = fields;
    if (/^[0-9]+$/.test(type)) {
      problem("SSH protocol 1 key format is not supported");
      continue;
    }
    if (!BASE64_RE.test(base64)) {
      problem("the key is not base64");
      continue;
    }
    const blob = Buffer.from(base64, "base64");
    const inner = keyBlobType(blob);
    if (inner !== type) {
      problem(`the key blob holds a ${inner ?? "malformed"} key, not ${type}`);
      continue;
    }
    let hosts: HostMatcher;
    if (hostField.startsWith("|")) {
      const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(hostField);
      if (!m) {
        problem("malformed hashed host entry (expected |1|salt|hash)");
        continue;
      }
      const salt = Buffer.from(m[1], "base64");
      const hash = Buffer.from(m[2], "base64");
      if (salt.length !== 20 || hash.length !== 20) {
        problem("malformed hashed host entry (salt and hash are 20 bytes each)");
        continue;
      }
      hosts = { kind: "hashed", salt, hash };
    } else {
      const patterns = hostField
        .split(",")
        .filter((p) => p !== "")
        .map((p) =>
          p.startsWith("!")
            ? { negated: true, glob: p.slice(1).toLowerCase() }
            : { negated: false, glob: p.toLowerCase() },
        );
      if (patterns.length === 0) {
        problem("no host pattern");
        continue;
      }
      hosts = { kind: "patterns", patterns };
    }
    const supported = Object.hasOwn(ALGORITHMS_FOR_KEY_TYPE, type);
    if (!supported && marker !== "revoked") {
      problem(`key type ${type} cannot be verified by ssh2; line ignored for pinning`);
    }
    entries.push({
      marker,
      hosts,
      supported,
      key: { type, blob, base64, fingerprint: fingerprintSha256(blob), line: lineNo },
    });
  }
  return { entries, problems };
}

/** `*` / `?` glob match of a whole (lower-case) string, as OpenSSH's match_pattern. */
export function globMatch(text: string, glob: string): boolean {
  let t = 0;
  let g = 0;
  let starG = -1;
  let starT = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === "?" || glob[g] === text[t])) {
      t++;
      g++;
    } else if (g < glob.length && glob[g] === "*") {
      starG = g++;
      starT = t;
    } else if (starG !== -1) {
      g = starG + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}

/**
 * Does a line's host field match `hostString` (`name`, or `[name]:port`)? Case-insensitive;
 * a matching negated pattern excludes the line even when a positive one matches.
 */
export function hostMatches(matcher: HostMatcher, hostString: string): boolean {
  const host = hostString.toLowerCase();
  if (matcher.kind === "hashed") {
    const mac = createHmac("sha1", matcher.salt).update(host).digest();
    return timingSafeEqual(mac, matcher.hash);
  }
  let positive = false;
  for (const { negated, glob } of matcher.patterns) {
    if (globMatch(host, glob)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** The strings a host is looked up as, in order (DESIGN.md), without duplicates. */
export function hostLookupNames(host: Pick<HostConfig, "name" | "address" | "port">): string[] {
  const names = [host.port === 22 ? host.address : `[${host.address}]:${host.port}`];
  names.push(host.address, host.name);
  return [...new Set(names)];
}

/** What known_hosts says about one host. */
export interface HostKeyPins {
  /** Inventory name of the host. */
  host: string;
  /** `address:port` connected to. */
  endpoint: string;
  /** The known_hosts file read. */
  file: string;
  /** The strings looked up, in order. */
  lookupNames: string[];
  /** The lookup string whose plain key lines gave {@link keys}; undefined when none did. */
  matchedAs?: string;
  /** Keys to accept (never a revoked one). Empty: the host is refused. */
  keys: PinnedKey[];
  /** Every `@revoked` key of the file: refused for any host. */
  revoked: PinnedKey[];
  /** `@cert-authority` lines matching the host (recognised, not usable with ssh2). */
  certAuthorities: PinnedKey[];
  /** Host-key algorithms to offer: those of the pinned keys only. */
  algorithms: HostKeyAlgorithm[];
  /** Lines of the file that were skipped. */
  problems: KnownHostsProblem[];
}

/**
 * Looks a host up in parsed known_hosts (pure; never throws). See the module comment for the
 * lookup order; revoked keys are removed from the pins.
 */
export function findHostKeys(
  knownHosts: KnownHosts,
  host: Pick<HostConfig, "name" | "address" | "port">,
  file: string,
): HostKeyPins {
  const lookupNames = hostLookupNames(host);
  const revoked = knownHosts.entries.filter((e) => e.marker === "revoked").map((e) => e.key);
  const isRevoked = (k: PinnedKey) => revoked.some((r) => r.blob.equals(k.blob));
  const certAuthorities: PinnedKey[] = [];
  let keys: PinnedKey[] = [];
  let matchedAs: string | undefined;
  for (const name of lookupNames) {
    const matching = knownHosts.entries.filter((e) => hostMatches(e.hosts, name));
    for (const e of matching) {
      if (e.marker === "cert-authority" && !certAuthorities.some((c) => c.line === e.key.line)) {
        certAuthorities.push(e.key);
      }
    }
    const plain = matching.filter((e) => e.marker === null && e.supported);
    if (matchedAs === undefined && plain.length > 0) {
      matchedAs = name;
      keys = plain.map((e) => e.key);
    }
  }
  const usable = keys.filter((k) => !isRevoked(k));
  const algorithms: HostKeyAlgorithm[] = [];
  for (const k of usable) {
    for (const a of ALGORITHMS_FOR_KEY_TYPE[k.type] ?? []) {
      if (!algorithms.includes(a)) algorithms.push(a);
    }
  }
  return {
    host: host.name,
    endpoint: endpointOf(host),
    file,
    lookupNames,
    matchedAs,
    keys: usable,
    revoked,
    certAuthorities,
    algorithms,
    problems: knownHosts.problems,
  };
}

function endpointOf(host: Pick<HostConfig, "address" | "port">): string {
  return host.address.includes(":")
    ? `[${host.address}]:${host.port}`
    : `${host.address}:${host.port}`;
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./~:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The exact command that appends a host's keys to a known_hosts file. */
export function keyscanCommand(host: Pick<HostConfig, "address" | "port">, file: string): string {
  return `ssh-keyscan -p ${host.port} ${host.address} >> ${shellWord(file)}`;
}

type HostForPins = Pick<HostConfig, "name" | "address" | "port" | "knownHosts"> & {
  jumpHost?: Pick<HostConfig, "name">;
};

function unknownHostHint(host: HostForPins, file: string = host.knownHosts): string {
  const where = host.jumpHost ? ` on the jump host ${host.jumpHost.name}` : "";
  return (
    `run${where}: ${keyscanCommand(host, file)} ; then verify the fingerprint out of band ` +
    `before trusting it: compare \`ssh-keygen -l -f ${shellWord(file)}\` with ` +
    "`ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub` run on the host's console; " +
    "or, when the key is pinned in another file, point knownHosts at it (in a diagbot " +
    "inventory's defaults or host; in an Ansible inventory, a knownHosts=... variable)"
  );
}

/**
 * Refuses a host that has no usable pin: unknown, pinned only by `@cert-authority`, or whose
 * every pinned key is revoked.
 * @returns `pins` unchanged when at least one key is pinned.
 * @throws DiagbotError `host-key-refused` (not retryable) with a hint: the `ssh-keyscan` line
 *   to run and the out-of-band fingerprint check, or to pin the host key instead of a CA.
 */
export function requireHostKeys(pins: HostKeyPins, host: HostForPins): HostKeyPins {
  if (pins.keys.length > 0) return pins;
  const label = `${host.name} (${pins.endpoint})`;
  const looked = pins.lookupNames.join(", ");
  if (pins.certAuthorities.length > 0) {
    const lines = pins.certAuthorities.map((c) => c.line).join(", ");
    throw new DiagbotError(
      "host-key-refused",
      `host key of ${label} is vouched for only by @cert-authority (${pins.file} line ${lines}); diagbot cannot check host certificates, so the host is refused`,
      {
        hint: `pin the host key itself: ${unknownHostHint(host, pins.file)}`,
        localPaths: [pins.file],
      },
    );
  }
  const revokedPins = pins.matchedAs !== undefined;
  if (revokedPins) {
    throw new DiagbotError(
      "host-key-refused",
      `every key pinned for ${label} in ${pins.file} is @revoked; the host is refused`,
      {
        hint: `if the host has a new key, remove the old lines (ssh-keygen -R ${shellWord(pins.matchedAs!)} -f ${shellWord(pins.file)}) and pin the new one: ${unknownHostHint(host, pins.file)}`,
        localPaths: [pins.file],
      },
    );
  }
  throw new DiagbotError(
    "host-key-refused",
    `no host key pinned for ${label} in ${pins.file} (looked up as ${looked}), the one file searched (the inventory's knownHosts, default ${DEFAULT_KNOWN_HOSTS}); its host key cannot be verified, so it is refused`,
    { hint: unknownHostHint(host, pins.file), localPaths: [pins.file] },
  );
}

/**
 * Reads `host.knownHosts` and returns the host's pins.
 * @throws DiagbotError `host-key-refused` when the file cannot be read or the host has no
 *   usable pin (see {@link requireHostKeys}).
 */
export async function loadHostKeyPins(host: HostForPins): Promise<HostKeyPins> {
  let text: string;
  try {
    text = await readFile(host.knownHosts, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new DiagbotError(
      "host-key-refused",
      `cannot read known_hosts ${host.knownHosts} for ${host.name}: ${why} (the one file searched: the inventory's knownHosts, default ${DEFAULT_KNOWN_HOSTS}); its host key cannot be verified, so it is refused`,
      { hint: unknownHostHint(host), cause: err, localPaths: [host.knownHosts] },
    );
  }
  return requireHostKeys(findHostKeys(parseKnownHosts(text), host, host.knownHosts), host);
}

/**
 * Checks the key a server presented (the blob ssh2 passes to `hostVerifier`).
 * @returns null when it is one of the pinned keys; otherwise a DiagbotError
 *   `host-key-refused` saying the key is REVOKED, or CHANGED (possible man-in-the-middle) with
 *   the SHA256 fingerprints of the presented and the pinned keys.
 */
export function checkHostKey(
  pins: HostKeyPins,
  presented: Buffer,
  host: HostForPins,
): DiagbotError | null {
  if (pins.keys.some((k) => k.blob.equals(presented))) return null;
  const label = `${host.name} (${pins.endpoint})`;
  const type = keyBlobType(presented) ?? "unknown";
  const got = `${type} ${fingerprintSha256(presented)}`;
  const revoked = pins.revoked.find((k) => k.blob.equals(presented));
  if (revoked) {
    return new DiagbotError(
      "host-key-refused",
      `host key of ${label} is REVOKED (${pins.file} line ${revoked.line}): ${got}; refused`,
      {
        hint: "the host's key was marked @revoked: find out why before connecting again",
        localPaths: [pins.file],
      },
    );
  }
  const pinned = pins.keys.map((k) => `${k.type} ${k.fingerprint} (line ${k.line})`).join(", ");
  return new DiagbotError(
    "host-key-refused",
    `host key of ${label} has CHANGED (possible man-in-the-middle attack): presented ${got}, pinned in ${pins.file}: ${pinned}; refused`,
    {
      hint: `if the host was reinstalled, verify the new fingerprint out of band (on its console: ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub), then replace the pin: ssh-keygen -R ${shellWord(pins.matchedAs ?? host.address)} -f ${shellWord(pins.file)} && ${keyscanCommand(host, pins.file)}`,
      localPaths: [pins.file],
    },
  );
}
