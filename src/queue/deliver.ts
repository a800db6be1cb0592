import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { ResultStore } from "./store.js";
import type { DiagnoseRequest, Outcome, ReplyTarget, StoredResult } from "./types.js";

/**
 * Where answers go. The Slack implementation is `src/slack/replies.ts`; tests and other
 * front ends can give their own. Every method may throw: the caller logs and goes on.
 */
export interface Replier {
  /** Edits the root message with progress ("12/26 collectors done"). */
  progress(
    target: ReplyTarget,
    request: DiagnoseRequest,
    done: number,
    total: number,
  ): Promise<void>;
  /** Posts the answer in the thread (or through response_url) and edits the root message. */
  answer(target: ReplyTarget, result: StoredResult, requesters: string[]): Promise<void>;
  /** Posts that the diagnosis failed, and why. */
  failure(
    target: ReplyTarget,
    request: DiagnoseRequest,
    error: string,
    diagnosisId: string,
  ): Promise<void>;
}

/**
 * Sends an outcome to each target exactly once per diagnosis and thread: the `SET NX` guard
 * is taken before posting and released when the post fails, so another process (a retried
 * job, a late joiner) can still answer.
 * @returns how many answers this call posted.
 */
export async function deliver(
  store: ResultStore,
  replier: Replier,
  outcome: Outcome,
  targets: ReplyTarget[],
  context: { request?: DiagnoseRequest; result?: StoredResult; log: Logger; metrics?: Metrics },
): Promise<number> {
  let result = context.result;
  if (outcome.ok && !result) result = (await store.loadResult(outcome.diagnosisId)) ?? undefined;
  const request = context.request ?? result?.request;
  const requesters = [...new Set(targets.map((t) => t.user))];
  let posted = 0;
  await Promise.all(
    targets.map(async (target) => {
      if (!(await store.claimPost(outcome.diagnosisId, target))) {
        context.metrics?.answers.inc({ outcome: "duplicate" });
        return;
      }
      try {
        if (outcome.ok && result) await replier.answer(target, result, requesters);
        else if (request) {
          const error = outcome.ok
            ? "the result has expired from the store; run the diagnosis again"
            : outcome.error;
          await replier.failure(target, request, error, outcome.diagnosisId);
        }
        posted++;
        context.metrics?.answers.inc({ outcome: "posted" });
      } catch (err) {
        await store.releasePost(outcome.diagnosisId, target).catch(() => undefined);
        context.log.error(
          { err, diagnosisId: outcome.diagnosisId, channel: target.channel },
          "posting the answer failed",
        );
      }
    }),
  );
  return posted;
}
