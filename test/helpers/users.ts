import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { chmod, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Throw-away Unix users for tests (needs root): `diagtest-<random>`, with an optional
 * sudoers drop-in that is checked with `visudo -c -f` before it is installed.
 */

const run = promisify(execFile);

/** A user made by {@link createTestUser}. */
export interface TestUser {
  name: string;
  uid: number;
  home: string;
  /** Path of the installed sudoers drop-in, when one was given. */
  sudoersFile?: string;
  /** Deletes the sudoers drop-in, the user and its home. Safe to call twice. */
  remove(): Promise<void>;
}

/** True when this process may create users (root, with useradd present). */
export function canCreateUsers(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Checks sudoers text with `visudo -c -f`.
 * @throws Error with visudo's output when the text is not valid sudoers syntax.
 */
export async function checkSudoers(text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-sudoers-"));
  const file = join(dir, "check");
  try {
    writeFileSync(file, text, { mode: 0o440 });
    await run("visudo", ["-c", "-q", "-f", file]).catch((err) => {
      throw new Error(
        `sudoers text rejected by visudo -c: ${err.stderr || err.stdout || err.message}`,
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Creates `diagtest-<random>` with a home folder and `/bin/sh`, and a password field of `*`
 * (no password login, but not "locked", so sshd with `UsePAM no` lets it log in by key).
 * @param options.sudoers sudoers text to install as `/etc/sudoers.d/<name>` (mode 0440) after
 *   `visudo -c -f` accepted it; `%USER%` in it is replaced by the user name.
 * @throws Error when not root, or when useradd or visudo fail.
 */
export async function createTestUser(options: { sudoers?: string } = {}): Promise<TestUser> {
  if (!canCreateUsers()) throw new Error("creating test users needs root");
  const name = `diagtest-${randomBytes(4).toString("hex")}`;
  let sudoersFile: string | undefined;
  const sudoersText = options.sudoers?.replaceAll("%USER%", name);
  if (sudoersText !== undefined) await checkSudoers(sudoersText);
  await run("useradd", ["-m", "-s", "/bin/sh", "-p", "*", name]);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    if (sudoersFile) await rm(sudoersFile, { force: true });
    await run("userdel", ["-f", "-r", name]).catch(() => {});
  };
  try {
    if (sudoersText !== undefined) {
      // /etc/sudoers.d skips names with a dot; write then rename so sudo never sees half a file.
      const target = `/etc/sudoers.d/${name}`;
      const partial = `${target}~`;
      await writeFile(partial, sudoersText, { mode: 0o440 });
      await chmod(partial, 0o440);
      await rename(partial, target);
      sudoersFile = target;
    }
    const { stdout: uid } = await run("id", ["-u", name]);
    const { stdout: passwd } = await run("getent", ["passwd", name]);
    return {
      name,
      uid: Number(uid.trim()),
      home: passwd.trim().split(":")[5],
      sudoersFile,
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}
