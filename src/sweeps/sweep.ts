import pLimit from "p-limit";
import type { HostConfig } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import type { Symptom } from "../model/report.js";
import type { Runbook } from "../runbooks/schema.js";
import { sweepHost } from "./host.js";
import type { HostResult, SweepResult, SweepSummary } from "./types.js";

export interface SweepOptions {
  /** The target as given (`all`, a group, a host), printed as `sweep`. */
  target: string;
  /** Default `health` (everything cheap). */
  symptom?: Symptom;
  /** Sampling window, seconds (default 5, as `diagnose`). */
  windowSeconds?: number;
  runbooks: readonly Runbook[];
  /** Hosts diagnosed at once (default {@link DEFAULT_CONCURRENCY}). */
  concurrency?: number;
  /** TCP connect + SSH handshake + login, per host and hop, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** A host's whole turn, connect included, ms (default: window + {@link HOST_SLACK_MS}). */
  hostTimeoutMs?: number;
  /** Stops the sweep: running hosts are aborted, hosts not started are `failed`. */
  signal?: AbortSignal;
  /** Called when a host's turn starts (after waiting for a free slot). */
  onStart?: (host: string) => void;
  /** Called with each host's result as soon as it is known, in completion order. */
  onHost?: (result: HostResult) => void;
}

/**
 * Time a host's turn may take beyond the window: connect, the queue for session channels
 * (sshd MaxSessions), the cheap reads and parsing, on a busy host. Measured: a health
 * diagnosis took up to 70 s on a 2-core machine at load average 25.
 */
export const HOST_SLACK_MS = 150_000;

/** Hosts diagnosed at once by default. */
export const DEFAULT_CONCURRENCY = 50;
/** Largest `--concurrency`: each running host holds one SSH connection and its channels. */
export const MAX_CONCURRENCY = 1000;

/**
 * Sweeps hosts: each host diagnosed in-process ({@link sweepHost}), at most `concurrency` at
 * once (p-limit), each bounded by its own timeouts so that a slow or silent host holds one
 * place and never the sweep. A place is held by a host's connection and collection only: its
 * outputs are parsed and judged after the connection is closed, between the I/O events of the
 * hosts that took its place, so a busy client never keeps the next host waiting. Never throws
 * for a host: an unreachable or failed host is a result.
 * @returns the results in the hosts' order, with the summary (DESIGN.md "Sweeps").
 */
export async function sweep(
  hosts: readonly HostConfig[],
  options: SweepOptions,
): Promise<SweepResult> {
  const started = new Date();
  const windowSeconds = options.windowSeconds ?? 5;
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const run = {
    symptom: options.symptom ?? "health",
    windowSeconds,
    runbooks: options.runbooks,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    hostTimeoutMs: options.hostTimeoutMs ?? windowSeconds * 1000 + HOST_SLACK_MS,
    signal: options.signal,
  };
  const results = await Promise.all(
    hosts.map(async (host) => {
      // The connection holds a place; the outputs are judged once it is given back.
      const result = await sweepHost(host, run, (work) =>
        limit(() => {
          // A stop before this host's turn: the host is a failed result that says so.
          if (options.signal?.aborted)
            throw new DiagbotError("interrupted", "interrupted before its turn");
          options.onStart?.(host.name);
          return work();
        }),
      );
      options.onHost?.(result);
      return result;
    }),
  );
  return {
    sweep: options.target,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    hosts: results,
    summary: summarise(results),
  };
}

export function summarise(results: readonly HostResult[]): SweepSummary {
  const count = (s: HostResult["status"]) => results.filter((r) => r.status === s).length;
  return {
    hosts: results.length,
    ok: count("ok"),
    unreachable: count("unreachable"),
    failed: count("failed"),
    withFindings: results.filter((r) => r.status === "ok" && r.findings.length > 0).length,
  };
}

/**
 * The exit code of a sweep (DESIGN.md "CLI contract"): 0 when every host answered, 3 when
 * none did, 4 when some did not.
 */
export function sweepExitCode(summary: SweepSummary): 0 | 3 | 4 {
  if (summary.ok === summary.hosts) return 0;
  return summary.ok === 0 ? 3 : 4;
}
