import { readFile, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { homedir, userInfo } from "node:os";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { distance as editDistance } from "fastest-levenshtein";
import { parseDocument } from "yaml";
import { z } from "zod";
import { DiagbotError, whyUnreadable } from "../model/errors.js";

/**
 * The inventory (DESIGN.md "Inventory"): `DIAGBOT_INVENTORY` (default `./inventory.yaml`) with
 * `defaults` applied to every host and `hosts` by name. Loading validates everything up front
 * (unknown keys rejected, addresses checked, jump hosts resolved) so that a bad file fails
 * before any connection, with a message naming the file, the host and the field.
 */

/** How commands reach a host: over SSH, or on this machine (child_process). */
export type TransportKind = "ssh" | "local";

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
  /** Host groups (for sweeps and RBAC), in file order. */
  groups: string[];
  /** The host to tunnel through (itself resolved, possibly with its own jump host). */
  jumpHost?: HostConfig;
}

/** A loaded inventory. Lookups go through Maps, never through object properties. */
export interface Inventory {
  /** The file as shown in messages (relative to the working directory when inside it). */
  file: string;
  /** Absolute path of the file. */
  path: string;
  /** Hosts by name, in file order. */
  hosts: ReadonlyMap<string, HostConfig>;
  /** Group name to host names, in file order. */
  groups: ReadonlyMap<string, readonly string[]>;
}

/** The target name that means "this machine, no SSH, no inventory". */
export const LOCAL_TARGET = "local";
/** Default inventory path when `DIAGBOT_INVENTORY` is not set. */
export const DEFAULT_INVENTORY = "./inventory.yaml";
/** Largest inventory file read, bytes. */
export const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;

const DEFAULT_PORT = 22;
const DEFAULT_MAX_SESSIONS = 8;
const DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts";
const MAX_SESSIONS_LIMIT = 64;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const LABEL_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

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

const PORT_MSG = "expected a number from 1 to 65535";
const SESSIONS_MSG = `expected a whole number from 1 to ${MAX_SESSIONS_LIMIT}`;
const BOOL_MSG = "expected true or false";
const PATH_MSG = "expected a file path";
const USER_MSG = "expected a login name (letters, digits, _ . -; at most 32)";
const ADDRESS_MSG = "expected a hostname or an IP address";
const NAME_MSG = "expected a host name (letters, digits, . _ -; starting with a letter or digit)";
const GROUP_MSG = "expected a group name (letters, digits, . _ -; starting with a letter or digit)";
const TRANSPORT_MSG = 'expected "ssh" or "local"';

const numberIn = (min: number, max: number, message: string) =>
  z
    .number({ invalid_type_error: message })
    .int({ message })
    .min(min, { message })
    .max(max, { message });

const pathField = z.string({ invalid_type_error: PATH_MSG }).min(1, { message: PATH_MSG });

const commonFields = {
  user: z.string({ invalid_type_error: USER_MSG }).regex(USER_RE, { message: USER_MSG }),
  port: numberIn(1, 65535, PORT_MSG),
  identityFile: pathField,
  knownHosts: pathField,
  sudo: z.boolean({ invalid_type_error: BOOL_MSG }),
  maxSessions: numberIn(1, MAX_SESSIONS_LIMIT, SESSIONS_MSG),
};

const defaultsSchema = z.object(commonFields).partial().strict();

const hostSchema = z
  .object({
    ...commonFields,
    address: z
      .string({ invalid_type_error: ADDRESS_MSG })
      .refine(isValidAddress, { message: ADDRESS_MSG }),
    groups: z.array(
      z.string({ invalid_type_error: GROUP_MSG }).regex(NAME_RE, { message: GROUP_MSG }),
      { invalid_type_error: "expected a list of group names" },
    ),
    jumpHost: z.string({ invalid_type_error: NAME_MSG }).regex(NAME_RE, { message: NAME_MSG }),
    transport: z.enum(["ssh", "local"], {
      errorMap: () => ({ message: TRANSPORT_MSG }),
    }),
  })
  .partial()
  .strict();

const fileSchema = z
  .object({
    defaults: defaultsSchema.nullable().optional(),
    hosts: z.record(z.string(), hostSchema.nullable()).nullable().optional(),
  })
  .strict();

type RawHost = z.infer<typeof hostSchema>;

/** `"x"`, `70000`, `a list`: the offending value as a short, escaped phrase. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    const s = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    return s;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** `hosts.db-1.port`; a key that is not a plain name is quoted: `hosts["web 1"]`. */
function pathText(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  let out = "";
  for (const key of path) {
    const k = String(key);
    if (/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(k)) out += out === "" ? k : `.${k}`;
    else out += `[${describeValue(k)}]`;
  }
  return out;
}

