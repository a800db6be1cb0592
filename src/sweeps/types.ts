import type { ErrorCode } from "../model/errors.js";
import type { Category } from "../model/report.js";

/**
 * The result shapes of a sweep, as `diagbot sweep --json` prints them (DESIGN.md "Sweeps").
 */

/** One finding of one host: a hypothesis cut to what a fleet view needs; text is redacted. */
export interface Finding {
  /** `host/rule/subject` (src/runbooks/subject.ts): stable across runs for the same cause. */
  key: string;
  rule: string;
  category: Category;
  /** 0..1, as the rule computed it. */
  confidence: number;
  title: string;
}

/**
 * `ok`: a report was produced from at least one collector's output (with or without
 * findings); `unreachable`: no connection (refused, timed out, name not resolved, login
 * refused); `failed`: the host's key could not be verified against known_hosts (`errorCode`
 * `host-key-refused`: no file, no pin, a changed or revoked key; a trust decision to make, not
 * a host that does not answer), or no collector gave output that could be used (`errorCode`
 * `no-collector-ran`: none ran, or each output was refused as binary or not the tool's format,
 * live or replayed: when `diagnose` exits 3), the diagnosis passed its time limit, or the
 * bundle of a replay host could not be read.
 */
export type HostStatus = "ok" | "unreachable" | "failed";

export interface HostResult {
  host: string;
  status: HostStatus;
  findings: Finding[];
  /** Wall-clock ms from the start of this host's turn to its result. */
  durationMs: number;
  /** What went wrong, for `unreachable` and `failed`: one line (redacted). */
  error?: string;
  /** What to do about it, when diagbot knows: one line (redacted). */
  hint?: string;
  /**
   * The stable code of what went wrong, when diagbot named it (src/model/errors.ts
   * `ERROR_CODES`: `host-key-refused`, `auth-failed`, `connect-timeout`, ...).
   */
  errorCode?: ErrorCode;
  /**
   * For `ok`: the rules this run evaluated (fired, or `fine`), so that a finding gone from a
   * host is "resolved" only when its rule was evaluated. Not part of `--json`.
   */
  evaluatedRules?: string[];
}

export interface SweepSummary {
  hosts: number;
  ok: number;
  unreachable: number;
  failed: number;
  /** Hosts with `ok` and at least one finding. */
  withFindings: number;
}

export interface SweepResult {
  /** The target swept: `all`, a group or a host name. */
  sweep: string;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** In the order of the inventory. */
  hosts: HostResult[];
  summary: SweepSummary;
}
