import type { DigestPoster, FindingMuter } from "../model/answer.js";
import { computeChanges, type Digest } from "./changes.js";
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
 * @returns the digest, or undefined when this run had already been taken; `posted` when a
 *   message went out.
 */
export async function finishRun(
  sweep: SweepDefinition,
  run: { startedAt: string; hosts: readonly HostResult[] },
  deps: { store: SweepStateStore; post: DigestPoster; now?: number },
): Promise<{ digest: Digest; posted?: { ts: string } } | undefined> {
  const previous = await deps.store.load(sweep.name);
  if (previous.lastRunAt !== undefined && previous.lastRunAt >= run.startedAt) return undefined;
  const now = deps.now ?? Date.now();
  const { state, digest } = computeChanges(previous, run.hosts, {
    sweep: sweep.name,
    startedAt: run.startedAt,
    minConfidence: sweep.minConfidence,
    confirmRuns: sweep.confirmRuns,
    mutes: await deps.store.mutes(sweep.name, now),
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
  await deps.store.save(sweep.name, state);
  return posted ? { digest, posted } : { digest };
}

/**
 * The digest's Mute menus over the Redis store: a key is found by its short digest among the
 * findings the sweep's state remembers.
 */
export function stateMuter(store: RedisStateStore): FindingMuter {
  return {
    async resolve(sweep, digest) {
      const state = await store.load(sweep);
      return Object.keys(state.findings).find((k) => keyDigest(k) === digest);
    },
    async mute(sweep, key, untilMs, by) {
      await store.mute(sweep, { key, until: untilMs, by });
    },
  };
}
