import { setTimeout as sleep } from "node:timers/promises";
import { buildCommand, TIMEOUT_EXIT, wrapCommand } from "../collectors/command.js";
import type { Collector, CommandContext } from "../collectors/types.js";
import type { CollectedOutput } from "../model/collected.js";
import type { Progress } from "../model/progress.js";
import type { ExecResult, Transport } from "../transport/types.js";
import { batchScript, newNonce, splitBatch } from "./batch.js";

/**
 * Runs a plan of collectors on one host over one transport (DESIGN.md "Collectors"):
 * sampling and intrusive collectors start first and share one window; counters that only
 * grow are read at the start and the end of the window; cheap reads are batched into one
 * exec. A failing, missing or slow collector is recorded and the others go on.
 */

export interface CollectOptions {
  windowSeconds: number;
  pids: number[];
  /** Host setting: commands that need root run as `sudo -n /exact/path args`. */
  sudo: boolean;
  /**
   * Called as each collector finishes, and every second of the sampling window (its countdown
   * and the collectors still running).
   */
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** Extra wall-clock slack over the host-side bound before a channel is abandoned. */
const SLACK_MS = 3000;

export async function collect(
  transport: Transport,
  collectors: readonly Collector[],
  options: CollectOptions,
): Promise<CollectedOutput[]> {
  const ctx: CommandContext = {
    windowSeconds: options.windowSeconds,
    pids: options.pids,
    sudo: options.sudo,
    root: transport.root,
  };
  const results = new Map<string, CollectedOutput>();
  const windowStarted = Date.now();
  let windowOver = false;
  const report = () => {
    const left = Math.ceil((options.windowSeconds * 1000 - (Date.now() - windowStarted)) / 1000);
    const sampling = !windowOver && left > 0;
    // While sampling: the samplers (sampling and intrusive tools, windowed counters); after:
    // whatever has not finished.
    const running = collectors.filter(
      (c) => !results.has(c.id) && (!sampling || c.cost !== "cheap" || c.windowed),
    );
    options.onProgress?.({
      phase: sampling ? "sampling" : "collecting",
      done: results.size,
      total: collectors.length,
      running: running.map((c) => c.id),
      windowLeft: Math.max(0, left),
      windowSeconds: options.windowSeconds,
    });
  };
  const finish = (r: CollectedOutput) => {
    results.set(r.id, r);
    report();
  };
  // The window's countdown, once a second while it runs.
  const ticker = setInterval(report, 1000);
  ticker.unref?.();

  const single: { collector: Collector; command: string; seconds: number }[] = [];
  const batched: { collector: Collector; command: string; seconds: number }[] = [];
  const windowed: { collector: Collector; command: string; seconds: number }[] = [];
  for (const collector of collectors) {
    const built = buildCommand(collector, ctx);
    if (!built) {
      finish({
        id: collector.id,
        status: "skipped",
        durationMs: 0,
        error: collector.needsPid
          ? "needs a target process: give --pid N or --process NAME"
          : (collector.skipReason?.(ctx) ?? "cannot run in this context"),
      });
      continue;
    }
    const item = { collector, command: built.text, seconds: built.seconds };
    if (collector.cost !== "cheap" || built.sudo) single.push(item);
    else if (collector.windowed) windowed.push(item);
    else batched.push(item);
  }

  const runSingle = async (item: (typeof single)[number]) => {
    const result = await transport.exec(item.command, {
      timeoutMs: item.seconds * 1000 + SLACK_MS,
      capBytes: item.collector.capBytes,
      signal: options.signal,
    });
    finish(classify(item.collector, item.command, result));
  };

  const runBatch = async (items: typeof batched, capOf: (c: Collector) => number) => {
    if (items.length === 0) return new Map<string, { result: ExecResult; command: string }>();
    const nonce = newNonce();
    const script = batchScript(
      items.map((i) => ({ id: i.collector.id, command: i.command })),
      nonce,
    );
    const seconds = items.reduce((sum, i) => sum + i.seconds, 0);
    const started = Date.now();
    const whole = await transport.exec(script, {
      timeoutMs: seconds * 1000 + SLACK_MS,
      capBytes: items.reduce((sum, i) => sum + capOf(i.collector), 0) + 4096 * items.length,
      signal: options.signal,
    });
    const sections = splitBatch(whole.stdout, whole.stderr, nonce);
    const out = new Map<string, { result: ExecResult; command: string }>();
    for (const item of items) {
      const section = sections.get(item.collector.id);
      const cap = capOf(item.collector);
      const truncated = (section?.stdout.length ?? 0) > cap || (section?.stderr.length ?? 0) > cap;
      out.set(item.collector.id, {
        command: item.command,
        result: {
          stdout: (section?.stdout ?? Buffer.alloc(0)).subarray(0, cap),
          stderr: (section?.stderr ?? Buffer.alloc(0)).subarray(0, cap),
          exitCode: section?.exitCode ?? null,
          timedOut: whole.timedOut && section?.exitCode === undefined,
          truncated: truncated || (whole.truncated && section?.exitCode === undefined),
          durationMs: Date.now() - started,
        },
      });
    }
    return out;
  };

  const windowedRun = (async () => {
    const first = await runBatch(windowed, (c) => c.capBytes);
    const remaining = options.windowSeconds * 1000 - (Date.now() - windowStarted);
    if (remaining > 0) await sleep(remaining, undefined, { signal: options.signal });
    windowOver = true;
    const last = await runBatch(windowed, (c) => c.capBytes);
    for (const item of windowed) {
      const end = last.get(item.collector.id)!;
      const record = classify(item.collector, end.command, end.result);
      const start = first.get(item.collector.id)!.result;
      if (record.status === "ok" && start.exitCode === 0) {
        record.start = item.collector.stream === "stderr" ? start.stderr : start.stdout;
      }
      finish(record);
    }
  })();
  const batchRun = (async () => {
    for (const [id, { result, command }] of await runBatch(batched, (c) => c.capBytes)) {
      finish(classify(batched.find((b) => b.collector.id === id)!.collector, command, result));
    }
  })();

  try {
    await Promise.all([...single.map(runSingle), windowedRun, batchRun]);
  } finally {
    clearInterval(ticker);
  }
  await cleanUp(transport, [...single, ...batched, ...windowed], ctx, options.signal);
  return collectors.map((c) => results.get(c.id)!);
}

/** Longest a cleanup command may run on the host, seconds. */
const CLEANUP_SECONDS = 10;

/**
 * Runs the `cleanup` lines of the collectors that ran, each distinct line once; a failure
 * only leaves the leftovers to the next run's cleanup.
 */
async function cleanUp(
  transport: Transport,
  ran: readonly { collector: Collector }[],
  ctx: CommandContext,
  signal: AbortSignal | undefined,
): Promise<void> {
  const lines = new Set<string>();
  for (const { collector } of ran) {
    if (!collector.cleanup) continue;
    lines.add(
      wrapCommand(collector.cleanup, { seconds: CLEANUP_SECONDS, lowPriority: false, ctx }).text,
    );
  }
  for (const command of lines) {
    await transport
      .exec(command, { timeoutMs: CLEANUP_SECONDS * 1000 + SLACK_MS, capBytes: 4096, signal })
      .catch(() => undefined);
  }
}

/** Turns an exec result into a collector record with a status and a message that helps. */
export function classify(collector: Collector, command: string, r: ExecResult): CollectedOutput {
  const out = collector.stream === "stderr" ? r.stderr : r.stdout;
  const other = collector.stream === "stderr" ? r.stdout : r.stderr;
  const base: CollectedOutput = {
    id: collector.id,
    status: "ok",
    out,
    stderr: other,
    exitCode: r.exitCode ?? undefined,
    durationMs: r.durationMs,
    truncated: r.truncated || undefined,
    command,
    stream: collector.stream,
  };
  const errText = r.stderr.toString("utf8").trim();
  const lastErr = errText.split("\n").slice(-3).join(" / ").slice(0, 300);
  if (r.timedOut) {
    return { ...base, status: "timeout", error: `no answer within its limit; ${hintTimeout()}` };
  }
  if (r.exitCode === TIMEOUT_EXIT) {
    if (collector.untilStopped) return base;
    return { ...base, status: "timeout", error: `stopped by its time limit; ${hintTimeout()}` };
  }
  // 127: env(1), nice(1), ionice(1) and the shell found no such program; sudo says it in words.
  if (r.exitCode === 127 || /^sudo: .*: command not found$/m.test(errText)) {
    const pkg = collector.package ? ` (Debian/Ubuntu package ${collector.package})` : "";
    return { ...base, status: "missing", error: `not installed on the host${pkg}: ${lastErr}` };
  }
  if (
    /sudo: (a password is required|a terminal is required)|is not allowed to execute/.test(errText)
  ) {
    return {
      ...base,
      status: "failed",
      error: `sudo refused: ${lastErr}; install deploy/sudoers.d/diagbot on the host (visudo -c)`,
    };
  }
  if (r.exitCode !== 0 && out.length === 0 && collector.absent?.stderr.test(errText)) {
    return { ...base, status: "skipped", error: collector.absent.reason };
  }
  if (r.exitCode !== 0 && out.length === 0) {
    const denied = /Operation not permitted|Permission denied|must be root|EPERM|EACCES/.test(
      errText,
    );
    const hint = denied
      ? "; it needs root: connect as root, or set `sudo: true` for the host and install deploy/sudoers.d/diagbot"
      : "";
    return {
      ...base,
      status: "failed",
      error: `exit ${r.exitCode}: ${lastErr || "no output"}${hint}`,
    };
  }
  return base;
}

function hintTimeout(): string {
  return "the host may be overloaded or the tool hung (e.g. on a stuck mount); the other collectors went on";
}
