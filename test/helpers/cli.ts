import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/diagbot.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed stdout when it is JSON, else undefined. */
  json?: any;
}

/**
 * Runs the real `diagbot` binary (built dist/) with arguments and extra environment;
 * `umask` (octal text such as "000") runs it under that umask, set by `sh`.
 */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
    umask?: string;
  } = {},
): Promise<CliResult> {
  const argv = [process.execPath, BIN, ...args];
  const [file, ...rest] = options.umask
    ? ["/bin/sh", "-c", 'umask "$0" && exec "$@"', options.umask, ...argv]
    : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file, rest, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr: Buffer.concat(err).toString("utf8"), json });
    });
    child.stdin.end(options.input ?? "");
  });
}
