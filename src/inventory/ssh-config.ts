import { readdir, readFile, stat } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { type InventoryWarning, MAX_INVENTORY_BYTES } from "./host.js";

/**
 * Reads an OpenSSH client config (ssh_config(5)) far enough to list its hosts and to hand a
 * safe copy to `ssh -G`: `Host` patterns, `Include` (files relative to `~/.ssh`, globs, nested
 * up to 16 deep as in OpenSSH), `Match` blocks (warned and commented out, so that `ssh -G`
 * never runs a `Match exec` command), `ProxyCommand` (warned).
 */

/** One file of the config as it will be given to `ssh -G`. */
export interface SshConfigFile {
  /** Absolute path of the original. */
  path: string;
  /** Its text with Match blocks commented out and Include arguments replaced by `includes`. */
  lines: string[];
  /** For each Include line index, the original files it names (absolute, in glob order). */
  includes: Map<number, string[]>;
}

export interface SshConfigRead {
  files: SshConfigFile[];
  /** Concrete host names from `Host` lines (no wildcard, no negation), in file order. */
  names: { name: string; file: string; line: number }[];
}

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/** `keyword args` or `keyword=args`, the keyword lowercased; undefined for blank/comment. */
export function sshLine(line: string): { keyword: string; args: string } | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*?)\s*$/.exec(line);
  if (!m || line.trim().startsWith("#")) return undefined;
  return { keyword: m[1].toLowerCase(), args: m[2] };
}

/**
 * Arguments split on whitespace, double quotes grouping, and an argument that starts with an
 * unquoted `#` ending the line: OpenSSH's argv_split with terminate_on_comment, as readconf.c
 * calls it (`Host a b # comment` names two hosts).
 */
export function sshArgs(args: string): string[] {
  const out: string[] = [];
  for (const m of args.matchAll(/"([^"]*)"|(\S+)/g)) {
    if (m[2]?.startsWith("#")) break;
    out.push(m[1] ?? m[2]);
  }
  return out;
}

/** `*` and `?` wildcards of a Host pattern or an Include glob as a RegExp. */
export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

async function globFiles(pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) {
    return (await stat(pattern).then(
      (s) => s.isFile(),
      () => false,
    ))
      ? [pattern]
      : [];
  }
  const parts = pattern.split("/");
  let bases = [parts[0] === "" ? "/" : parts[0]];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(part)) next.push(join(base, part));
      else {
        const re = wildcardRegExp(part);
        const names = await readdir(base).catch(() => [] as string[]);
        for (const n of names.sort())
          if (re.test(n) && !n.startsWith(".")) next.push(join(base, n));
      }
    }
    bases = next;
  }
  const files: string[] = [];
  for (const b of bases)
    if (
      await stat(b).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      files.push(b);
  return files;
}

interface ReadContext {
  sshDir: string;
  home: string;
  show: (path: string) => string;
  warnings: InventoryWarning[];
  out: SshConfigRead;
  seen: Set<string>;
}

async function readOne(path: string, depth: number, ctx: ReadContext): Promise<void> {
  if (ctx.seen.has(path)) return;
  ctx.seen.add(path);
  const shown = ctx.show(path);
  if ((await stat(path)).size > MAX_INVENTORY_BYTES) {
    ctx.warnings.push({
      file: shown,
      message: `larger than ${MAX_INVENTORY_BYTES} bytes; not read`,
    });
    return;
  }
  const lines = (await readFile(path, "utf8")).split(/\r?\n/);
  const file: SshConfigFile = { path, lines, includes: new Map() };
  ctx.out.files.push(file);
  let inMatch = false;
  for (let i = 0; i < lines.length; i++) {
    const parsed = sshLine(lines[i]);
    if (!parsed) continue;
    const { keyword, args } = parsed;
    const warn = (message: string) => ctx.warnings.push({ file: shown, line: i + 1, message });
    if (keyword === "match") {
      warn(`Match blocks are not supported; "${lines[i].trim()}" and its options are ignored`);
      inMatch = true;
    } else if (keyword === "host") inMatch = false;
    if (inMatch) {
      lines[i] = `# ${lines[i]}`;
      continue;
    }
    if (keyword === "host") {
      for (const p of sshArgs(args)) {
        if (!/[*?!]/.test(p)) ctx.out.names.push({ name: p, file: shown, line: i + 1 });
      }
    } else if (keyword === "proxycommand" && args.toLowerCase() !== "none") {
      warn("ProxyCommand is not supported (use ProxyJump); hosts using it are reached directly");
    } else if (keyword === "include") {
      file.includes.set(i, await includeTargets(sshArgs(args), depth, warn, ctx));
    }
  }
}

async function includeTargets(
  args: string[],
  depth: number,
  warn: (message: string) => void,
  ctx: ReadContext,
): Promise<string[]> {
  if (depth >= MAX_INCLUDE_DEPTH) {
    warn(`Include nested more than ${MAX_INCLUDE_DEPTH} deep; not followed`);
    return [];
  }
  const targets: string[] = [];
  for (const arg of args) {
    if (arg.split("/").includes("..")) {
      warn(`Include ${JSON.stringify(arg)}: paths with ".." are not followed`);
      continue;
    }
    const path = arg.startsWith("~/")
      ? join(ctx.home, arg.slice(2))
      : isAbsolute(arg)
        ? arg
        : resolve(ctx.sshDir, arg);
    const found = await globFiles(path);
    if (found.length === 0) warn(`Include ${JSON.stringify(arg)}: no file matches ${path}`);
    for (const f of found) {
      targets.push(f);
      await readOne(f, depth + 1, ctx);
    }
  }
  return targets;
}

/**
 * Reads a config and every file it includes.
 * @param sshDir folder relative Include paths are taken from (OpenSSH: `~/.ssh`).
 */
export async function readSshConfig(
  path: string,
  options: { sshDir: string; home: string; show: (path: string) => string },
  warnings: InventoryWarning[],
): Promise<SshConfigRead> {
  const out: SshConfigRead = { files: [], names: [] };
  await readOne(path, 0, { ...options, warnings, out, seen: new Set() });
  return out;
}

/** A file name for the safe copy of `path`, unique within one copy. */
export function copyName(index: number, path: string): string {
  return `${index}-${basename(path).replace(/[^A-Za-z0-9._-]/g, "_")}`;
}
