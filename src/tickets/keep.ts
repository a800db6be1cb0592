import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { type Env, setting } from "./config.js";
import type { TicketEvidence } from "./evidence.js";

/**
 * Keeps the CLI's evidence on disk: the `.tar.gz` and the Markdown report under
 * `<state>/<folder>/` (`DIAGBOT_STATE_DIR`, else `$XDG_STATE_HOME/diagbot`, else
 * `~/.local/state/diagbot`), the folder 0700 and the files 0600; in a fresh temporary folder
 * when the state folder cannot be written. `undelivered`: what a ticket did not take, so nothing
 * is lost; `evidence`: the bundle of a ticket that takes no files (GitHub, PagerDuty), which the
 * comment names. Returns the bundle's path.
 */
export async function keepEvidence(
  evidence: TicketEvidence,
  env: Env,
  folder: "undelivered" | "evidence",
): Promise<string> {
  const state =
    setting(env, "DIAGBOT_STATE_DIR") ??
    join(setting(env, "XDG_STATE_HOME") ?? join(homedir(), ".local", "state"), "diagbot");
  let dir = join(state, folder);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  } catch {
    dir = await mkdtemp(join(tmpdir(), `diagbot-${folder}-`));
  }
  const path = join(dir, evidence.bundleName);
  await writeFile(path, evidence.bundle, { mode: 0o600 });
  await writeFile(path.replace(/\.tar\.gz$/, ".md"), evidence.markdown, { mode: 0o600 });
  return path;
}