function configError(file: string, lines: string[], hint?: string): DiagbotError {
  const shown = [...new Set(lines)].slice(0, 20);
  const total = new Set(lines).size;
  if (total > shown.length) shown.push(`... and ${total - shown.length} more`);
  return new DiagbotError("config", shown.map((l) => `${file}: ${l}`).join("\n"), {
    hint: hint ?? "fix the inventory file (format: DESIGN.md, section Inventory)",
  });
}

function zodIssueText(issue: z.ZodIssue, raw: unknown): string {
  const where = pathText(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known =
      issue.path.length === 0
        ? "defaults, hosts"
        : issue.path[0] === "defaults"
          ? Object.keys(commonFields).join(", ")
          : Object.keys(hostSchema.shape).join(", ");
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
    return `${where}: unknown field${issue.keys.length > 1 ? "s" : ""} ${keys} (known: ${known})`;
  }
  const value = valueAt(raw, issue.path);
  if (issue.code === "invalid_type" && value === undefined) return `${where}: is required`;
  let message = issue.message;
  if (issue.code === "invalid_type" && issue.expected === "object") {
    message = "expected a mapping of fields";
  }
  return `${where}: ${message}, got ${describeValue(value)}`;
}

/** `~` and `~/x` become the home folder; relative paths are taken from `baseDir`. */
function expandPath(
  value: string,
  baseDir: string,
  home: string,
  where: string,
  errors: string[],
): string {
  if (value === "~") return home;
  if (value.startsWith("~/")) return resolve(home, value.slice(2));
  if (value.startsWith("~")) {
    errors.push(`${where}: only "~" and "~/..." are expanded, got ${describeValue(value)}`);
    return value;
  }
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

/** Options for {@link parseInventory}. */
export interface ParseInventoryOptions {
  /** Name of the file for messages, e.g. `inventory.yaml`. */
  file: string;
  /** Folder relative `identityFile` / `knownHosts` paths are taken from (default: cwd). */
  baseDir?: string;
  /** Home folder for `~` (default: `os.homedir()`). */
  homeDir?: string;
  /** Login name used when neither the host nor `defaults` sets `user`. */
  defaultUser?: string;
  /** Absolute path, for {@link Inventory.path} (default: `baseDir/file`). */
  path?: string;
}

/**
 * Parses and validates inventory YAML text.
 * @returns the inventory with every host resolved (defaults applied, jump chains linked).
 * @throws DiagbotError `config` naming the file, the host and the field, for YAML syntax
 *   errors, alias bombs, unknown keys, bad values, bad host names, a `jumpHost` that is not in
 *   the inventory, a jump through a `local` host, or a jump cycle.
 */
export function parseInventory(text: string, options: ParseInventoryOptions): Inventory {
  const { file } = options;
  const baseDir = options.baseDir ?? process.cwd();
  const home = options.homeDir ?? homedir();
  const defaultUser = options.defaultUser ?? currentUser();

  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, merge: false });
  } catch (err) {
    throw configError(file, [`YAML: ${(err as Error).message}`], "the file is not valid YAML");
  }
  if (doc.errors.length > 0) {
    throw configError(
      file,
      doc.errors.map((e) => `YAML syntax: ${e.message.split("\n")[0].replace(/:\s*$/, "")}`),
      "the file is not valid YAML; check indentation and quoting at the line named",
    );
  }
  let raw: unknown;
  try {
    // Anchors/aliases are allowed, but a handful only: an alias bomb fails here.
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw configError(
      file,
      [`YAML: ${(err as Error).message}`],
      "the file expands to too much data (YAML aliases); write hosts out plainly",
    );
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw configError(file, [
      `(top level): expected a mapping with "defaults" and "hosts", got ${describeValue(raw)}`,
    ]);
  }

  const errors: string[] = [];
  // Host names are checked on the raw keys: zod drops some keys (`__proto__`) silently.
  const rawHosts = (raw as Record<string, unknown>).hosts;
  if (rawHosts !== null && typeof rawHosts === "object" && !Array.isArray(rawHosts)) {
    for (const name of Object.keys(rawHosts)) {
      if (!NAME_RE.test(name)) {
        errors.push(`${pathText(["hosts", name])}: ${NAME_MSG}, got ${describeValue(name)}`);
      } else if (name === LOCAL_TARGET) {
        errors.push(
          `hosts.${name}: "${LOCAL_TARGET}" is reserved for this machine; give the host another name (with transport: local)`,
        );
      }
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(zodIssueText(issue, raw));
  }
  if (errors.length > 0 || !parsed.success) throw configError(file, errors);

  const defaults = parsed.data.defaults ?? {};
  const entries = new Map<string, RawHost>();
  const parsedHosts = parsed.data.hosts ?? {};
  for (const name of Object.keys(parsedHosts)) {
    // Own properties only: a host named "constructor" must not read Object.prototype.
    const value = Object.hasOwn(parsedHosts, name) ? parsedHosts[name] : null;
    entries.set(name, value ?? {});
  }

  // First pass: every host without its jump host.
  const flat = new Map<string, { config: HostConfig; jump?: string }>();
  for (const [name, h] of entries) {
    const where = `hosts.${name}`;
    const transport = h.transport ?? "ssh";
    const address = h.address ?? name;
    if (h.address === undefined && transport === "ssh" && !isValidAddress(name)) {
      errors.push(`${where}.address: is required (the host name is not a hostname)`);
    }
    if (transport === "local" && h.jumpHost !== undefined) {
      errors.push(`${where}.jumpHost: a host with transport: local is not reached through SSH`);
    }
    const identity = h.identityFile ?? defaults.identityFile;
    const identityWhere = h.identityFile !== undefined ? where : "defaults";
    const known = h.knownHosts ?? defaults.knownHosts ?? DEFAULT_KNOWN_HOSTS;
    const knownWhere = h.knownHosts !== undefined ? where : "defaults";
    const config: HostConfig = {
      name,
      address,
      port: h.port ?? defaults.port ?? DEFAULT_PORT,
      user: h.user ?? defaults.user ?? defaultUser,
      identityFile:
        identity === undefined
          ? undefined
          : expandPath(identity, baseDir, home, `${identityWhere}.identityFile`, errors),
      knownHosts: expandPath(known, baseDir, home, `${knownWhere}.knownHosts`, errors),
      sudo: h.sudo ?? defaults.sudo ?? false,
      maxSessions: h.maxSessions ?? defaults.maxSessions ?? DEFAULT_MAX_SESSIONS,
      transport,
      groups: [...new Set(h.groups ?? [])],
    };
    flat.set(name, { config, jump: h.jumpHost });
  }

  // Second pass: jump hosts exist, are SSH hosts, and form no cycle.
  for (const [name, { jump }] of flat) {
    if (jump === undefined) continue;
    const where = `hosts.${name}.jumpHost`;
    const target = flat.get(jump);
    if (target === undefined) {
      const near = closestNames(jump, [...flat.keys()], 5);
      errors.push(
        `${where}: ${describeValue(jump)} is not a host of this inventory${near.length ? ` (closest: ${near.join(", ")})` : ""}`,
      );
    } else if (jump === name) {
      errors.push(`${where}: a host cannot be its own jump host`);
    } else if (target.config.transport !== "ssh") {
      errors.push(
        `${where}: ${describeValue(jump)} has transport: local and cannot be a jump host`,
      );
    }
  }
  if (errors.length === 0) {
    const reported = new Set<string>();
    for (const start of flat.keys()) {
      const seen: string[] = [];
      let cur: string | undefined = start;
      while (cur !== undefined && !seen.includes(cur)) {
        seen.push(cur);
        cur = flat.get(cur)?.jump;
      }
      if (cur !== undefined) {
        const cycle = seen.slice(seen.indexOf(cur));
        const key = [...cycle].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          errors.push(`hosts.${cur}.jumpHost: jump cycle ${[...cycle, cur].join(" -> ")}`);
        }
      }
    }
  }
  if (errors.length > 0) throw configError(file, errors);

  const resolved = new Map<string, HostConfig>();
  const link = (name: string): HostConfig => {
    const done = resolved.get(name);
    if (done) return done;
    const { config, jump } = flat.get(name)!;
    const out: HostConfig = jump === undefined ? config : { ...config, jumpHost: link(jump) };
    resolved.set(name, out);
    return out;
  };
  const hosts = new Map<string, HostConfig>();
  const groups = new Map<string, string[]>();
  for (const name of flat.keys()) {
    const host = link(name);
    hosts.set(name, host);
    for (const g of host.groups) {
      const members = groups.get(g) ?? [];
      members.push(name);
      groups.set(g, members);
    }
  }
  return {
    file,
    path: options.path ?? resolve(baseDir, file),
    hosts,
    groups,
  };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "root";
  }
}

