import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import pLimit, { type LimitFunction } from "p-limit";
import type { HostConfig } from "../inventory/inventory.js";
import { abortReason, CappedBuffer, checkExecOptions, execResult } from "./capture.js";
import type { ExecOptions, ExecResult, Transport } from "./types.js";

/** Time given to the pipes to close after the process group was killed, ms. */
const DRAIN_GRACE_MS = 1000;
/**
 * Time an aborted command gets to end by its own `timeout`s before its session is killed, ms:
 * their `-k 2` grace, as the SSH watchdog gives (watchdog.ts), plus the traps' own work.
 */
const STOP_GRACE_MS = 2500;
const DEFAULT_MAX_SESSIONS = 8;

/**
 * Runs commands on this machine: each command line under `/bin/sh -c` in its own process
 * session (`detached: true`), so the whole group can be ended with one SIGKILL to `-pgid`.
 * The group is killed when the timeout passes, when the shell exits (so that nothing a
 * collector started in the background outlives it), and when the signal aborts, after a
 * graceful stop: as the SSH watchdog does, every `timeout` of the session gets SIGALRM, its
 * own deadline, so each tool is stopped as at the end of its cap and a window script's trap
 * removes its folder of outputs (host-tmp.ts) instead of leaving it for the next run.
 */
export class LocalTransport implements Transport {
  readonly host: string;
  /** `process.getuid() === 0`. */
  readonly root: boolean;
  readonly maxSessions: number;
  private readonly limit: LimitFunction;
  private readonly running = new Set<number>();
  private closed = false;

  /**
   * @param host a host with `transport: local` (or `localHost()`); only `name` and
   *   `maxSessions` are used. Default: name `local`, 8 sessions.
   */
  constructor(host?: Pick<HostConfig, "name" | "maxSessions">) {
    this.host = host?.name ?? "local";
    this.maxSessions = host?.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.root = typeof process.getuid === "function" && process.getuid() === 0;
    this.limit = pLimit(this.maxSessions);
  }

  /**
   * Runs `/bin/sh -c command` with at most `maxSessions` at once (the wait for a slot does not
   * count against `timeoutMs`).
   * @returns output capped at `capBytes` per stream; on timeout the process group has been
   *   sent SIGKILL, `timedOut` is set and `exitCode` is null.
   * @throws the signal's reason (an AbortError) when `options.signal` aborts; the group is
   *   killed first. Error when the transport is closed or the shell cannot be spawned.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    checkExecOptions(options);
    if (this.closed) return Promise.reject(new Error(`transport to ${this.host} is closed`));
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    return this.limit(() => this.run(command, options));
  }

  private run(command: string, options: ExecOptions): Promise<ExecResult> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new Error(`transport to ${this.host} is closed`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", command], {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const pid = child.pid;
      const stdout = new CappedBuffer(options.capBytes);
      const stderr = new CappedBuffer(options.capBytes);
      let timedOut = false;
      let aborted = false;
      let exitCode: number | null = null;
      let exited = false;
      let settled = false;
      let drainTimer: NodeJS.Timeout | undefined;
      let stopTimer: NodeJS.Timeout | undefined;

      const killGroup = () => {
        if (pid !== undefined) killSession(pid);
      };
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(drainTimer);
        clearTimeout(stopTimer);
        signal?.removeEventListener("abort", onAbort);
        if (pid !== undefined) this.running.delete(pid);
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (aborted && signal) {
          reject(abortReason(signal));
          return;
        }
        resolve(execResult(stdout, stderr, exitCode, timedOut, started));
      };
      // After the group is killed the pipes close at once, unless a process left the group
      // (setsid) while holding them: do not wait for it forever.
      const drainSoon = () => {
        if (drainTimer === undefined) drainTimer = setTimeout(finish, DRAIN_GRACE_MS);
      };
      const onAbort = () => {
        aborted = true;
        const stop = () => {
          killGroup();
          drainSoon();
        };
        // With no `timeout` to end it gracefully, the session is killed at once.
        if (pid !== undefined && alarmTimeouts(pid) > 0)
          stopTimer = setTimeout(stop, STOP_GRACE_MS);
        else stop();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
        drainSoon();
      }, options.timeoutMs);

      if (pid !== undefined) this.running.add(pid);
      signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout?.on("data", (c: Buffer) => stdout.push(c));
      child.stderr?.on("data", (c: Buffer) => stderr.push(c));
      child.on("error", (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      });
      child.on("exit", (code) => {
        exited = true;
        exitCode = code;
        // The shell is gone: end whatever it left behind in its group.
        killGroup();
        drainSoon();
      });
      child.on("close", () => {
        if (exited || timedOut || aborted) finish();
      });
    });
  }

  /** Kills the process groups of commands still running; later `exec` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pid of this.running) killSession(pid);
  }
}

/** A process of a session, as /proc/PID/stat gives it. */
interface Member {
  pid: number;
  pgid: number;
  comm: string;
}

/**
 * The processes of the session led by `sid` (field 6 of /proc/PID/stat, proc(5)); none when
 * /proc cannot be read.
 */
function sessionMembers(sid: number): Member[] {
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const members: Member[] = [];
  for (const name of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // comm may hold blanks and parentheses: the fields after it start at the last ")".
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(after[3]) !== sid) continue;
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    members.push({ pid: Number(name), pgid: Number(after[2]), comm });
  }
  return members;
}

/** Sends `signal` to `pid` (a process group when negative); one already gone is no error. */
function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Sends SIGALRM to every coreutils `timeout` of the session led by `sid`: `timeout` takes it
 * as its deadline and sends its tool the prefix's signal at once, then SIGKILL after `-k`.
 * @returns how many were sent.
 */
function alarmTimeouts(sid: number): number {
  const timeouts = sessionMembers(sid).filter((m) => m.comm === "timeout");
  for (const m of timeouts) send(m.pid, "SIGALRM");
  return timeouts.length;
}

/**
 * Kills every process of the session led by `sid` (the shell spawned with `detached: true`).
 * Killing the process group is not enough: `timeout(1)` moves itself and the collector into
 * a process group of their own, but they stay in the session.
 */
export function killSession(sid: number): void {
  send(-sid, "SIGKILL");
  for (const m of sessionMembers(sid)) {
    send(-m.pgid, "SIGKILL");
    send(m.pid, "SIGKILL");
  }
}
