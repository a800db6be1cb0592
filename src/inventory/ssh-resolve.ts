import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import pLimit from "p-limit";
import { configError, type HostEntry, type InventoryWarning, NAME_RE, USER_RE } from "./host.js";
import { parseJumpSpecs } from "./jump.js";
import { copyName, readSshConfig, type SshConfigRead } from "./ssh-config.js";

/**
 * OpenSSH client config hosts, resolved by OpenSSH itself: every concrete `Host` name goes
 * through `ssh -G -F COPY NAME` (prints the effective options and exits; it never connects),
 * where COPY is the config with Include paths made absolute and Match blocks commented out.
 * Wildcard-only `Host` blocks are defaults, not hosts.
 */

const run = promisify(execFile);
/** `ssh -G` runs at once. */
const CONCURRENCY = 8;
/** Seconds one `ssh -G` may take. */
const SSH_G_TIMEOUT_MS = 10_000;

/** `ssh -G` output: option (lowercase) to its values, in order. */
async function sshG(config: string, name: string, ssh: string): Promise<Map<string, string[]>> {
  const { stdout } = await run(ssh, ["-G", "-F", config, "--", name], {
    timeout: SSH_G_TIMEOUT_MS,
  });
  const out = new Map<string, string[]>();
  for (const line of stdout.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const key = line.slice(0, sp);
    out.set(key, [...(out.get(key) ?? []), line.slice(sp + 1)]);
  }
  return out;
}

/** Writes the safe copy of every file; returns the path of the main one. */
async function writeCopy(read: SshConfigRead, dir: string): Promise<string> {
  const copies = new Map(read.files.map((f, i) => [f.path, join(dir, copyName(i, f.path))]));
  for (const f of read.files) {
    const lines = [...f.lines];
    for (const [i, targets] of f.includes) {
      lines[i] =
        targets.length === 0
          ? `# ${lines[i]}`
          : `Include ${targets.map((t) => `"${copies.get(t)}"`).join(" ")}`;
    }
    await writeFile(copies.get(f.path)!, `${lines.join("\n")}\n`, { mode: 0o600 });
  }
  return copies.get(read.files[0].path)!;
}

/** Options for {@link sshConfigEntries}. */
export interface SshConfigOptions {
  /** How a path is shown in messages. */
  show: (path: string) => string;
  home: string;
  /** Folder relative Include paths are taken from (default `HOME/.ssh`). */
  sshDir?: string;
  /** The ssh binary (default `ssh` on PATH). */
  ssh?: string;
}

/**
 * @throws DiagbotError `config` when `ssh` is not installed or `ssh -G` rejects the config.
 */
export async function sshConfigEntries(
  path: string,
  options: SshConfigOptions,
  warnings: InventoryWarning[],
): Promise<HostEntry[]> {
  const sshDir = options.sshDir ?? join(options.home, ".ssh");
  const read = await readSshConfig(
    path,
    { sshDir, home: options.home, show: options.show },
    warnings,
  );
  const shown = options.show(path);
  const names = read.names.filter((n, i) => {
    if (read.names.findIndex((o) => o.name === n.name) !== i) return false;
    if (NAME_RE.test(n.name)) return true;
    warnings.push({
      file: n.file,
      line: n.line,
      message: `Host ${JSON.stringify(n.name)} is not a valid host name (letters, digits, . _ -); left out`,
    });
    return false;
  });
  if (names.length === 0) return [];
  const ssh = options.ssh ?? "ssh";
  const dir = await mkdtemp(join(tmpdir(), "diagbot-ssh-config-"));
  try {
    const config = await writeCopy(read, dir);
    const none = join(dir, "empty");
    await writeFile(none, "");
    const defaults = await sshG(none, "diagbot-default", ssh).catch(
      (err: NodeJS.ErrnoException) => {
        throw configError(
          shown,
          [
            err.code === "ENOENT"
              ? "reading an ssh_config needs OpenSSH's ssh (ssh -G), which is not installed"
              : `ssh -G: ${err.message.trim()}`,
          ],
          "install openssh-client, or convert the hosts to diagbot's inventory YAML",
        );
      },
    );
    const limit = pLimit(CONCURRENCY);
    return await Promise.all(
      names.map((n) =>
        limit(async () => {
          const got = await sshG(config, n.name, ssh).catch((err: Error) => {
            // OpenSSH names its copy of the file: name the original instead.
            const said = err.message.split("\n").slice(1).join(" ").trim() || err.message;
            throw configError(
              shown,
              [`ssh -G ${n.name} rejects the config: ${said.replaceAll(`${dir}/`, "")}`],
              "OpenSSH would refuse this config too: fix or remove the line it names",
            );
          });
          return entryOf(n, got, defaults, dirname(path), warnings);
        }),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function entryOf(
  n: { name: string; file: string; line: number },
  got: Map<string, string[]>,
  defaults: Map<string, string[]>,
  baseDir: string,
  warnings: InventoryWarning[],
): HostEntry {
  const one = (key: string) => got.get(key)?.[0];
  const entry: HostEntry = {
    name: n.name,
    file: n.file,
    where: `line ${n.line}: Host ${n.name}`,
    baseDir,
    groups: [],
    address: one("hostname"),
    port: Number(one("port") ?? 22),
  };
  const user = one("user");
  if (user !== undefined && USER_RE.test(user)) entry.user = user;
  else
    warnings.push({
      file: n.file,
      line: n.line,
      message: `Host ${n.name}: user ${JSON.stringify(user)} is not a login name; not used`,
    });
  const keys = got.get("identityfile") ?? [];
  // With no IdentityFile set, ssh -G lists OpenSSH's default keys: those are ssh-agent's job.
  if (keys.join("\n") !== (defaults.get("identityfile") ?? []).join("\n") && keys[0]) {
    entry.identityFile = keys[0];
  }
  const jump = one("proxyjump");
  if (jump !== undefined) {
    const hops = parseJumpSpecs(jump);
    if (typeof hops === "string")
      warnings.push({ file: n.file, line: n.line, message: `Host ${n.name}: ${hops}` });
    else if (hops.length > 0) entry.jump = { hops, strict: false };
  }
  return entry;
}
