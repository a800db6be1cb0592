import { configError } from "./host.js";

/**
 * The group tree every Ansible reader (INI, YAML, `--list` JSON) fills, as Ansible's own
 * InventoryData keeps it: groups with vars, child groups and hosts; hosts with their own vars;
 * `all` above everything and `ungrouped` for hosts in no other group.
 */

/** A variable's value and where it was set. `tag` is the YAML tag (`!vault`), if any. */
export interface Located {
  value: unknown;
  file: string;
  line?: number;
  tag?: string;
}

export type Vars = Map<string, Located>;

export interface AnsibleGroup {
  name: string;
  vars: Vars;
  /** Child group names, in first-seen order. */
  children: string[];
  /** Host names listed directly under this group, in first-seen order. */
  hosts: string[];
}

export interface AnsibleHost {
  name: string;
  vars: Vars;
  file: string;
  line?: number;
}

/** Most hosts one pattern such as `web[001:999]` may expand to. */
export const MAX_RANGE_HOSTS = 10_000;

export class AnsibleTree {
  readonly groups = new Map<string, AnsibleGroup>();
  readonly hosts = new Map<string, AnsibleHost>();

  constructor() {
    this.group("all");
    this.group("ungrouped");
  }

  /** The group of that name, created when new. */
  group(name: string): AnsibleGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, vars: new Map(), children: [], hosts: [] };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Adds (or updates) a host in a group; later vars override earlier ones, as in Ansible. */
  addHost(group: string, name: string, vars: Vars, at: { file: string; line?: number }): void {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: new Map(), ...at };
      this.hosts.set(name, h);
    }
    for (const [k, v] of vars) h.vars.set(k, v);
    const g = this.group(group);
    if (!g.hosts.includes(name)) g.hosts.push(name);
  }

  addChild(parent: string, child: string): void {
    const p = this.group(parent);
    this.group(child);
    if (child !== parent && !p.children.includes(child)) p.children.push(child);
  }

  /** Parent groups of each group (`all` parents every group without another parent). */
  parents(): Map<string, string[]> {
    const out = new Map<string, string[]>([...this.groups.keys()].map((n) => [n, []]));
    for (const g of this.groups.values()) {
      for (const c of g.children) out.get(c)!.push(g.name);
    }
    for (const [name, ps] of out) if (name !== "all" && ps.length === 0) ps.push("all");
    return out;
  }
}

/** Groups of a host, the ancestors included, each with its depth below `all` (0). */
export function hostGroups(
  tree: AnsibleTree,
  host: string,
  parents: ReadonlyMap<string, string[]>,
): Map<string, number> {
  const depth = new Map<string, number>();
  const depthOf = (g: string, seen: Set<string>): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (g === "all" || seen.has(g)) return 0;
    seen.add(g);
    const d = 1 + Math.max(...(parents.get(g) ?? ["all"]).map((p) => depthOf(p, seen)));
    depth.set(g, d);
    return d;
  };
  const out = new Map<string, number>([["all", 0]]);
  const visit = (g: string) => {
    if (out.has(g)) return;
    out.set(g, depthOf(g, new Set()));
    for (const p of parents.get(g) ?? []) visit(p);
  };
  for (const g of tree.groups.values()) if (g.hosts.includes(host)) visit(g.name);
  return out;
}

/**
 * Expands Ansible host ranges: `web[01:20]` (zero padding kept), `db-[a:c]`, `h[1:9:2]`
 * (stride), several ranges in one pattern.
 * @throws DiagbotError `config` naming the file and line for a malformed range or one larger
 *   than {@link MAX_RANGE_HOSTS}.
 */