/** The inventory path from the environment: `DIAGBOT_INVENTORY` or `./inventory.yaml`. */
export function inventoryPath(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.DIAGBOT_INVENTORY;
  return value !== undefined && value !== "" ? value : DEFAULT_INVENTORY;
}

function displayName(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : absolute;
}

/**
 * Reads and validates an inventory file.
 * @param path file to read (default: {@link inventoryPath}); relative `identityFile` and
 *   `knownHosts` values inside it are taken from its folder.
 * @throws DiagbotError `config` when the file cannot be read (missing, unreadable, larger than
 *   {@link MAX_INVENTORY_BYTES}) or is invalid (see {@link parseInventory}).
 */
export async function loadInventory(path: string = inventoryPath()): Promise<Inventory> {
  const absolute = resolve(path);
  const file = displayName(absolute);
  let text: string;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) {
      throw configError(file, ["not a regular file"]);
    }
    if (info.size > MAX_INVENTORY_BYTES) {
      throw configError(file, [
        `${info.size} bytes is larger than the ${MAX_INVENTORY_BYTES} bytes an inventory may hold`,
      ]);
    }
    text = await readFile(absolute, "utf8");
  } catch (err) {
    if (err instanceof DiagbotError) throw err;
    throw new DiagbotError("config", `${file}: cannot read the inventory: ${whyUnreadable(err)}`, {
      hint: `set DIAGBOT_INVENTORY to your inventory file (default ${DEFAULT_INVENTORY}); the target "${LOCAL_TARGET}" needs no inventory`,
      cause: err,
    });
  }
  return parseInventory(text, { file, baseDir: dirname(absolute), path: absolute });
}

