import {
  type AnsibleTree,
  hostGroups,
  type Located,
  shellWords,
  type Vars,
} from "./ansible-tree.js";
import type { FileVars } from "./ansible-vars.js";
import { type HostEntry, type InventoryWarning, type JumpSpec, NAME_RE, USER_RE } from "./host.js";
import { parseJumpSpecs } from "./jump.js";

/**
 * Ansible hosts to diagbot entries. Variables merge in Ansible's documented order
 * (docs.ansible.com "Understanding variable precedence", and VariableManager.get_vars):
 * `all`'s inventory vars < `group_vars/all` < other groups' inventory vars < their
 * `group_vars/` files < the host's inventory vars < `host_vars/`; groups of one kind in the
 * order (depth below `all`, `ansible_group_priority`, name), a deeper (child) group last.
 * Of two names for one setting, the later one wins, as in the ssh connection plugin
 * (`ansible_user` < `ansible_ssh_user`, `ansible_port` < `ansible_ssh_port`, ...).
 */

const PASSWORD_VARS = [
  "ansible_password",
  "ansible_ssh_pass",
  "ansible_ssh_password",
  "ansible_become_pass",
  "ansible_become_password",
  "ansible_sudo_pass",
];
const SSH_CONNECTIONS = new Set([
  "ssh",
  "smart",
  "paramiko",
  "paramiko_ssh",
  "ansible.builtin.ssh",
  "ansible.builtin.paramiko_ssh",
]);
const LOCAL_CONNECTIONS = new Set(["local", "ansible.builtin.local"]);
const TRUE_WORDS = new Set(["yes", "on", "1", "true", "y", "t"]);

