import {
  AnsibleTree,
  expandHostRange,
  literalValue,
  shellWords,
  splitHostPort,
  type Vars,
} from "./ansible-tree.js";
import { configError } from "./host.js";

/**
 * Ansible's INI inventory, read as Ansible's `ini` plugin reads it: `[group]` host lines
 * (`name k=v ...`, shell-quoted, ranges expanded, `name:port`), `[group:vars]` lines
 * (`k = v`, the value up to the end of the line), `[group:children]` lines (a group name);
 * lines starting with `#` or `;` are comments; hosts before any section are ungrouped.
 * Values go through {@link literalValue} as Ansible's `ast.literal_eval`.
 */

const SECTION_RE = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

/**
 * @throws DiagbotError `config` naming the file and line for a malformed line (an unterminated
 *   quote, a host variable without `=`, an unknown section kind, a bad range).
 */
export function readAnsibleIni(text: string, file: string): AnsibleTree {
  const tree = new AnsibleTree();
  let group = "ungrouped";
  let kind: "hosts" | "vars" | "children" = "hosts";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fail = (why: string) =>
      configError(
        file,
        [`line ${lineNo}: ${why}`],
        "fix the line named (Ansible INI inventory format)",
      );
    const section = SECTION_RE.exec(line);
    if (section) {
      group = section[1];
      const suffix = section[2] ?? "hosts";
      if (suffix !== "hosts" && suffix !== "vars" && suffix !== "children") {
        throw fail(`section [${group}:${suffix}]: expected :vars or :children`);
      }
      kind = suffix;
      tree.group(group);
      continue;
    }
    if (line.startsWith("[")) throw fail(`malformed section header ${JSON.stringify(line)}`);
    if (kind === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) throw fail(`expected key=value in [${group}:vars], got ${JSON.stringify(line)}`);
      const key = line.slice(0, eq).trim();
      tree
        .group(group)
        .vars.set(key, { value: literalValue(line.slice(eq + 1).trim()), file, line: lineNo });
    } else if (kind === "children") {
      const [child] = shellWords(line);
      if (child !== undefined) tree.addChild(group, child);
    } else {
      readHostLine(tree, group, line, { file, line: lineNo }, fail);
    }
  }
  return tree;
}

function readHostLine(
  tree: AnsibleTree,
  group: string,
  line: string,
  at: { file: string; line: number },
  fail: (why: string) => Error,
): void {
  let words: string[];
  try {
    words = shellWords(line);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (words.length === 0) return;
  const vars: Vars = new Map();
  for (const word of words.slice(1)) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw fail(`expected key=value host variable, got ${JSON.stringify(word)}`);
    vars.set(word.slice(0, eq), { value: literalValue(word.slice(eq + 1)), ...at });
  }
  const { pattern, port } = splitHostPort(words[0]);
  if (port !== undefined) vars.set("ansible_port", { value: port, ...at });
  for (const name of expandHostRange(pattern, at.file, at.line)) {
    tree.addHost(group, name, vars, at);
  }
}
