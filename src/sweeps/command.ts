import { formatWarning, hostsOf, loadInventory } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import type { Symptom } from "../model/report.js";
import { parseSymptom, parseWindow } from "../model/request.js";
import { loadRunbooks } from "../runbooks/load.js";
import { MAX_CONCURRENCY, sweep, sweepExitCode } from "./sweep.js";
import { renderSweepTable, sweepProgress } from "./terminal.js";

export interface SweepCliOptions {
  symptom: string;
  concurrency: string;
  window: string;
  json: boolean;
}

/**
 * `diagbot sweep <group|all>`: diagnoses every host of the target in-process (no Redis) and
 * prints a table, or the JSON of DESIGN.md "Sweeps". Exit 0 when every host answered, 4 when
 * some did not (named on stderr), 3 when none did; 2 for a bad target or option.
 */
export async function runSweep(target: string, opts: SweepCliOptions): Promise<number> {
  const symptom: Symptom = parseSymptom(opts.symptom);
  const concurrency = parseConcurrency(opts.concurrency);
  const windowSeconds = parseWindow(opts.window);
  const inventory = await loadInventory();
  for (const w of inventory.warnings)
    process.stderr.write(`diagbot: inventory: ${formatWarning(w)}\n`);
  const hosts = hostsOf(inventory, target);
  if (hosts.length === 0) {
    throw new DiagbotError("config", `${target} has no hosts in ${inventory.file}`, {
      hint: "add hosts to the group, or sweep another group or all",
    });
  }
  const runbooks = await loadRunbooks();
  const progress = sweepProgress(process.stderr, hosts.length);
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
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
  process.stdout.write(
    opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderSweepTable(result),
  );
  for (const h of result.hosts.filter((r) => r.status !== "ok"))
    process.stderr.write(`diagbot: ${h.host}: ${h.status}: ${h.error ?? ""}\n`);
  if (interrupted.signal.aborted) return 130;
  return sweepExitCode(result.summary);
}

/** `--concurrency`: a whole number from 1 to {@link MAX_CONCURRENCY}. */
export function parseConcurrency(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new DiagbotError(
      "usage",
      `--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not "${text}"`,
      {
        hint: "e.g. --concurrency 50: hosts diagnosed at once",
      },
    );
  }
  return n;
}