/** The merged vars of one host. */
export function hostVars(
  tree: AnsibleTree,
  host: string,
  files: FileVars,
): { vars: Vars; groups: string[] } {
  const depths = hostGroups(tree, host, tree.parents());
  const priority = (g: string) =>
    Number(tree.groups.get(g)?.vars.get("ansible_group_priority")?.value ?? 1);
  const groups = [...depths.keys()]
    .filter((g) => g !== "all")
    .sort(
      (a, b) =>
        depths.get(a)! - depths.get(b)! ||
        priority(a) - priority(b) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
  const layers: (Vars | undefined)[] = [
    tree.groups.get("all")?.vars,
    files.groups.get("all"),
    ...groups.map((g) => tree.groups.get(g)?.vars),
    ...groups.map((g) => files.groups.get(g)),
    tree.hosts.get(host)?.vars,
    files.hosts.get(host),
  ];
  const vars: Vars = new Map();
  for (const layer of layers) for (const [k, v] of layer ?? []) vars.set(k, v);
  return { vars, groups: groups.filter((g) => g !== "ungrouped") };
}

interface Mapper {
  vars: Vars;
  warn: (at: Located, message: string) => void;
}

/** The last defined of several names for one setting, unless unusable (then warned). */
function pick(
  m: Mapper,
  names: string[],
): { value: string | number | boolean; at: Located } | undefined {
  let found: [string, Located] | undefined;
  for (const n of names) {
    const v = m.vars.get(n);
    if (v !== undefined && v.value !== null) found = [n, v];
  }
  if (!found) return undefined;
  const [name, at] = found;
  if (
    at.tag === "!vault" ||
    (typeof at.value === "string" && at.value.startsWith("$ANSIBLE_VAULT;"))
  ) {
    m.warn(at, `${name}: vault-encrypted value is not decrypted; not used`);
    return undefined;
  }
  if (typeof at.value === "string" && /\{\{|\{%/.test(at.value)) {
    m.warn(at, `${name}: Jinja template ${JSON.stringify(at.value)} is not evaluated; not used`);
    return undefined;
  }
  if (
    typeof at.value !== "string" &&
    typeof at.value !== "number" &&
    typeof at.value !== "boolean"
  ) {
    m.warn(at, `${name}: expected a single value; not used`);
    return undefined;
  }
  return { value: at.value, at };
}

/** `-o ProxyJump=a,b`, `-oProxyJump a`, `-J a`: the jump hops; other options are warned. */
function sshArgsJump(m: Mapper): JumpSpec[] | undefined {
  let hops: JumpSpec[] | undefined;
  for (const name of ["ansible_ssh_common_args", "ansible_ssh_extra_args"]) {
    const arg = pick(m, [name]);
    if (!arg) continue;
    let words: string[];
    try {
      words = shellWords(String(arg.value));
    } catch {
      m.warn(arg.at, `${name}: unbalanced quotes; not used`);
      continue;
    }
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      let spec: string | undefined;
      if (w === "-J" || w === "-o") {
        const next = words[++i] ?? "";
        spec = w === "-J" ? next : /^ProxyJump[\s=]+(.+)$/i.exec(next)?.[1];
        if (w === "-o" && spec === undefined)
          m.warn(arg.at, `${name}: ssh option ${JSON.stringify(next)} is not applied`);
      } else if (w.startsWith("-J")) spec = w.slice(2);
      else if (w.startsWith("-o")) {
        spec = /^ProxyJump[\s=]+(.+)$/i.exec(w.slice(2))?.[1];
        if (spec === undefined)
          m.warn(arg.at, `${name}: ssh option ${JSON.stringify(w.slice(2))} is not applied`);
      } else m.warn(arg.at, `${name}: ssh argument ${JSON.stringify(w)} is not applied`);
      if (spec === undefined) continue;
      const parsed = parseJumpSpecs(spec);
      if (typeof parsed === "string") m.warn(arg.at, `${name}: ${parsed}`);
      else hops = parsed;
    }
  }
  return hops;
}

/**
 * diagbot's own `transport` and `bundle` (DESIGN.md "Inventory"), as host or group vars:
 * `db1 transport=replay bundle=bundles/db1` on an INI host line, `transport: replay` in YAML,
 * `_meta.hostvars`, `host_vars/` or `group_vars/`. A relative bundle is taken from the inventory
 * file's folder (as in diagbot's YAML).
 * @returns `replay` or `local` when the host is not reached over SSH (its `ansible_connection`
 *   is then not read), `ssh` (or nothing set) to read it, `false` for a transport diagbot does
 *   not know (warned: host left out).
 */
function transportFields(m: Mapper, entry: HostEntry): "ssh" | "local" | "replay" | false {
  const transport = pick(m, ["transport"]);
  const bundle = pick(m, ["bundle"]);
  const kind = transport === undefined ? "ssh" : String(transport.value);
  if (kind !== "ssh" && kind !== "local" && kind !== "replay") {
    m.warn(
      transport!.at,
      `transport=${kind}: expected ssh, local or replay; host ${entry.name} left out`,
    );
    return false;
  }
  if (kind !== "ssh") entry.transport = kind;
  if (bundle && kind === "replay") entry.bundle = String(bundle.value);
  else if (bundle)
    m.warn(bundle.at, `bundle=${bundle.value}: read with transport=replay only; not used`);
  return kind;
}

function connectionFields(m: Mapper, entry: HostEntry): boolean {
  const transport = transportFields(m, entry);
  if (transport === false) return false;
  if (transport !== "ssh") return true;
  const connection = pick(m, ["ansible_connection"]);
  if (connection && LOCAL_CONNECTIONS.has(String(connection.value))) entry.transport = "local";
  else if (connection && !SSH_CONNECTIONS.has(String(connection.value))) {
    m.warn(
      connection.at,
      `ansible_connection=${connection.value}: diagbot reaches hosts over SSH only; host ${entry.name} left out`,
    );
    return false;
  }
  const address = pick(m, ["ansible_host", "ansible_ssh_host"]);
  if (address) entry.address = String(address.value);
  const port = pick(m, ["ansible_port", "ansible_ssh_port"]);
  if (
    port &&
    /^[0-9]{1,5}$/.test(String(port.value)) &&
    Number(port.value) >= 1 &&
    Number(port.value) <= 65535
  ) {
    entry.port = Number(port.value);
  } else if (port)
    m.warn(port.at, `port ${JSON.stringify(port.value)} is not a number from 1 to 65535; not used`);
  const user = pick(m, ["ansible_user", "ansible_ssh_user"]);
  if (user && USER_RE.test(String(user.value))) entry.user = String(user.value);
  else if (user)
    m.warn(user.at, `user ${JSON.stringify(user.value)} is not a login name; not used`);
  const key = pick(m, ["ansible_private_key_file", "ansible_ssh_private_key_file"]);
  if (key) entry.identityFile = String(key.value);
  // diagbot's own field (DESIGN.md "Inventory"), relative to the inventory file's folder.
  const knownHosts = pick(m, ["knownHosts"]);
  if (knownHosts) entry.knownHosts = String(knownHosts.value);
  const hops = sshArgsJump(m);
  if (hops) entry.jump = { hops, strict: false };
  return true;
}

function becomeFields(m: Mapper, entry: HostEntry): void {
  const become = pick(m, ["ansible_become"]);
  if (become)
    entry.sudo = become.value === true || TRUE_WORDS.has(String(become.value).toLowerCase());
  if (!entry.sudo) return;
  const method = pick(m, ["ansible_become_method"]);
  if (method && method.value !== "sudo")
    m.warn(method.at, `ansible_become_method=${method.value}: diagbot uses sudo -n only`);
  const becomeUser = pick(m, ["ansible_become_user"]);
  if (becomeUser && becomeUser.value !== "root")
    m.warn(becomeUser.at, `ansible_become_user=${becomeUser.value}: diagbot becomes root only`);
}

/**
 * Every host of the tree as an entry, in first-seen order. Hosts diagbot cannot reach (another
 * `ansible_connection`, an unknown `transport`, a name that is not a host name) are left out
 * with a warning.
 */
export function ansibleEntries(
  tree: AnsibleTree,
  files: FileVars,
  at: { file: string; baseDir: string },
  warnings: InventoryWarning[],
): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const host of tree.hosts.values()) {
    if (!NAME_RE.test(host.name)) {
      warnings.push({
        file: host.file,
        line: host.line,
        message: `host ${JSON.stringify(host.name)} is not a valid host name (letters, digits, . _ -); left out`,
      });
      continue;
    }
    const { vars, groups } = hostVars(tree, host.name, files);
    const warn = (loc: Located, message: string) =>
      warnings.push({ file: loc.file, line: loc.line, message });
    const m: Mapper = { vars, warn };
    for (const name of PASSWORD_VARS) {
      const v = vars.get(name);
      if (v)
        warn(v, `${name}: passwords are not used (diagbot authenticates with a key or ssh-agent)`);
    }
    const entry: HostEntry = {
      name: host.name,
      file: host.file,
      where: `line ${host.line ?? "?"}: host ${host.name}`,
      baseDir: at.baseDir,
      groups: groups.filter((g) => {
        if (NAME_RE.test(g)) return true;
        warnings.push({
          file: at.file,
          message: `group ${JSON.stringify(g)} is not a valid group name; not used`,
        });
        return false;
      }),
    };
    if (!connectionFields(m, entry)) continue;
    becomeFields(m, entry);
    entries.push(entry);
  }
  return entries;
}
