import type { Outcome, Replier, ReplyTarget, StoredResult } from "../model/answer.js";
import type { DiagnoseRequest } from "../model/request.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { ResultStore } from "./store.js";

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
