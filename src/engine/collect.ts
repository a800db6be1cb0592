import { setTimeout as sleep } from "node:timers/promises";
import { buildCommand, TIMEOUT_EXIT, wrapCommand } from "../collectors/command.js";
import type { Collector, CommandContext } from "../collectors/types.js";
import type { CollectedOutput } from "../model/collected.js";
import type { Progress } from "../model/progress.js";
import type { ExecResult, Transport } from "../transport/types.js";
import {
  type BatchSection,
  batchScript,
  newNonce,
  noFolderLine,
  splitBatch,
  splitWindow,
  startId,
  windowScript,
} from "./batch.js";

/**
 * Runs a plan of collectors on one host over one transport (DESIGN.md "Collectors"):
 * sampling and intrusive collectors start first and share one window; counters that only
 * grow are read at the start and the end of the window; every other collector runs side by
 * side with them, all in one exec (those that go through sudo: one exec each). A failing, missing or slow collector is recorded and the others go on.
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

  const viaSudo: Item[] = [];
  const windowed: Item[] = [];
  const together: Item[] = [];
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
    const item = {
      collector,
      command: built.text,
      inWindow: built.inWindow,
      seconds: built.seconds,
    };
    if (built.sudo) viaSudo.push(item);
    else if (collector.cost === "cheap" && collector.windowed) windowed.push(item);
    else together.push(item);
  }

  const run: Run = { transport, signal: options.signal, ctx, finish };
  try {
    await Promise.all([
      ...viaSudo.map((item) => runSingle(run, item)),
      runWindow(run, together, windowed, options.windowSeconds).then(async (done) => {
        if (done) return;
        // No folder for the outputs on the host: the same plan, one exec per sampler.
        await runWindowApart(run, together, windowed, windowStarted, options.windowSeconds, () => {
          windowOver = true;
        });
      }),
    ]);
  } finally {
    clearInterval(ticker);
  }
  await cleanUp(transport, [...viaSudo, ...together, ...windowed], ctx, options.signal);
  return collectors.map((c) => results.get(c.id)!);
}

/**
 * A collector's command as built for this run, and its host-side bound in seconds.
 * `inWindow` is what a window script runs (BuiltCommand.inWindow in collectors/command.ts);
 * `command`, the whole line, is what is recorded, there as everywhere.
 */
type Item = { collector: Collector; command: string; inWindow: string; seconds: number };

/** One stream of a section, cut at the collector's cap; true in `cut` when it was longer. */
function capped(data: Buffer | undefined, cap: number) {
  return {
    data: (data ?? Buffer.alloc(0)).subarray(0, cap),
    cut: (data?.length ?? 0) > cap,
  };
}

/**
 * A batch's sections as exec results, one per item by collector id (an item that never
 * started: empty); `sectionId` names an item's section in the script.
 */
function sectionsOf(
  items: readonly Item[],
  sections: ReadonlyMap<string, BatchSection>,
  whole: ExecResult,
  started: number,
  sectionId: (id: string) => string = (id) => id,
): Sections {
  const out: Sections = new Map();
  for (const item of items) {
    const section = sections.get(sectionId(item.collector.id));
    const stdout = capped(section?.stdout, item.collector.capBytes);
    const stderr = capped(section?.stderr, item.collector.capBytes);
    const ended = section?.exitCode !== undefined;
    out.set(item.collector.id, {
      command: item.command,
      result: {
        stdout: stdout.data,
        stderr: stderr.data,
        exitCode: section?.exitCode ?? null,
        timedOut: whole.timedOut && !ended,
        truncated: stdout.cut || stderr.cut || (whole.truncated && !ended),
        durationMs: Date.now() - started,
      },
    });
  }
  return out;
}

/** Bytes an exec of `items` may return: each stream of each at its cap + 1, and the frames. */
const capOfAll = (items: readonly Item[]) =>
  items.reduce((sum, i) => sum + i.collector.capBytes + 1, 0) * 2 + 4096 * items.length;

/** What a run of one collection shares: where to run, how to stop, where results go. */
interface Run {
  transport: Transport;
  signal?: AbortSignal;
  ctx: CommandContext;
  finish: (r: CollectedOutput) => void;
}

type Sections = Map<string, { result: ExecResult; command: string }>;

async function runSingle(run: Run, item: Item): Promise<void> {
  const result = await run.transport.exec(item.command, {
    timeoutMs: item.seconds * 1000 + SLACK_MS,
    capBytes: item.collector.capBytes,
    signal: run.signal,
  });
  run.finish(classify(item.collector, item.command, result));
}

