import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { capped, yamlSyntax } from "../parsers/text.js";
import { AnsibleTree, expandHostRange, splitHostPort, type Vars } from "./ansible-tree.js";
import { configError, type InventoryWarning } from "./host.js";

/**
 * Ansible's YAML inventory (the `yaml` plugin: groups with `hosts`, `children` and `vars`
 * mappings, top-level keys being groups) and the `--list` JSON a dynamic inventory prints
 * (groups with `hosts` and `children` lists, `_meta.hostvars`). Both are walked on the YAML
 * syntax tree so that every warning names its line.
 */

/** Most YAML aliases followed while walking one file (an alias bomb stops here). */
const MAX_ALIASES = 50;

interface Walk {
  doc: Document;
  lines: LineCounter;
  file: string;
  tree: AnsibleTree;
  warnings: InventoryWarning[];
  aliases: number;
}

function lineOf(w: Walk, node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? w.lines.linePos(range[0]).line : undefined;
}

function deref(w: Walk, node: unknown): unknown {
  if (!isAlias(node)) return node;
  if (++w.aliases > MAX_ALIASES) {
    throw configError(
      w.file,
      [`line ${lineOf(w, node)}: more than ${MAX_ALIASES} YAML aliases`],
      "write the inventory out plainly",
    );
  }
  return node.resolve(w.doc);
}

/** A mapping's (key, value node, line) triples; a plain string is `{string: null}`. */
function entriesOf(w: Walk, node: unknown, what: string): [string, unknown, number | undefined][] {
  const n = deref(w, node);
  if (n === null || n === undefined || (isScalar(n) && n.value === null)) return [];
  if (isScalar(n) && typeof n.value === "string") return [[n.value, null, lineOf(w, n)]];
  if (isSeq(n)) return n.items.map((item) => [String(toValue(w, item)), null, lineOf(w, item)]);
  if (isMap(n)) {
    return n.items.map((pair) => [String(toValue(w, pair.key)), pair.value, lineOf(w, pair.key)]);
  }
  w.warnings.push({
    file: w.file,
    line: lineOf(w, n),
    message: `${what} is not a mapping or a list; skipped`,
  });
  return [];
}

function toValue(w: Walk, node: unknown): unknown {
  const n = deref(w, node);
  if (n === null || n === undefined) return null;
  return (n as Node).toJS(w.doc, { maxAliasCount: MAX_ALIASES });
}

function readVars(w: Walk, node: unknown, into: Vars, what: string): void {
  for (const [key, value, line] of entriesOf(w, node, what)) {
    const v = deref(w, value) as Node | null;
    into.set(key, { value: toValue(w, v), file: w.file, line, tag: v?.tag });
  }
}

function readGroup(w: Walk, name: string, node: unknown, line: number | undefined): void {
  const n = deref(w, node);
  if (isScalar(n) && n.value !== null) {
    w.warnings.push({
      file: w.file,
      line,
      message: `"${name}" is not a group definition (a mapping); skipped`,
    });
    return;
  }
  if (isSeq(n)) {
    for (const [host, , at] of entriesOf(w, n, `group "${name}"`))
      addHosts(w, name, host, null, at);
    return;
  }
  w.tree.group(name);
  for (const [key, value, at] of entriesOf(w, n, `group "${name}"`)) {
    if (key === "vars") readVars(w, value, w.tree.group(name).vars, `vars of group "${name}"`);
    else if (key === "children") {
      for (const [child, childNode, childAt] of entriesOf(w, value, `children of "${name}"`)) {
        readGroup(w, child, childNode, childAt);
        w.tree.addChild(name, child);
      }
    } else if (key === "hosts") {
      for (const [host, vars, hostAt] of entriesOf(w, value, `hosts of "${name}"`)) {
        addHosts(w, name, host, vars, hostAt);
      }
    } else {
      w.warnings.push({
        file: w.file,
        line: at,
        message: `unexpected key "${key}" in group "${name}" (only hosts, children and vars are read); skipped`,
      });
    }
  }
}

function addHosts(
  w: Walk,
  group: string,
  hostPattern: string,
  varsNode: unknown,
  line: number | undefined,
) {
  const vars: Vars = new Map();
  readVars(w, varsNode, vars, `variables of host "${hostPattern}"`);
  const { pattern, port } = splitHostPort(hostPattern);
  if (port !== undefined) vars.set("ansible_port", { value: port, file: w.file, line });
  for (const host of expandHostRange(pattern, w.file, line)) {
    w.tree.addHost(group, host, vars, { file: w.file, line });
  }
}

/**
 * YAML as Ansible reads it (duplicate keys allowed, the later one winning; no `<<` merge keys),
 * with a line counter for messages. Unknown tags such as `!vault` stay on their nodes.
 */
export function parseAnsibleYaml(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: false,
    merge: false,
    logLevel: "error",
  });
  return { doc, lines };
}

/**
 * Reads Ansible YAML or `--list` JSON text.
 * @throws DiagbotError `config` for YAML syntax errors, alias bombs, a top level that is not
 *   a mapping, and bad host ranges.
 */
export function readAnsibleYaml(
  text: string,
  file: string,
  warnings: InventoryWarning[],
): AnsibleTree {
  const { doc, lines } = parseAnsibleYaml(text);
  if (doc.errors.length > 0) {
    throw configError(
      file,
      capped(doc.errors.map((e) => yamlSyntax(e))),
      "the file is not valid YAML or JSON",
    );
  }
  const w: Walk = { doc, lines, file, tree: new AnsibleTree(), warnings, aliases: 0 };
  const root = deref(w, doc.contents);
  if (!isMap(root) && !(isScalar(root) && root.value === null) && root !== null) {
    throw configError(file, ["(top level): expected a mapping of groups"]);
  }
  let meta: unknown;
  for (const [name, node, line] of entriesOf(w, root, "the top level")) {
    if (name === "_meta") meta = node;
    else readGroup(w, name, node, line);
  }
  for (const [key, node] of entriesOf(w, meta, "_meta")) {
    if (key !== "hostvars") continue;
    for (const [host, vars, line] of entriesOf(w, node, "_meta.hostvars")) {
      const h = w.tree.hosts.get(host);
      if (h) readVars(w, vars, h.vars, `_meta.hostvars of "${host}"`);
      else
        warnings.push({
          file,
          line,
          message: `_meta.hostvars names "${host}", which no group lists; skipped`,
        });
    }
  }
  return w.tree;
}
