import type { Replier, StoredResult } from "../model/answer.js";
import { type NarrativeConfig, withNarrative, writeNarrative } from "../narrative/index.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { Delivered } from "./deliver.js";
import type { ResultStore } from "./store.js";

/**
 * The LLM narrative of answered diagnoses (README "Narrative"). It starts once the deterministic
 * answer is posted, and no job waits for it: the job's slots are free while the model writes.
 * A kept narrative is stored with the result (so late joiners, the delivery queue and thread
 * follow-ups see it) and handed to the replier for every answer just posted; a discarded one,
 * a timeout or an HTTP error leaves the answers as they are, with a warning in the log and the
 * note and tokens in the stored report. {@link drain} waits for those in flight (at most the
 * request timeout twice plus one `Retry-After`), so a worker stopped by SIGTERM finishes them.
 */
export class NarrativeRuns {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly config: NarrativeConfig | undefined,
    private readonly deps: {
      store: ResultStore;
      replier: Replier;
      metrics?: Metrics;
    },
  ) {}

  /** Writes the narrative of `result` and adds it to the answers `delivered`; off without a config. */
  start(result: StoredResult, delivered: Delivered[], log: Logger): void {
    if (!this.config) return;
    const run = this.run(this.config, result, delivered, log).catch((err) =>
      log.warn({ err: (err as Error).message }, "the narrative could not be stored or shown"),
    );
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async run(
    config: NarrativeConfig,
    result: StoredResult,
    delivered: Delivered[],
    log: Logger,
  ): Promise<void> {
    const { store, replier, metrics } = this.deps;
    const outcome = await writeNarrative(result.report, config, metrics);
    const stored = await store.saveResult({
      ...result,
      report: withNarrative(result.report, outcome),
    });
    const tokens = outcome.llm.tokens.total;
    if (!outcome.narrative) {
      log.warn({ note: outcome.note, tokens }, "no narrative: the answer stays as posted");
      return;
    }
    const requesters = [...new Set(delivered.map((d) => d.target.user))];
    let shown = 0;
    await Promise.all(
      delivered.map(async (d) => {
        if (!replier.addNarrative) return;
        try {
          await replier.addNarrative(d.target, stored, d.at, requesters);
          shown++;
        } catch (err) {
          log.warn(
            { err: (err as Error).message, channel: d.target.channel },
            "adding the narrative to the answer failed: the answer stays as posted",
          );
        }
      }),
    );
    log.info({ tokens, cites: outcome.narrative.cites, shown }, "narrative added");
  }

  /** Resolves once every narrative in flight is done. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
