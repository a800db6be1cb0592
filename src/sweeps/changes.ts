import type { Category } from "../model/report.js";
import type { HostResult } from "./types.js";

/**
 * What changed between two runs of a sweep: a pure function from the state the last run left
 * and this run's results to the new state and the digest (DESIGN.md "Sweeps"; issue "Scheduled
 * sweeps that post only what changed"). Findings are matched by their key, `host/rule/subject`.
 *
 * - A finding is posted as **new** once it has been seen in `confirmRuns` consecutive runs
 *   (the flap guard), and counted as **still present** in every later run that sees it.
 * - A posted finding is **resolved** once its rule was evaluated and did not report it, on a
 *   host that answered, in `confirmRuns` consecutive runs. A host that did not answer
 *   (`unreachable` or `failed`), or answered without the output the rule reads
 *   (`not-evaluated`), proves nothing: its findings stay as they were.
 * - A host that stops answering is **unreachable**, posted once it has failed `confirmRuns`
 *   consecutive runs; it is posted as **answering again** when it answers after that.
 * - A finding whose key is muted (until a time) is neither posted new nor resolved; its state
 *   is still kept, so that it is neither "new" nor "resolved" by surprise when the mute ends.
 */

/** What the state remembers of one finding key. */
export interface FindingState {
  host: string;
  rule: string;
  category: Category;
  confidence: number;
  title: string;
  /** True once posted as new: then it can be resolved. */
  posted: boolean;
  /** Consecutive runs that reported it (0 while it is gone). */
  seenRuns: number;
  /** Consecutive runs that evaluated its rule and did not report it (0 while it is seen). */
  goneRuns: number;
  /** ISO 8601: the first run of the current streak that reported it. */
  since: string;
}

/** A host that did not answer. */
export interface UnreachableState {
  /** Consecutive runs the host did not answer. */
  runs: number;
  posted: boolean;
  /** ISO 8601: the first run of the streak. */
  since: string;
  /** Why, from the last run (redacted). */
  error: string;
}

/** The state of one sweep, kept between runs (Redis for scheduled sweeps, a file for the CLI). */
export interface SweepState {
  version: 1;
  /** Runs computed so far. */
  runs: number;
  /** ISO 8601 of the last run, absent before the first. */
  lastRunAt?: string;
  findings: Record<string, FindingState>;
  unreachable: Record<string, UnreachableState>;
  /**
   * Finding keys with an open ticket (the sweep's `ticket`), to the ISO 8601 time it was
   * opened: one ticket per key, resolved when the key leaves `findings`.
   */
  tickets?: Record<string, string>;
  /**
   * Set only on the empty state a store returns in place of one it could not read (never
   * saved): what was wrong and where the bad copy was kept. The run counts as the first, and
   * its digest says so.
   */
  unreadable?: string;
  /** The ticket each open key's open returned (`jira:OPS-12`), which its resolve notes. */
  ticketRefs?: Record<string, string>;
}

/** A mute of one finding key; `until` in ms since the epoch. */
export interface Mute {
  key: string;
  until: number;
  /** Who muted it (a Slack user id, or `cli`). */
  by: string;
}

/** A finding as the digest shows it. */
export interface DigestFinding {
  key: string;
  host: string;
  rule: string;
  category: Category;
  confidence: number;
  title: string;
  /** ISO 8601: for a new finding, when its streak began; for a resolved one, when it was first posted. */
  since: string;
}

/** What one run changed: what a digest shows. */
export interface Digest {
  sweep: string;
  startedAt: string;
  /** Hosts swept this run. */
  hosts: number;
  /** Posted for the first time this run, in host then key order. */
  new: DigestFinding[];
  /** Posted before and reported again this run. */
  stillPresent: number;
  /** Posted before, ruled out in `confirmRuns` runs in a row on a host that answered. */
  resolved: DigestFinding[];
  /** Hosts not answering, posted ones only: newly posted ones have `new: true`. */
  unreachable: { host: string; error: string; since: string; new: boolean }[];
  /** Hosts posted unreachable earlier that answered this run. */
  answeringAgain: string[];
  /** Changes held back by the flap guard (seen, or gone, in fewer than `confirmRuns` runs). */
  held: number;
  /** True for the first run of the sweep (no earlier state): its findings wait for `confirmRuns`. */
  firstRun: boolean;
  /** Findings reported this run whose key is muted. */
  muted: number;
  /**
   * The last state could not be read (see {@link SweepState.unreadable}): what was wrong and
   * where the bad copy is. This run counted as the first; every finding is shown as new.
   */
  stateUnreadable?: string;
  /**
   * Anything to post: a new, resolved, newly unreachable or answering-again entry, or a state
   * that could not be read.
   */
  changed: boolean;
}

export interface ChangeOptions {
  sweep: string;
  /** ISO 8601 start of this run. */
  startedAt: string;
  /** Findings below this confidence count as not reported. */
  minConfidence: number;
  /** The flap guard: runs a change must hold before it is posted (1 = at once). */
  confirmRuns: number;
  /** Mutes in force (expired ones are ignored). */
  mutes: readonly Mute[];
  /** ms since the epoch, to compare with mutes. */
  now: number;
}

/** The state before any run. */
export function emptyState(): SweepState {
  return { version: 1, runs: 0, findings: {}, unreachable: {} };
}

