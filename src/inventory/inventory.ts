import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, relative, resolve } from "node:path";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { type EntryProblem, resolveEntries } from "./build.js";
import {
  configErrorOf,
  currentUser,
  DEFAULT_INVENTORY,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_PORT,
  describeValue,
  type HostConfig,
  type HostEntry,
  type Inventory,
  type InventoryWarning,
  LOCAL_TARGET,
} from "./host.js";
import { closestNames } from "./names.js";
import { readNativeInventory } from "./native.js";
import { readSource } from "./sources.js";

/**
 * The inventory (DESIGN.md "Inventory"): `DIAGBOT_INVENTORY` (default `./inventory.yaml`), one
 * file or several separated by `:` (as PATH), each diagbot's own YAML, an Ansible inventory
 * (INI, YAML, `--list` JSON, or a folder with `group_vars/` and `host_vars/`) or an OpenSSH
 * client config, merged into one set of hosts. diagbot's own YAML is validated strictly (a bad
 * file fails before any connection); constructs of the other kinds that diagbot cannot honour
 * are returned as warnings naming the file and line.
 */

export {
  DEFAULT_INVENTORY,
  type HostConfig,
  type Inventory,
  type InventoryWarning,
  isValidAddress,
  LOCAL_TARGET,
  MAX_INVENTORY_BYTES,
  type TransportKind,
} from "./host.js";
export { closestNames } from "./names.js";

/** Options for {@link parseInventory}. */
export interface ParseInventoryOptions {
  /** Name of the file for messages, e.g. `inventory.yaml`. */
  file: string;
  /** Folder relative `identityFile` / `knownHosts` / `bundle` paths are taken from (default: cwd). */
  baseDir?: string;
  /** Home folder for `~` (default: `os.homedir()`). */
  homeDir?: string;
  /** Login name used when neither the host nor `defaults` sets `user`. */
  defaultUser?: string;
  /** Absolute path, for {@link Inventory.path} (default: `baseDir/file`). */
  path?: string;
}

/**
 * Hosts and their group index, from resolved hosts in order; `declared` groups without a host
 * (an Ansible `[empty]` section) are kept with no hosts, so naming one says it is empty.
 */
function inventoryOf(
  file: string,
  path: string,
  hosts: Map<string, HostConfig>,
  warnings: InventoryWarning[],
  declared: readonly string[] = [],
): Inventory {
  const groups = new Map<string, string[]>();
  for (const host of hosts.values()) {
    for (const g of host.groups) groups.set(g, [...(groups.get(g) ?? []), host.name]);
  }
  for (const g of declared) if (!groups.has(g)) groups.set(g, []);
  // As ansible-inventory warns "Found both group and host with same name".
  for (const [g, members] of groups) {
    if (!hosts.has(g)) continue;
    warnings.push({
      file,
      message: `"${g}" names both a host and a group: \`sweep ${g}\` sweeps the group (${members.length} host${members.length === 1 ? "" : "s"}), \`diagnose ${g}\` the host; rename one`,
    });
  }
  return { file, path, hosts, groups, warnings };
}

/**
 * Parses and validates diagbot inventory YAML text.
 * @returns the inventory with every host resolved (defaults applied, jump chains linked).
 * @throws DiagbotError `config` naming the file, the host and the field, for YAML syntax
 *   errors, alias bombs, unknown keys, bad values, bad host names, a `jumpHost` that is not in
 *   the inventory, a jump through a `local` or `replay` host, or a jump cycle.
 */
export function parseInventory(text: string, options: ParseInventoryOptions): Inventory {
  const baseDir = options.baseDir ?? process.cwd();
  const entries = readNativeInventory(text, options.file, baseDir);
  const { hosts, problems } = resolveEntries(entries, {
    homeDir: options.homeDir,
    defaultUser: options.defaultUser ?? currentUser(),
  });
  if (problems.length > 0) throw configErrorOf(problems.map((p) => `${p.entry.file}: ${p.text}`));
  return inventoryOf(options.file, options.path ?? resolve(baseDir, options.file), hosts, []);
}

