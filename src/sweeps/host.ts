import {
  collectLive,
  diagnoseBundle,
  judgeLive,
  type LiveCollection,
  noCollectorRan,
  nothingRan,
} from "../engine/diagnose.js";
import type { HostConfig } from "../inventory/inventory.js";
import { replayBundle } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import type { Report, Symptom } from "../model/report.js";
import { oneLine } from "../parsers/text.js";
import { redactText } from "../redact/index.js";
import type { Runbook } from "../runbooks/schema.js";
import { findingKey, HOST_SUBJECT } from "../runbooks/subject.js";
import { openTransport } from "../transport/open.js";
import type { Transport } from "../transport/types.js";
import type { Finding, HostResult } from "./types.js";

/** What one host's turn needs; see {@link SweepOptions} for the meaning of each field. */
export interface HostRunOptions {
  symptom: Symptom;
  windowSeconds: number;
  runbooks: readonly Runbook[];
  connectTimeoutMs: number;
  hostTimeoutMs: number;
  signal?: AbortSignal;
}

/** Runs `work` when a place of the sweep's concurrency is free (p-limit's function). */
export type Slot = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Diagnoses one host of a sweep and never throws: every failure is a {@link HostResult}.
 * A replay host is diagnosed from its bundle; any other host over one transport (one SSH
 * connection: the engine batches the cheap reads into few execs), opened within
 * `connectTimeoutMs` (TCP + handshake + login) and closed whatever happens. The whole turn,
 * connect included, is bounded by `hostTimeoutMs`: the collectors are aborted and their
 * remote processes ended when it passes. Only the connection and the collection (or a replay)
 * run `inSlot`: the outputs are judged after the connection is closed and the place freed, so
 * the next host is collected while this one is parsed.
 */
export async function sweepHost(
  host: HostConfig,
  options: HostRunOptions,
  inSlot: Slot = (work) => work(),
): Promise<HostResult> {
  let turn: Turn | undefined;
  try {
    const collected = await inSlot(() => {
      // The clock and the deadline start with the host's turn, not while it waits for a place.
      turn = startTurn(host, options);
      return collectTurn(host, options, turn);
    });
    if ("status" in collected) return collected;
    // Judged with the connection closed and the place free for the next host.
    const { report } = await judgeLive(collected, liveOptions(host, options, turn!.signal));
    return turn!.answered(report);
  } catch (err) {
    turn ??= startTurn(host, options);
    return turn.result("failed", [], reasonOf(err, turn.signal, options.hostTimeoutMs), err);
  }
}

/** One host's turn: its clock, its deadline, and how its result is written. */
interface Turn {
  deadline: AbortSignal;
  /** The deadline or the sweep's own stop, whichever comes first. */
  signal: AbortSignal;
  result(
    status: HostResult["status"],
    findings: Finding[],
    reason?: Reason,
    err?: unknown,
  ): HostResult;
  /** Judged as `diagnose` judges (it exits 3): no usable output is `failed`, else `ok`. */
  answered(report: Report): HostResult;
}

