import { readdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { notTextReason } from "../parsers/text.js";
import { ansibleEntries } from "./ansible-hosts.js";
import { readAnsibleIni } from "./ansible-ini.js";
import { readFileVars } from "./ansible-vars.js";
import { readAnsibleYaml } from "./ansible-yaml.js";
import { configError, type HostEntry, type InventoryWarning, MAX_INVENTORY_BYTES } from "./host.js";
import { readNativeInventory } from "./native.js";
import { sshLine } from "./ssh-config.js";
import { sshConfigEntries } from "./ssh-resolve.js";

/**
 * One inventory source, its kind detected from its content: a folder is an Ansible inventory
 * folder; a file whose first line is an ssh_config keyword is an OpenSSH client config; a
 * `[section]` line makes Ansible INI; a YAML/JSON mapping is diagbot's inventory when its keys
 * are `defaults`/`hosts` with hosts by name, and an Ansible YAML or `--list` JSON inventory
 * otherwise; anything else is Ansible INI (a bare host list). Files named `*.yaml`, `*.yml` or
 * `*.json` are always read as YAML, so a syntax error is reported as one.
 */

export type SourceKind = "diagbot" | "ansible-ini" | "ansible-yaml" | "ssh-config" | "ansible-dir";

/** Keywords an ssh_config commonly starts with (ssh_config(5)). */
const SSH_KEYWORDS = new Set(
  "host match include hostname user port identityfile proxyjump proxycommand forwardagent compression serveraliveinterval serveralivecountmax controlmaster controlpath controlpersist stricthostkeychecking userknownhostsfile globalknownhostsfile identitiesonly addkeystoagent ciphers macs kexalgorithms hostkeyalgorithms pubkeyacceptedalgorithms loglevel sendenv setenv pubkeyauthentication passwordauthentication preferredauthentications connecttimeout tcpkeepalive visualhostkey hashknownhosts canonicalizehostname usekeychain protocol batchmode checkhostip".split(
    " ",
  ),
);

const GROUP_KEYS = new Set(["hosts", "children", "vars"]);

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** diagbot's shape: `defaults`, or `hosts` that is not an Ansible group body (`hosts:` group). */
function isDiagbotShape(data: unknown): boolean {
  if (data === null || data === undefined) return true;
  if (!isMapping(data)) return false;
  if (Object.hasOwn(data, "defaults")) return true;
  if (!Object.hasOwn(data, "hosts")) return false;
  const hosts = data.hosts;
  const keys = isMapping(hosts) ? Object.keys(hosts) : [];
  return !(keys.length > 0 && keys.every((k) => GROUP_KEYS.has(k)));
}

/** The kind of a file's text (see the module comment). */
export function detectKind(text: string, path: string): SourceKind {
  const yamlName = [".yaml", ".yml", ".json"].includes(extname(path).toLowerCase());
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "" && !/^\s*[#;]/.test(l)) ?? "";
  if (!yamlName) {
    const ssh = sshLine(first);
    if (ssh && SSH_KEYWORDS.has(ssh.keyword) && !/^\s*[A-Za-z0-9]+\s*:/.test(first))
      return "ssh-config";
    if (/^\s*\[[^\]]+\]\s*([#;].*)?$/.test(first) && !first.includes(",")) return "ansible-ini";
  }
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 50, uniqueKeys: false, logLevel: "error" });
  } catch {
    return yamlName ? "diagbot" : "ansible-ini";
  }
  if (isDiagbotShape(data)) return "diagbot";
  return isMapping(data) ? "ansible-yaml" : yamlName ? "diagbot" : "ansible-ini";
}

/** What one source yields. */
export interface SourceRead {
  kind: SourceKind;
  entries: HostEntry[];
  /** Every group the source declares, those without hosts included (Ansible `[empty]`). */
  groups: string[];
}

/** Options shared by every reader. */
export interface SourceOptions {
  home?: string;
  /** Folder relative ssh_config Include paths are taken from (default `~/.ssh`). */
  sshDir?: string;
  show: (path: string) => string;
}

async function readText(path: string, shown: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw configError(shown, ["not a regular file"]);
  if (info.size > MAX_INVENTORY_BYTES) {
    throw configError(shown, [
      `${info.size} bytes is larger than the ${MAX_INVENTORY_BYTES} bytes an inventory may hold`,
    ]);
  }
  const bytes = await readFile(path);
  const binary = notTextReason(bytes);
  if (binary !== undefined) throw configError(shown, [`not a text file: binary data (${binary})`]);
  return bytes.toString("utf8");
}

/** Ansible skips these in an inventory folder (INVENTORY_IGNORE_EXTS, its vars folders). */
function ignoredInFolder(name: string): boolean {
  return (
    name.startsWith(".") ||
    name.endsWith("~") ||
    name === "group_vars" ||
    name === "host_vars" ||
    [".orig", ".ini", ".cfg", ".retry", ".pyc", ".pyo"].includes(extname(name))
  );
}

/**
 * Reads one source: a file of any kind, or an Ansible inventory folder (every file in it in
 * name order, then its `group_vars/` and `host_vars/`).
 * @throws DiagbotError `config` for unreadable or invalid sources.
 */
export async function readSource(
  path: string,
  options: SourceOptions,
  warnings: InventoryWarning[],
): Promise<SourceRead> {
  const shown = options.show(path);
  const home = options.home ?? homedir();
  if ((await stat(path)).isDirectory()) {
    const files = (await readdir(path)).sort().filter((n) => !ignoredInFolder(n));
    const entries: HostEntry[] = [];
    const groups: string[] = [];
    for (const name of files) {
      const file = join(path, name);
      if ((await stat(file)).isDirectory()) continue;
      const text = await readText(file, options.show(file));
      const kind = detectKind(text, file);
      if (kind !== "ansible-ini" && kind !== "ansible-yaml") {
        warnings.push({
          file: options.show(file),
          message: `an Ansible inventory folder holds Ansible inventories only; this ${kind} file is not read`,
        });
        continue;
      }
      const read = await ansibleSource(file, text, kind, options, warnings);
      entries.push(...read.entries);
      groups.push(...read.groups);
    }
    return { kind: "ansible-dir", entries, groups };
  }
  const text = await readText(path, shown);
  const kind = detectKind(text, path);
  if (kind === "diagbot") {
    return { kind, entries: readNativeInventory(text, shown, dirname(path)), groups: [] };
  }
  if (kind === "ssh-config") {
    return {
      kind,
      entries: await sshConfigEntries(
        path,
        { show: options.show, home, sshDir: options.sshDir },
        warnings,
      ),
      groups: [],
    };
  }
  return { kind, ...(await ansibleSource(path, text, kind, options, warnings)) };
}

async function ansibleSource(
  path: string,
  text: string,
  kind: SourceKind,
  options: SourceOptions,
  warnings: InventoryWarning[],
): Promise<{ entries: HostEntry[]; groups: string[] }> {
  const shown = options.show(path);
  const tree =
    kind === "ansible-ini" ? readAnsibleIni(text, shown) : readAnsibleYaml(text, shown, warnings);
  const files = await readFileVars(dirname(path), tree, options.show, warnings);
  return {
    entries: ansibleEntries(tree, files, { file: shown, baseDir: dirname(path) }, warnings),
    // `all` is every host and `ungrouped` Ansible's own; neither is a group of the inventory.
    groups: [...tree.groups.keys()].filter((g) => g !== "all" && g !== "ungrouped"),
  };
}