/**
 * The inventory paths from the environment: `DIAGBOT_INVENTORY` split on `:` (empty parts
 * skipped), or `./inventory.yaml`.
 */
export function inventoryPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const parts = (env.DIAGBOT_INVENTORY ?? "").split(":").filter((p) => p !== "");
  return parts.length > 0 ? parts : [DEFAULT_INVENTORY];
}

/** `DIAGBOT_INVENTORY` as given (several paths joined by `:`), or `./inventory.yaml`. */
export function inventoryPath(env: NodeJS.ProcessEnv = process.env): string {
  return inventoryPaths(env).join(":");
}

function displayName(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : absolute;
}

/** Options for {@link loadInventory}. */
export interface LoadInventoryOptions {
  /** Home folder for `~` (default: `os.homedir()`). */
  homeDir?: string;
  /** Folder relative ssh_config `Include` paths are taken from (default `~/.ssh`). */
  sshDir?: string;
}

/** The entries of several sources, a name defined twice kept from the first (warned). */
async function readSources(
  paths: string[],
  options: LoadInventoryOptions,
  warnings: InventoryWarning[],
): Promise<{ entries: HostEntry[]; groups: string[]; strictFiles: Set<string> }> {
  const entries = new Map<string, HostEntry>();
  const groups: string[] = [];
  const strictFiles = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(path);
    const file = displayName(absolute);
    try {
      await stat(absolute);
    } catch (err) {
      throw new DiagbotError(
        "config",
        `${file}: cannot read the inventory: ${whyUnreadable(err)}`,
        {
          hint: `set DIAGBOT_INVENTORY to your inventory file(s), separated by ":" (default ${DEFAULT_INVENTORY}); the target "${LOCAL_TARGET}" needs no inventory`,
          cause: err,
        },
      );
    }
    const read = await readSource(
      absolute,
      { home: options.homeDir, sshDir: options.sshDir, show: displayName },
      warnings,
    );
    if (read.kind === "diagbot") strictFiles.add(file);
    groups.push(...read.groups);
    for (const e of read.entries) {
      const first = entries.get(e.name);
      if (first === undefined) entries.set(e.name, e);
      else if (first.file !== e.file) {
        warnings.push({
          file: e.file,
          message: `host ${e.name} is also defined in ${first.file}; the first definition (${first.file}) is used`,
        });
      }
    }
  }
  return { entries: [...entries.values()], groups, strictFiles };
}

/**
 * Reads and merges inventory sources (see the module comment for the kinds).
 * @param paths one path, several joined by `:`, or a list (default: `DIAGBOT_INVENTORY`).
 * @returns the hosts of every source in order (a name defined twice: the first file's, with a
 *   warning naming both files) and the warnings of every source.
 * @throws DiagbotError `config` when a source cannot be read (missing, unreadable, larger than
 *   {@link MAX_INVENTORY_BYTES}), a diagbot YAML file is invalid (see {@link parseInventory}),
 *   or a source of another kind is malformed (naming the file and line).
 */
export async function loadInventory(
  paths: string | readonly string[] = inventoryPaths(),
  options: LoadInventoryOptions = {},
): Promise<Inventory> {
  const list =
    typeof paths === "string" ? inventoryPaths({ DIAGBOT_INVENTORY: paths }) : [...paths];
  const warnings: InventoryWarning[] = [];
  const { entries, groups, strictFiles } = await readSources(list, options, warnings);
  const { hosts, problems } = resolveEntries(entries, {
    homeDir: options.homeDir,
    defaultUser: currentUser(),
  });
  const fatal = problems.filter((p) => strictFiles.has(p.entry.file));
  if (fatal.length > 0)
    throw configErrorOf(fatal.map((p: EntryProblem) => `${p.entry.file}: ${p.text}`));
  for (const p of problems) {
    warnings.push({ file: p.entry.file, message: `${p.text}; host ${p.entry.name} left out` });
  }
  const files = list.map((p) => displayName(resolve(p)));
  return inventoryOf(files.join(", "), resolve(list[0]), hosts, inReadingOrder(warnings), groups);
}

