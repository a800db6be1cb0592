import { type ChildProcess, spawn } from "node:child_process";
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
 * `umask` (octal text such as "000") runs it under that umask, `fileSizeLimit` (blocks of 512
 * bytes, as `ulimit -f`) under that limit on the size of files it writes, both set by `sh`.
 */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
    umask?: string;
    fileSizeLimit?: number;
  } = {},
): Promise<CliResult> {
  const argv = [process.execPath, BIN, ...args];
  const limits = [
    ...(options.umask ? [`umask ${options.umask}`] : []),
    ...(options.fileSizeLimit !== undefined ? [`ulimit -f ${options.fileSizeLimit}`] : []),
  ];
  const [file, ...rest] =
    limits.length > 0
      ? ["/bin/sh", "-c", `${limits.join(" && ")} && exec "$@"`, "sh", ...argv]
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

/** A `diagbot` process in the background (`serve`, `worker`, one stopped mid-run), its output kept. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr matches `re`, with the match; rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /**
   * Sends `signal` (default SIGTERM), SIGKILL after 10 s; resolves with the exit code once
   * the output is read. A process already ended is not signalled.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real `diagbot` binary with `args` and extra environment, in the background. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  // "close": the process has exited and its output has all been read.
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(re, ms = 60_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(err);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`diagbot ${args[0]}: no ${re} on stderr (got: ${err.slice(-2000)})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}