function startTurn(host: HostConfig, options: HostRunOptions): Turn {
  const started = Date.now();
  const deadline = AbortSignal.timeout(options.hostTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const result: Turn["result"] = (status, findings, reason, err) => ({
    host: host.name,
    status,
    findings,
    durationMs: Date.now() - started,
    ...(reason === undefined ? {} : { error: redactText(reason.error).text }),
    ...(reason?.hint === undefined ? {} : { hint: redactText(reason.hint).text }),
    ...(err instanceof DiagbotError ? { errorCode: err.code } : {}),
  });
  const answered = (report: Report): HostResult => {
    if (nothingRan(report)) {
      const err = noCollectorRan(host.name, report, { replay: host.transport === "replay" });
      return result("failed", [], reasonOf(err, signal, options.hostTimeoutMs), err);
    }
    return {
      ...result("ok", findingsOf(report, host.name)),
      evaluatedRules: evaluatedRules(report),
    };
  };
  return { deadline, signal, result, answered };
}

/** The engine's options for a sweep's live host. */
function liveOptions(host: HostConfig, options: HostRunOptions, signal: AbortSignal) {
  return {
    host: host.name,
    symptom: options.symptom,
    windowSeconds: options.windowSeconds,
    deep: false,
    runbooks: options.runbooks,
    signal,
  };
}

/**
 * The part of a turn that holds a place: a replay host's whole diagnosis, or a live host's
 * connection and collection (the connection closed whatever happens). Returns a result when
 * the turn is over (replayed, unreachable, past its deadline), else the outputs to judge.
 */
async function collectTurn(
  host: HostConfig,
  options: HostRunOptions,
  turn: Turn,
): Promise<HostResult | LiveCollection> {
  if (host.transport === "replay") {
    const dir = await replayBundle(host);
    const { report } = await diagnoseBundle(dir, host.name, options.symptom, options.runbooks, {
      host: host.name,
    });
    return turn.answered(report);
  }
  let transport: Transport;
  try {
    transport = await openTransport(host, {
      readyTimeoutMs: options.connectTimeoutMs,
      signal: turn.signal,
    });
  } catch (err) {
    return turn.result(
      statusOfUnopened(err),
      [],
      reasonOf(err, turn.signal, options.hostTimeoutMs),
      err,
    );
  }
  try {
    const live = liveOptions(host, options, turn.signal);
    const collected = await collectLive(transport, host.sudo, live);
    if (turn.deadline.aborted)
      return turn.result("failed", [], timeoutReason(options.hostTimeoutMs));
    return collected;
  } finally {
    await transport.close().catch(() => undefined);
  }
}

/**
 * The status of a host whose connection could not be opened: `failed` when its host key could
 * not be verified (`host-key-refused`: no known_hosts file, no pin for it, a changed or revoked
 * key), since the host may well answer: the decision to trust its key is to be made here; and
 * when the inventory gives no way to log in (`config`: no key file and no agent, an unreadable
 * or encrypted key), which is this side's to fix before any connection is tried (`diagnose`
 * exits 2 for it); and when the sweep was stopped while it connected (`interrupted`), which
 * says nothing of the host; `unreachable` otherwise (refused, timed out, not resolved, login
 * refused).
 */
function statusOfUnopened(err: unknown): HostResult["status"] {
  const ours =
    err instanceof DiagbotError && ["host-key-refused", "config", "interrupted"].includes(err.code);
  return ours ? "failed" : "unreachable";
}

/**
 * The findings of a report: every hypothesis, in rank order, with its text redacted. Keys are
 * re-rooted on the inventory name: a replayed bundle's report carries the host its
 * bundle.json names.
 */
export function findingsOf(report: Report, host: string): Finding[] {
  return report.hypotheses.map((h) => {
    const prefix = `${report.host}/${h.rule}/`;
    const subject = h.key?.startsWith(prefix) ? h.key.slice(prefix.length) : HOST_SUBJECT;
    return {
      key: redactText(findingKey(host, h.rule, subject)).text,
      rule: h.rule,
      category: h.category,
      confidence: h.confidence,
      title: redactText(h.title).text,
    };
  });
}

/** The rules a report evaluated: those that fired and those checked `fine`, sorted. */
export function evaluatedRules(report: Report): string[] {
  const rules = new Set(report.hypotheses.map((h) => h.rule));
  for (const c of report.checked) if (c.verdict === "fine") rules.add(c.rule);
  return [...rules].sort();
}

/** Why a host gave no result: `error` one line, `hint` what to do when diagbot knows it. */
interface Reason {
  error: string;
  hint?: string;
}

function timeoutReason(ms: number): Reason {
  return {
    error: `no result within the per-host limit of ${Math.round(ms / 1000)} s; raise it or look at the host`,
  };
}

/**
 * Why a host gave no result: the sweep's own stop (its signal's `interrupted` reason) or the
 * per-host limit when either ended the turn, else what was thrown.
 */
function reasonOf(err: unknown, signal: AbortSignal, hostTimeoutMs: number): Reason {
  if (signal.aborted && signal.reason instanceof DiagbotError)
    return { error: oneLine(signal.reason.message) };
  if (
    signal.aborted &&
    signal.reason instanceof DOMException &&
    signal.reason.name === "TimeoutError"
  )
    return timeoutReason(hostTimeoutMs);
  if (err instanceof DiagbotError)
    return { error: oneLine(err.message), ...(err.hint ? { hint: oneLine(err.hint) } : {}) };
  return { error: oneLine(err instanceof Error ? err.message : String(err)) };
}
