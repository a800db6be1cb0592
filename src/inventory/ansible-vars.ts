import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { isMap, isScalar, type Node } from "yaml";
import type { AnsibleTree, Vars } from "./ansible-tree.js";
import { parseAnsibleYaml } from "./ansible-yaml.js";
import { type InventoryWarning, MAX_INVENTORY_BYTES } from "./host.js";

/**
 * `group_vars/` and `host_vars/` beside an Ansible inventory, found as Ansible's
 * `host_group_vars` plugin finds them: `group_vars/NAME`, `NAME.yml`, `NAME.yaml`,
 * `NAME.json`, or a folder `NAME/` whose files (recursively, in name order, hidden files and
 * names ending in `~` skipped, extensions none/.yml/.yaml/.json only) are read in turn, a later
 * file overriding an earlier one. Names match case-sensitively.
 */

const EXTENSIONS = ["", ".yml", ".yaml", ".json"];

/** Vars found for each group and host that has files, by name. */
export interface FileVars {
  groups: Map<string, Vars>;
  hosts: Map<string, Vars>;
}

async function isDir(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    const path = join(dir, name);
    if (await isDir(path)) out.push(...(await filesIn(path)));
    else if (EXTENSIONS.includes(extname(name))) out.push(path);
  }
  return out;
}

async function varsFiles(dir: string, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const ext of EXTENSIONS) {
    const path = join(dir, name + ext);
    const kind = await isDir(path);
    if (kind === true) found.push(...(await filesIn(path)));
    else if (kind === false) found.push(path);
  }
  return found;
}

/** One vars file into `into`; problems become warnings, never a silent skip. */
async function readVarsFile(
  path: string,
  shown: string,
  into: Vars,
  warnings: InventoryWarning[],
): Promise<void> {
  if ((await stat(path)).size > MAX_INVENTORY_BYTES) {
    warnings.push({ file: shown, message: `larger than ${MAX_INVENTORY_BYTES} bytes; not read` });
    return;
  }
  const text = await readFile(path, "utf8");
  if (text.startsWith("$ANSIBLE_VAULT;")) {
    warnings.push({
      file: shown,
      line: 1,
      message: "vault-encrypted file is not decrypted; its variables are not used",
    });
    return;
  }
  const { doc, lines } = parseAnsibleYaml(text);
  const root = doc.contents;
  if (
    doc.errors.length > 0 ||
    !(isMap(root) || root === null || (isScalar(root) && root.value === null))
  ) {
    const why = doc.errors[0]?.message.split("\n")[0] ?? "not a mapping of variables";
    warnings.push({
      file: shown,
      line: doc.errors[0]?.linePos?.[0].line,
      message: `not read: ${why}`,
    });
    return;
  }
  if (!isMap(root)) return;
  try {
    for (const pair of root.items) {
      const value = pair.value as Node | null;
      into.set(String((pair.key as Node | null)?.toJS(doc) ?? ""), {
        value: value === null ? null : value.toJS(doc, { maxAliasCount: 50 }),
        file: shown,
        line: lines.linePos((pair.key as Node).range?.[0] ?? 0).line,
        tag: value?.tag,
      });
    }
  } catch (err) {
    warnings.push({ file: shown, message: `not read: ${(err as Error).message}` });
  }
}

/**
 * Reads the vars files of every group and host of `tree` under `baseDir`.
 * @param show how a path is shown in warnings.
 */
export async function readFileVars(
  baseDir: string,
  tree: AnsibleTree,
  show: (path: string) => string,
  warnings: InventoryWarning[],
): Promise<FileVars> {
  const out: FileVars = { groups: new Map(), hosts: new Map() };
  const kinds = [
    ["group_vars", tree.groups.keys(), out.groups],
    ["host_vars", tree.hosts.keys(), out.hosts],
  ] as const;
  for (const [folder, names, into] of kinds) {
    const dir = join(baseDir, folder);
    if (!(await isDir(dir))) continue;
    for (const name of names) {
      const vars: Vars = new Map();
      for (const path of await varsFiles(dir, name))
        await readVarsFile(path, show(path), vars, warnings);
      if (vars.size > 0) into.set(name, vars);
    }
  }
  return out;
}