/** Cheap reads one after the other in one exec. */
async function runBatch(run: Run, items: readonly Item[]): Promise<Sections> {
  if (items.length === 0) return new Map();
  const nonce = newNonce();
  const script = batchScript(
    items.map((i) => ({ id: i.collector.id, command: i.command })),
    nonce,
  );
  const seconds = items.reduce((sum, i) => sum + i.seconds, 0);
  const started = Date.now();
  const whole = await run.transport.exec(script, {
    timeoutMs: seconds * 1000 + SLACK_MS,
    capBytes: capOfAll(items),
    signal: run.signal,
  });
  return sectionsOf(items, splitBatch(whole.stdout, whole.stderr, nonce), whole, started);
}

/** Records each windowed collector from its end read, with its start read as `start`. */
function finishWindowed(run: Run, windowed: readonly Item[], first: Sections, last: Sections) {
  for (const item of windowed) {
    const end = last.get(item.collector.id)!;
    const record = classify(item.collector, end.command, end.result);
    const start = first.get(item.collector.id)!.result;
    if (record.status === "ok" && start.exitCode === 0) {
      record.start = item.collector.stream === "stderr" ? start.stderr : start.stdout;
    }
    run.finish(record);
  }
}

/** Records each collector of a set from its section. */
function finishAll(run: Run, items: readonly Item[], sections: Sections) {
  for (const item of items) {
    const { result, command } = sections.get(item.collector.id)!;
    run.finish(classify(item.collector, command, result));
  }
}

/**
 * The whole window in one exec ({@link windowScript}): the start reads, every other collector
 * side by side, the end reads. False, with nothing recorded, when the host gave the script
 * no folder for its outputs.
 */
async function runWindow(
  run: Run,
  together: readonly Item[],
  windowed: readonly Item[],
  windowSeconds: number,
): Promise<boolean> {
  if (together.length === 0 && windowed.length === 0) return true;
  const nonce = newNonce();
  const bound =
    Math.max(windowSeconds, ...together.map((i) => i.seconds)) +
    2 * windowed.reduce((sum, i) => sum + i.seconds, 0);
  const script = windowScript(
    together.map((i) => ({
      id: i.collector.id,
      command: i.inWindow,
      capBytes: i.collector.capBytes,
    })),
    {
      items: windowed.map((i) => ({
        id: i.collector.id,
        command: i.inWindow,
        capBytes: i.collector.capBytes,
      })),
      seconds: windowSeconds,
    },
    nonce,
  );
  const started = Date.now();
  const whole = await run.transport.exec(
    wrapCommand({ argv: [], script }, { seconds: bound + 1, lowPriority: false, ctx: run.ctx })
      .text,
    {
      timeoutMs: (bound + 1) * 1000 + SLACK_MS,
      capBytes: capOfAll([...together, ...windowed, ...windowed]),
      signal: run.signal,
    },
  );
  if (whole.stdout.includes(noFolderLine(nonce))) return false;
  const sections = splitWindow(whole.stdout, nonce);
  const first = sectionsOf(windowed, sections, whole, started, startId);
  finishWindowed(run, windowed, first, sectionsOf(windowed, sections, whole, started));
  finishAll(run, together, sectionsOf(together, sections, whole, started));
  return true;
}

/**
 * The same window in several execs, for a host with no folder for a script's outputs: the
 * start and end reads in one exec each, each sampler in its own, the cheap reads in one.
 */
async function runWindowApart(
  run: Run,
  together: readonly Item[],
  windowed: readonly Item[],
  windowStarted: number,
  windowSeconds: number,
  onWindowOver: () => void,
): Promise<void> {
  const windowedRun = (async () => {
    const first = await runBatch(run, windowed);
    const remaining = windowSeconds * 1000 - (Date.now() - windowStarted);
    if (remaining > 0) await sleep(remaining, undefined, { signal: run.signal });
    onWindowOver();
    finishWindowed(run, windowed, first, await runBatch(run, windowed));
  })();
  const cheap = together.filter((i) => i.collector.cost === "cheap");
  const batchRun = runBatch(run, cheap).then((sections) => finishAll(run, cheap, sections));
  const samplers = together.filter((i) => i.collector.cost !== "cheap");
  await Promise.all([...samplers.map((i) => runSingle(run, i)), windowedRun, batchRun]);
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