export function expandHostRange(pattern: string, file: string, line?: number): string[] {
  const at = line === undefined ? "" : `line ${line}: `;
  const fail = (why: string) =>
    configError(
      file,
      [`${at}host range ${JSON.stringify(pattern)}: ${why}`],
      "write the range as [01:20] or [a:c], at most 10000 hosts",
    );
  const m = /^(.*?)\[([^\]:]*):([^\]:]*)(?::([0-9]+))?\](.*)$/.exec(pattern);
  if (!m) {
    if (pattern.includes("[") && pattern.includes("]")) throw fail("expected [begin:end]");
    return [pattern];
  }
  const [, head, begText, end, strideText, tail] = m;
  const beg = begText === "" ? "0" : begText;
  const stride = strideText === undefined ? 1 : Number(strideText);
  if (stride < 1) throw fail("the stride must be at least 1");
  let items: string[];
  if (/^[0-9]+$/.test(beg) && /^[0-9]+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith("0") ? beg.length : 0;
    if (width > 0 && end.length !== width) throw fail("begin and end must have the same width");
    const [b, e] = [Number(beg), Number(end)];
    if (b > e) throw fail("begin is after end");
    if ((e - b) / stride + 1 > MAX_RANGE_HOSTS) {
      throw fail(`${Math.floor((e - b) / stride) + 1} hosts is more than ${MAX_RANGE_HOSTS}`);
    }
    items = [];
    for (let i = b; i <= e; i += stride) items.push(String(i).padStart(width, "0"));
  } else if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const [b, e] = [letters.indexOf(beg), letters.indexOf(end)];
    if (b > e) throw fail("begin is after end");
    items = [];
    for (let i = b; i <= e; i += stride) items.push(letters[i]);
  } else {
    throw fail("expected two numbers or two single letters");
  }
  const out: string[] = [];
  for (const item of items) {
    for (const rest of expandHostRange(tail, file, line)) {
      out.push(`${head}${item}${rest}`);
      if (out.length > MAX_RANGE_HOSTS) throw fail(`more than ${MAX_RANGE_HOSTS} hosts`);
    }
  }
  return out;
}

/**
 * `host:2222` to the host pattern and its port; a name with several colons (IPv6) has no port
 * unless bracketed (`[2001:db8::1]:2222`).
 */
export function splitHostPort(pattern: string): { pattern: string; port?: number } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?$/.exec(pattern);
  if (v6) return { pattern: v6[1], port: v6[2] === undefined ? undefined : Number(v6[2]) };
  const m = /^(.+):([0-9]+)$/.exec(pattern);
  // Colons inside a range (`db-[a:c]`) are not a port separator.
  if (!m || m[1].replace(/\[[^\]]*\]/g, "").includes(":")) return { pattern };
  return { pattern: m[1], port: Number(m[2]) };
}

/**
 * A value as Python's `ast.literal_eval` would read it where Ansible applies it (INI values):
 * integers, floats, `True`/`False`/`None` and quoted strings; anything else stays the text.
 */
export function literalValue(text: string): unknown {
  if (text.includes("#")) return text;
  if (/^[-+]?[0-9]+$/.test(text) && !/^[-+]?0[0-9]/.test(text)) return Number(text);
  if (/^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (text === "True") return true;
  if (text === "False") return false;
  if (text === "None") return null;
  const q = /^(['"])(.*)\1$/s.exec(text);
  if (q && !q[2].includes(q[1]) && !q[2].includes("\\")) return q[2];
  return text;
}

/**
 * POSIX shell-like split, as Python's `shlex.split(text, comments=True)`: whitespace
 * separates words, '…' and "…" quote, a backslash escapes, `#` at a word start ends the line.
 * @throws Error on an unterminated quote.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = c === "'" ? text.indexOf("'", i + 1) : closingDouble(text, i + 1);
      if (close < 0) throw new Error("no closing quotation");
      const inner = text.slice(i + 1, close);
      cur += c === "'" ? inner : inner.replace(/\\(["\\$`])/g, "$1");
      inWord = true;
      i = close;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else if (c === "#" && !inWord) {
      break;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function closingDouble(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
