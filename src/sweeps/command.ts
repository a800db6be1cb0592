import { formatWarning, hostsOf, loadInventory } from "../inventory/inventory.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import type { Symptom } from "../model/report.js";
import { parseSymptom, parseWindow } from "../model/request.js";
import { loadRunbooks } from "../runbooks/load.js";
import { computeChanges, type Digest } from "./changes.js";
import { MAX_CONFIRM_RUNS } from "./config.js";
import { stateUnreadableLine } from "./digest.js";
import { FileStateStore } from "./state.js";
import { MAX_CONCURRENCY, sweep, sweepExitCode } from "./sweep.js";
import { failureLines, renderChanges, renderSweepTable, sweepProgress } from "./terminal.js";
import type { SweepResult } from "./types.js";

export interface SweepCliOptions {
  symptom: string;
  concurrency: string;
  window: string;
  json: boolean;
  /** The flap guard of the changes shown with `DIAGBOT_STATE_DIR` (as `confirmRuns` in sweeps.yaml). */
  confirmRuns: string;
  /** Findings below are not counted in the changes (as `minConfidence` in sweeps.yaml). */
  minConfidence: string;
}

/**
 * `diagbot sweep <group|all>`: diagnoses every host of the target in-process (no Redis) and
 * prints a table, or the JSON of DESIGN.md "Sweeps". Exit 0 when every host answered, 4 when
 * some did not (named on stderr), 3 when none did; 2 for a bad target or option. With
 * `DIAGBOT_STATE_DIR` set, the state of the last run of the same target is read from
 * `<dir>/sweeps/<target>.json`, what changed is shown (a `changes` object in `--json`), and the
 * new state is written back, as a scheduled sweep keeps it in Redis.
 */
export async function runSweep(target: string, opts: SweepCliOptions): Promise<number> {
  const symptom: Symptom = parseSymptom(opts.symptom);
  const concurrency = parseConcurrency(opts.concurrency);
  const windowSeconds = parseWindow(opts.window);
  const confirmRuns = parseWhole("--confirm-runs", opts.confirmRuns, 1, MAX_CONFIRM_RUNS);
  const minConfidence = parseMinConfidence(opts.minConfidence);
  const inventory = await loadInventory();
  for (const w of inventory.warnings)
    process.stderr.write(`diagbot: inventory: ${formatWarning(w)}\n`);
  const hosts = hostsOf(inventory, target);
  if (hosts.length === 0) {
    throw new DiagbotError("config", `${target} has no hosts in ${inventory.file}`, {
      hint:
        target === "all"
          ? 'the inventory lists no host: add one (README, "Adding a host and diagnosing it over SSH"), or point DIAGBOT_INVENTORY at the file that lists them'
          : "add hosts to the group, or sweep another group or all",
    });
  }
  const stateDir = process.env.DIAGBOT_STATE_DIR;
  const store = stateDir ? await checkedStore(stateDir, target) : undefined;
  const runbooks = await loadRunbooks();
  const progress = sweepProgress(process.stderr, hosts.length);
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) =>
    interrupted.abort(
      new DiagbotError("interrupted", `interrupted by ${signal} before its result`),
    );
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: Awaited<ReturnType<typeof sweep>>;
  try {
    result = await sweep(hosts, {
      target,
      symptom,
      windowSeconds,
      runbooks,
      concurrency,
      signal: interrupted.signal,
      onStart: progress.start,
      onHost: progress.finish,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }
  // An interrupted run is no observation of the fleet: its stopped hosts would read as gone.
  const since =
    store && !interrupted.signal.aborted
      ? await changesSince(store, target, result, { confirmRuns, minConfidence })
      : undefined;
  const changes = since?.digest;
  const shown = {
    ...result,
    hosts: result.hosts.map(({ evaluatedRules: _, ...h }) => h),
    ...(changes ? { changes } : {}),
  };
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(shown, null, 2)}\n`
      : renderSweepTable(result) + (changes ? renderChanges(changes) : ""),
  );
  if (since?.unsaved !== undefined)
    process.stderr.write(
      `diagbot: warning: the sweep state was not saved (${since.unsaved}); the next run compares with the last state saved\n`,
    );
  process.stderr.write(failureLines(result.hosts));
  if (interrupted.signal.aborted) {
    if (store)
      process.stderr.write(
        "diagbot: interrupted: the sweep state was not saved; the next run compares with the last complete one\n",
      );
    return 130;
  }
  return sweepExitCode(result.summary);
}

/**
 * The store under `DIAGBOT_STATE_DIR`, checked before hosts are diagnosed.
 * @throws DiagbotError `config` naming the variable and what is wrong with the place (a path
 *   that starts with an unexpanded `~` included).
 */
async function checkedStore(dir: string, target: string): Promise<FileStateStore> {
  // An environment file (systemd EnvironmentFile=, docker --env-file, .env) has no shell to
  // expand `~`: taken as it is, it would make a folder named `~` in the working directory.
  if (dir.startsWith("~")) {
    throw new DiagbotError("config", `DIAGBOT_STATE_DIR=${dir}: "~" is not expanded here`, {
      hint: "give the folder as an absolute path, e.g. /root/.local/state/diagbot",
    });
  }
  const store = new FileStateStore(dir);
  const problem = await store.problem(target);
  if (problem !== undefined) {
    throw new DiagbotError("config", `DIAGBOT_STATE_DIR=${dir}: ${problem}`, {
      hint: "point DIAGBOT_STATE_DIR at a folder this user can write, or unset it to sweep without changes",
    });
  }
  return store;
}

/**
 * Reads the last state of `target`, computes what changed, writes the new state back. A state
 * that cannot be written does not lose the run: `unsaved` says why it was not.
 */
async function changesSince(
  store: FileStateStore,
  target: string,
  result: SweepResult,
  options: { confirmRuns: number; minConfidence: number },
): Promise<{ digest: Digest; unsaved?: string }> {
  const previous = await store.load(target);
  if (previous.unreadable !== undefined)
    process.stderr.write(`diagbot: warning: ${stateUnreadableLine(previous.unreadable)}\n`);
  const { state, digest } = computeChanges(previous, result.hosts, {
    sweep: target,
    startedAt: result.startedAt,
    ...options,
    mutes: await store.mutes(),
    now: Date.now(),
  });
  try {
    await store.save(target, state);
  } catch (err) {
    return { digest, unsaved: whyUnreadable(err) };
  }
  return { digest };
}

/** `--concurrency`: a whole number from 1 to {@link MAX_CONCURRENCY}. */
export function parseConcurrency(text: string): number {
  return parseWhole(
    "--concurrency",
    text,
    1,
    MAX_CONCURRENCY,
    "e.g. --concurrency 50: hosts diagnosed at once",
  );
}

/** A whole-number option from `min` to `max`. @throws DiagbotError `usage` naming the option. */
function parseWhole(option: string, text: string, min: number, max: number, hint?: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DiagbotError(
      "usage",
      `${option} must be a whole number from ${min} to ${max}, not "${text}"`,
      hint === undefined ? {} : { hint },
    );
  }
  return n;
}

/** `--min-confidence`: a number from 0 to 1. */
function parseMinConfidence(text: string): number {
  const n = /^(0(\.\d+)?|1(\.0+)?)$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (Number.isNaN(n)) {
    throw new DiagbotError("usage", `--min-confidence must be a number from 0 to 1, not "${text}"`);
  }
  return n;
}
