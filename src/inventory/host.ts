import { isIP } from "node:net";
import { userInfo } from "node:os";
import { DiagbotError } from "../model/errors.js";

/**
 * The inventory's vocabulary (DESIGN.md "Inventory"): a resolved host, a loaded inventory, the
 * warnings an import gives, and the name and address checks every reader shares.
 */

/** How commands reach a host: over SSH, on this machine (child_process), or from a bundle. */
export type TransportKind = "ssh" | "local" | "replay";

/** One host, fully resolved: defaults applied, paths absolute, jump chain linked. */
export interface HostConfig {
  /** Inventory name (`local` for the machine itself). */
  name: string;
  /** Hostname or IP literal to connect to; defaults to the inventory name. */
  address: string;
  /** TCP port, 1..65535 (default 22). */
  port: number;
  /** Remote login name (default: the local user running diagbot). */
  user: string;
  /**
   * Absolute path of the private key (`~` expanded, relative paths taken from the inventory
   * file's folder). Undefined: authenticate through ssh-agent (`SSH_AUTH_SOCK`) only.
   */
  identityFile?: string;
  /** Absolute path of the OpenSSH known_hosts file holding this host's key pin. */
  knownHosts: string;
  /** Commands that need root run as `sudo -n /exact/path args`. */
  sudo: boolean;
  /** Concurrent exec channels on one connection (1..64, default 8). */
  maxSessions: number;
  transport: TransportKind;
  /** `transport: replay` only: absolute path of the evidence bundle folder read instead. */
  bundle?: string;
  /** Host groups (for sweeps and RBAC), in file order. */
  groups: string[];
  /** The host to tunnel through (itself resolved, possibly with its own jump host). */
  jumpHost?: HostConfig;
}

/** A construct an import could not honour, with where it is written. */
export interface InventoryWarning {
  /** The file as shown in messages. */
  file: string;
  /** 1-based line, when the reader knows it. */
  line?: number;
  message: string;
}

/** A loaded inventory. Lookups go through Maps, never through object properties. */
export interface Inventory {
  /** The file(s) as shown in messages (several joined with ", "). */
  file: string;
  /** Absolute path of the (first) file. */
  path: string;
  /** Hosts by name, in file order. */
  hosts: ReadonlyMap<string, HostConfig>;
  /** Group name to host names, in file order. */
  groups: ReadonlyMap<string, readonly string[]>;
  /** Constructs that were not imported, in file order (empty for a plain diagbot inventory). */
  warnings: readonly InventoryWarning[];
}

/** One hop of a jump chain as written: `[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

/**
 * One host as a reader found it, before defaults and jump hosts are resolved. Every reader
 * (diagbot YAML, Ansible, ssh_config) yields these; {@link resolveEntries} turns them into
 * {@link HostConfig}s.
 */
export interface HostEntry {
  name: string;
  /** File as shown in messages. */
  file: string;
  /** Prefix for messages about this host, e.g. `hosts.db-1` or `line 12: db-1`. */
  where: string;
  /** Folder relative paths (`identityFile`, `knownHosts`, `bundle`) are taken from. */
  baseDir: string;
  address?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  knownHosts?: string;
  sudo?: boolean;
  maxSessions?: number;
  transport?: TransportKind;
  bundle?: string;
  groups: string[];
  /**
   * Jump chain, outermost hop first (`ssh -J a,b` reaches `a`, then `b`, then the host).
   * `strict`: every hop must be a host of the inventory (diagbot's `jumpHost`); otherwise a
   * hop that is not one is reached as written.
   */
  jump?: { hops: JumpSpec[]; strict: boolean };
  /** The file's `defaults:` (diagbot YAML only), used where the host sets nothing. */
  defaults?: HostDefaults;
}

/** Fields `defaults:` may set for every host of a file. */
export type HostDefaults = Partial<
  Pick<HostEntry, "user" | "port" | "identityFile" | "knownHosts" | "sudo" | "maxSessions">
>;

/** The target name that means "this machine, no SSH, no inventory". */
export const LOCAL_TARGET = "local";
/** Default inventory path when `DIAGBOT_INVENTORY` is not set. */
export const DEFAULT_INVENTORY = "./inventory.yaml";
/** Largest inventory file read, bytes. */
export const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_PORT = 22;
export const DEFAULT_MAX_SESSIONS = 8;
export const DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts";
export const MAX_SESSIONS_LIMIT = 64;

/** Host and group names: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const LABEL_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export const NAME_MSG =
  "expected a host name (letters, digits, . _ -; starting with a letter or digit)";
export const GROUP_MSG =
  "expected a group name (letters, digits, . _ -; starting with a letter or digit)";
export const USER_MSG = "expected a login name (letters, digits, _ . -; at most 32)";
export const ADDRESS_MSG = "expected a hostname or an IP address";

/** True for a DNS hostname (labels of letters, digits, `-`, `_`; no leading `-`) or IP literal. */
export function isValidAddress(address: string): boolean {
  if (isIP(address) !== 0) return true;
  if (address.length === 0 || address.length > 253) return false;
  const bare = address.endsWith(".") ? address.slice(0, -1) : address;
  if (bare.length === 0) return false;
  const labels = bare.split(".");
  // An all-numeric dotted name that is not a valid IPv4 literal (e.g. 999.1.1.1) is a typo.
  if (labels.every((l) => /^[0-9]+$/.test(l))) return false;
  return labels.every((l) => LABEL_RE.test(l));
}

/** `"x"`, `70000`, `a list`: the offending value as a short, escaped phrase. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** A `config` error of several lines, each already naming its file; at most 20 shown. */
export function configErrorOf(lines: string[], hint?: string): DiagbotError {
  const unique = [...new Set(lines)];
  const shown = unique.slice(0, 20);
  if (unique.length > shown.length) {
    const file = /^([^:]+): /.exec(shown[0])?.[1];
    const more = `... and ${unique.length - shown.length} more`;
    shown.push(file ? `${file}: ${more}` : more);
  }
  return new DiagbotError("config", shown.join("\n"), {
    hint:
      hint ??
      "fix the inventory file (format: README.md, section 'Adding a host and diagnosing it over SSH')",
  });
}

/** A `config` error whose lines are all about one file. */
export function configError(file: string, lines: string[], hint?: string): DiagbotError {
  return configErrorOf(
    lines.map((l) => `${file}: ${l}`),
    hint,
  );
}

/** The local login name (diagbot's default `user`). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "root";
  }
}