/**
 * Known names closest to `target`: those sharing the longest prefix with it first (then by
 * edit distance, then by name), plus near typos (edit distance <= 2). At most `limit`.
 */
export function closestNames(target: string, names: Iterable<string>, limit = 20): string[] {
  const t = target.toLowerCase().slice(0, 256);
  const scored: { name: string; prefix: number; distance: number }[] = [];
  for (const name of names) {
    const n = name.toLowerCase();
    let prefix = 0;
    while (prefix < n.length && prefix < t.length && n[prefix] === t[prefix]) prefix++;
    const distance = editDistance(t, n);
    if (prefix > 0 || distance <= 2) scored.push({ name, prefix, distance });
  }
  scored.sort(
    (a, b) =>
      b.prefix - a.prefix ||
      a.distance - b.distance ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return scored.slice(0, limit).map((s) => s.name);
}

/**
 * The machine itself, as a host: `transport: local`, the current user, no SSH fields used.
 * @param maxSessions concurrent commands (default 8).
 */
export function localHost(maxSessions = DEFAULT_MAX_SESSIONS): HostConfig {
  return {
    name: LOCAL_TARGET,
    address: "localhost",
    port: DEFAULT_PORT,
    user: currentUser(),
    knownHosts: resolve(homedir(), ".ssh/known_hosts"),
    sudo: false,
    maxSessions,
    transport: "local",
    groups: [],
  };
}

/**
 * Looks a target up in a loaded inventory (`local` is the machine itself).
 * @throws DiagbotError `unknown-host` (not retryable) when the name is not in the inventory;
 *   the hint lists the closest known names (by prefix, at most 20).
 */
export function resolveHost(inventory: Inventory, target: string): HostConfig {
  if (target === LOCAL_TARGET) return localHost();
  const host = inventory.hosts.get(target);
  if (host) return host;
  const near = closestNames(target, inventory.hosts.keys(), 20);
  const shown = describeValue(target);
  const hint =
    inventory.hosts.size === 0
      ? `${inventory.file} has no hosts; add the host under "hosts:", or use "${LOCAL_TARGET}" for this machine`
      : near.length > 0
        ? `closest known names: ${near.join(", ")}`
        : `no similar name among the ${inventory.hosts.size} hosts of ${inventory.file}; "${LOCAL_TARGET}" is this machine`;
  throw new DiagbotError("unknown-host", `unknown host ${shown}: not in ${inventory.file}`, {
    hint,
  });
}

/** Options for {@link resolveTarget}. */
export interface ResolveTargetOptions {
  /** An inventory already loaded; otherwise it is read from `inventoryPath`. */
  inventory?: Inventory;
  /** Inventory file (default: {@link inventoryPath} of `env`). */
  inventoryPath?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves a diagnosis target before any connection: `local` needs no inventory; any other
 * name must be an inventory host.
 * @throws DiagbotError `unknown-host` for a name not in the inventory (hint: closest names),
 *   `config` when the inventory cannot be read or is invalid.
 */
export async function resolveTarget(
  target: string,
  options: ResolveTargetOptions = {},
): Promise<HostConfig> {
  if (target === LOCAL_TARGET) return localHost();
  const inventory =
    options.inventory ??
    (await loadInventory(options.inventoryPath ?? inventoryPath(options.env ?? process.env)));
  return resolveHost(inventory, target);
}

/**
 * Hosts of one group, in file order.
 * @throws DiagbotError `unknown-host` when no host is in that group.
 */
export function hostsInGroup(inventory: Inventory, group: string): HostConfig[] {
  const names = inventory.groups.get(group);
  if (!names) {
    const near = closestNames(group, inventory.groups.keys(), 20);
    throw new DiagbotError(
      "unknown-host",
      `unknown host group ${describeValue(group)}: no host of ${inventory.file} is in it`,
      { hint: near.length ? `closest known groups: ${near.join(", ")}` : undefined },
    );
  }
  return names.map((n) => inventory.hosts.get(n)!);
}