/**
 * The warnings once each, in the order a reader goes through the files: the files as they
 * came, each one's lines in order (a reader warns in passes: syntax, then variables, then
 * hosts), and a warning with no line after the lines of its file.
 */
function inReadingOrder(warnings: InventoryWarning[]): InventoryWarning[] {
  const seen = new Set<string>();
  const files = new Map<string, number>();
  const once = warnings.filter((w) => {
    const key = `${w.file}\0${w.line}\0${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (!files.has(w.file)) files.set(w.file, files.size);
    return true;
  });
  // Array.prototype.sort is stable: warnings on one line keep the order they were found in.
  return once.sort(
    (a, b) =>
      files.get(a.file)! - files.get(b.file)! ||
      (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY),
  );
}

/** `FILE:LINE: message` (or `FILE: message`), as the CLI prints a warning. */
export function formatWarning(w: InventoryWarning): string {
  return `${w.file}${w.line === undefined ? "" : `:${w.line}`}: ${w.message}`;
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
  /** Called with each warning of an inventory this function loads (the CLI prints them). */
  onWarning?: (warning: InventoryWarning) => void;
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
  let inventory = options.inventory;
  if (!inventory) {
    inventory = await loadInventory(
      options.inventoryPath ?? inventoryPath(options.env ?? process.env),
    );
    for (const w of inventory.warnings) options.onWarning?.(w);
  }
  return resolveHost(inventory, target);
}

/**
 * The bundle folder of a `transport: replay` host, checked when the host is used.
 * @throws DiagbotError `config` when the host is not a replay host or its folder is missing.
 */
export async function replayBundle(host: HostConfig): Promise<string> {
  const dir = host.transport === "replay" ? host.bundle : undefined;
  const info = dir === undefined ? undefined : await stat(dir).catch(() => undefined);
  if (dir === undefined || !info?.isDirectory()) {
    throw new DiagbotError(
      "config",
      `host ${host.name}: its replay bundle ${dir === undefined ? "is not set" : `${dir} is not a folder`}`,
      { hint: "set bundle: in the inventory to a folder written by diagbot diagnose --save" },
    );
  }
  return dir;
}

/**
 * The hosts a sweep target names: `all` (every host), a group, or one host's name.
 * @throws DiagbotError `unknown-host` when it is none of these (hint: closest names).
 */
export function hostsOf(inventory: Inventory, target: string): HostConfig[] {
  if (target === "all") return [...inventory.hosts.values()];
  if (inventory.groups.has(target)) return hostsInGroup(inventory, target);
  const host = inventory.hosts.get(target);
  if (host) return [host];
  const near = closestNames(target, [...inventory.groups.keys(), ...inventory.hosts.keys()], 20);
  throw new DiagbotError(
    "unknown-host",
    `unknown host or group ${describeValue(target)}: not in ${inventory.file}`,
    { hint: near.length ? `closest known names: ${near.join(", ")}` : `"all" is every host` },
  );
}

/**
 * Hosts of one group, in file order.
 * @throws DiagbotError `unknown-host` when the group is not in the inventory, or has no host.
 */
export function hostsInGroup(inventory: Inventory, group: string): HostConfig[] {
  const names = inventory.groups.get(group);
  if (names?.length === 0) {
    throw new DiagbotError(
      "unknown-host",
      `host group ${describeValue(group)} of ${inventory.file} has no hosts`,
      { hint: 'add hosts to it, or name another group ("all" is every host)' },
    );
  }
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
