import type { DigestPoster, FindingMuter, FindingTicketer } from "../model/answer.js";
import { redactText } from "../redact/index.js";
import { computeChanges, type Digest, type Mute, type SweepState } from "./changes.js";
import type { SweepDefinition } from "./config.js";
import { keyDigest, renderDigest } from "./digest.js";
import type { RedisStateStore, SweepStateStore } from "./state.js";
import type { HostResult } from "./types.js";

/**
 * The end of one scheduled run: the hosts' results against the sweep's state, the digest posted
 * when something changed (or the heartbeat asks), then the new state saved. A post that fails
 * throws and saves nothing.
 * Idempotent per run: a run whose `startedAt` the state has already taken (the same run handed
 * to a second worker after a crash) is neither computed nor posted again.
 * With the sweep's `ticket` and a `ticketer`, tickets follow the state after the digest: see
 * {@link syncTickets}.
 * @returns the digest, or undefined when this run had already been taken; `posted` when a
 *   message went out; `ticketFailures`, what the ticket system did not take (tried next run).
 */
export async function finishRun(
  sweep: SweepDefinition,
  run: { startedAt: string; hosts: readonly HostResult[] },
  deps: { store: SweepStateStore; post: DigestPoster; ticketer?: FindingTicketer; now?: number },
): Promise<{ digest: Digest; posted?: { ts: string }; ticketFailures?: string[] } | undefined> {
  const previous = await deps.store.load(sweep.name);
  if (previous.lastRunAt !== undefined && previous.lastRunAt >= run.startedAt) return undefined;
  const now = deps.now ?? Date.now();
  const mutes = await deps.store.mutes(sweep.name, now);
  const { state, digest } = computeChanges(previous, run.hosts, {
    sweep: sweep.name,
    startedAt: run.startedAt,
    minConfidence: sweep.minConfidence,
    confirmRuns: sweep.confirmRuns,
    mutes,
    now,
  });
  const message = renderDigest(digest, {
    channel: sweep.channel,
    symptom: sweep.symptom,
    heartbeat: sweep.heartbeat,
  });
  // Posted before the state is saved: when the post fails, the state stays as it was and the
  // next run posts the same changes again, so Slack being down loses no change.
  const posted = message ? await deps.post(message) : undefined;
  const ticketFailures =
    sweep.ticket && deps.ticketer
      ? await syncTickets(sweep, previous, state, {
          ticketer: deps.ticketer,
          mutes,
          openedAt: run.startedAt,
        })
      : undefined;
  await deps.store.save(sweep.name, state);
  return { digest, ...(posted ? { posted } : {}), ...(ticketFailures ? { ticketFailures } : {}) };
}

/**
 * Brings the tickets in line with `state` (updated in place): a finding posted, reported this
 * run, at or above the ticket's `minConfidence` and not muted, with no open ticket, is opened;
 * an open ticket whose key has left the findings (resolved, or its host no longer swept) is
 * resolved, with the ticket its open returned (`ticketRefs`). Derived from the state, not the
 * digest, so a call the ticket system refused is tried again next run; an open key is never
 * opened again, whichever the system.
 * @returns what failed, one redacted line each.
 */
async function syncTickets(
  sweep: SweepDefinition,
  previous: SweepState,
  state: SweepState,
  at: { ticketer: FindingTicketer; mutes: readonly Mute[]; openedAt: string },
): Promise<string[]> {
  const open: Record<string, string> = { ...(previous.tickets ?? {}) };
  const refs: Record<string, string> = { ...(previous.ticketRefs ?? {}) };
  const failures: string[] = [];
  const muted = new Set(at.mutes.map((m) => m.key));
  const min = sweep.ticket?.minConfidence ?? 1;
  const attempt = async (
    key: string,
    call: () => Promise<string | undefined>,
    done: (ticket: string | undefined) => void,
  ) => {
    try {
      done(await call());
    } catch (err) {
      failures.push(redactText(`${key}: ${(err as Error).message}`).text);
    }
  };
  for (const key of Object.keys(open)) {
    if (state.findings[key]) continue;
    await attempt(
      key,
      () => at.ticketer({ action: "resolve", sweep: sweep.name, key, ticket: refs[key] }),
      () => {
        delete open[key];
        delete refs[key];
      },
    );
  }
  for (const [key, f] of Object.entries(state.findings)) {
    if (open[key] || !f.posted || f.seenRuns === 0 || f.confidence < min || muted.has(key))
      continue;
    const event = { action: "open" as const, sweep: sweep.name, key, ...f };
    await attempt(
      key,
      () => at.ticketer(event),
      (ticket) => {
        open[key] = at.openedAt;
        if (ticket !== undefined) refs[key] = ticket;
      },
    );
  }
  state.tickets = open;
  if (Object.keys(refs).length > 0) state.ticketRefs = refs;
  else delete state.ticketRefs;
  return failures;
}

/**
 * The digest's Mute menus over the Redis store: a key is found by its short digest among the
 * findings the sweep's state remembers.
 */
export function stateMuter(store: RedisStateStore): FindingMuter {
  return {
    async resolve(sweep, digest) {
      const state = await store.load(sweep, { readOnly: true });
      return Object.keys(state.findings).find((k) => keyDigest(k) === digest);
    },
    async mute(sweep, key, untilMs, by) {
      await store.mute(sweep, { key, until: untilMs, by });
    },
  };
}