/** A host result of this run, as change computation reads it. */
type Observed = Pick<
  HostResult,
  "host" | "status" | "findings" | "error" | "hint" | "evaluatedRules"
>;

/** A digest of `hosts` hosts with nothing in it yet. */
export function emptyDigest(sweep: string, startedAt: string, hosts: number): Digest {
  return {
    sweep,
    startedAt,
    hosts,
    new: [],
    stillPresent: 0,
    resolved: [],
    unreachable: [],
    answeringAgain: [],
    held: 0,
    firstRun: false,
    muted: 0,
    changed: false,
  };
}

/**
 * Computes the new state and the digest. Pure: `previous` is not modified.
 * @param hosts every host of this run, whatever its status; a host of the previous state that
 *   is no longer swept (removed from the group) is forgotten without being resolved.
 */
export function computeChanges(
  previous: SweepState,
  hosts: readonly Observed[],
  options: ChangeOptions,
): { state: SweepState; digest: Digest } {
  const n = Math.max(1, options.confirmRuns);
  const muted = new Set(options.mutes.filter((m) => m.until > options.now).map((m) => m.key));
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  const findings: Record<string, FindingState> = {};
  const digest = emptyDigest(options.sweep, options.startedAt, hosts.length);
  const reported = new Set<string>();
  for (const h of hosts) {
    if (h.status !== "ok") continue;
    for (const f of h.findings) {
      if (f.confidence < options.minConfidence || reported.has(f.key)) continue;
      reported.add(f.key);
      const before = previous.findings[f.key];
      const seenRuns = (before?.seenRuns ?? 0) + 1;
      const next: FindingState = {
        host: h.host,
        rule: f.rule,
        category: f.category,
        confidence: f.confidence,
        title: f.title,
        posted: before?.posted ?? false,
        seenRuns,
        goneRuns: 0,
        since: before && before.seenRuns > 0 ? before.since : options.startedAt,
      };
      if (muted.has(f.key)) digest.muted++;
      else if (next.posted) digest.stillPresent++;
      else if (seenRuns >= n) {
        next.posted = true;
        digest.new.push(digestFinding(f.key, next));
      } else digest.held++;
      findings[f.key] = next;
    }
  }
  for (const [key, before] of Object.entries(previous.findings)) {
    if (reported.has(key)) continue;
    const host = byHost.get(before.host);
    if (!host) continue;
    const evaluated = host.status === "ok" && (host.evaluatedRules ?? []).includes(before.rule);
    if (!evaluated) {
      findings[key] = before;
      if (before.posted && !muted.has(key)) digest.stillPresent++;
      continue;
    }
    if (!before.posted) continue;
    const goneRuns = before.goneRuns + 1;
    if (muted.has(key)) {
      findings[key] = { ...before, seenRuns: 0, goneRuns };
    } else if (goneRuns >= n) {
      digest.resolved.push(digestFinding(key, before));
    } else {
      findings[key] = { ...before, seenRuns: 0, goneRuns };
      digest.held++;
    }
  }
  const unreachable = unreachableChanges(previous, hosts, options.startedAt, n, digest);
  const order = (a: DigestFinding, b: DigestFinding) =>
    a.host.localeCompare(b.host) || a.key.localeCompare(b.key);
  digest.new.sort(order);
  digest.resolved.sort(order);
  if (previous.unreadable !== undefined) digest.stateUnreadable = previous.unreadable;
  digest.firstRun = previous.runs === 0;
  digest.changed =
    previous.unreadable !== undefined ||
    digest.new.length > 0 ||
    digest.resolved.length > 0 ||
    digest.unreachable.some((u) => u.new) ||
    digest.answeringAgain.length > 0;
  return {
    state: {
      version: 1,
      runs: previous.runs + 1,
      lastRunAt: options.startedAt,
      findings,
      unreachable,
    },
    digest,
  };
}

/** The unreachable part: streaks of hosts not answering, posted after `n` runs. */
function unreachableChanges(
  previous: SweepState,
  hosts: readonly Observed[],
  startedAt: string,
  n: number,
  digest: Digest,
): Record<string, UnreachableState> {
  const out: Record<string, UnreachableState> = {};
  for (const h of [...hosts].sort((a, b) => a.host.localeCompare(b.host))) {
    const before = previous.unreachable[h.host];
    if (h.status === "ok") {
      if (before?.posted) digest.answeringAgain.push(h.host);
      continue;
    }
    const runs = (before?.runs ?? 0) + 1;
    const next: UnreachableState = {
      runs,
      posted: before?.posted ?? false,
      since: before?.since ?? startedAt,
      error: h.error === undefined ? h.status : h.error + (h.hint ? `; hint: ${h.hint}` : ""),
    };
    if (!next.posted && runs >= n) {
      next.posted = true;
      digest.unreachable.push({ host: h.host, error: next.error, since: next.since, new: true });
    } else if (next.posted) {
      digest.unreachable.push({ host: h.host, error: next.error, since: next.since, new: false });
    } else digest.held++;
    out[h.host] = next;
  }
  return out;
}

function digestFinding(key: string, f: FindingState): DigestFinding {
  return {
    key,
    host: f.host,
    rule: f.rule,
    category: f.category,
    confidence: f.confidence,
    title: f.title,
    since: f.since,
  };
}
