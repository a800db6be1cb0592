import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { ReplyTarget } from "../model/answer.js";
import type { DiagnoseRequest } from "../model/request.js";
import { type Auditor, requestAuditFields } from "../observability/audit.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import { deliver } from "../queue/deliver.js";
import type { DiagnosisProducer } from "../queue/producer.js";
import { rootText } from "../render/blocks.js";
import { slackError } from "./config.js";
import { describe, ephemeral } from "./messages.js";
import { CANNOT_POST, INVITE_HINT, SlackReplier } from "./replies.js";

/** Who asked, and where: `threadTs` is set when a button asked from inside a thread. */
export interface Asker {
  user: string;
  channel: string;
  responseUrl?: string;
  threadTs?: string;
  /** `SYSTEM:KEY` the evidence goes to once answered (canonical, see ReplyTarget.ticket). */
  ticket?: string;
}

/**
 * What happens after the acknowledgement of a request: the root message, the job, and the
 * answer if the run it joined is already over. A job that no worker takes (none running) ends
 * with a message instead of a silent thread.
 */
export class DiagnosisStarter {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly producer: DiagnosisProducer,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly audit: Auditor,
  ) {}

  async start(
    client: WebClient,
    request: DiagnoseRequest,
    who: Asker,
    respond: RespondFn | undefined,
  ): Promise<void> {
    const target = await this.postRoot(client, request, who, respond);
    if (!target) return;
    const { producer, log, metrics } = this;
    try {
      const submitted = await producer.submit(request, who.user, target);
      this.audit("queued", {
        user: who.user,
        channel: who.channel,
        ...requestAuditFields(request),
        decision: "queued",
        ticket: who.ticket,
        jobId: submitted.jobId,
        joined: submitted.joined,
      });
      metrics.requests.inc({ kind: "diagnose", outcome: "queued" });
      if (submitted.finished) {
        await deliver(producer.store, new SlackReplier(client), submitted.finished, [target], {
          request,
          log,
          metrics,
          deliveries: producer.deliveries,
          tickets: producer.tickets,
        });
      } else if (submitted.joined === 1) {
        this.watchUnclaimed(client, submitted.jobId);
      }
      if (submitted.queuedAhead > 0)
        await this.behindOwn(client, who, respond, submitted.queuedAhead);
    } catch (err) {
      await this.queueFailed(client, request, who, target, respond, err);
    }
  }

  /**
   * Tells a person whose own requests are still queued that this one waits behind them: other
   * people's requests go first, and at most DIAGBOT_USER_CONCURRENCY of theirs run at once.
   */
  private async behindOwn(
    client: WebClient,
    who: Asker,
    respond: RespondFn | undefined,
    queuedAhead: number,
  ): Promise<void> {
    const cap = this.producer.config.userConcurrency;
    const text = [
      `:hourglass_flowing_sand: queued behind ${queuedAhead} of your own request${queuedAhead === 1 ? "" : "s"}:`,
      "other people's requests go first",
      cap > 0
        ? `and at most ${cap} of yours run at once (DIAGBOT_USER_CONCURRENCY). It starts when one of yours ends.`
        : "It starts when a worker is free.",
    ].join(" ");
    await this.tell(client, who, respond, text);
  }

  /** An ephemeral message to the person who asked. */
  private async tell(
    client: WebClient,
    who: Asker,
    respond: RespondFn | undefined,
    text: string,
  ): Promise<void> {
    if (respond) await respond(ephemeral(text)).catch(() => undefined);
    else
      await client.chat
        .postEphemeral({ channel: who.channel, user: who.user, text })
        .catch(() => undefined);
  }

  /** Stops the unclaimed-job timers. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /**
   * The root message ("diagnosing host-42 (latency)…"), or through response_url when the bot
   * may not post in the channel. Undefined when neither worked (the person was told).
   */
  private async postRoot(
    client: WebClient,
    request: DiagnoseRequest,
    who: Asker,
    respond: RespondFn | undefined,
  ): Promise<ReplyTarget | undefined> {
    const target: ReplyTarget = {
      user: who.user,
      channel: who.channel,
      responseUrl: who.responseUrl,
      ...(who.ticket ? { ticket: who.ticket } : {}),
    };
    const queued = rootText(request, { phase: "queued" });
    try {
      const root = await client.chat.postMessage({
        channel: who.channel,
        text: queued,
        thread_ts: who.threadTs,
      });
      return { ...target, ts: root.ts, threadTs: who.threadTs ?? root.ts };
    } catch (err) {
      const code = slackError(err);
      if (!CANNOT_POST.has(code ?? "") || !respond) {
        this.log.error(
          { err: (err as Error).message, channel: who.channel },
          "cannot post the root message",
        );
        await respond?.(
          ephemeral(`:warning: cannot post in this channel (${code ?? (err as Error).message}).`),
        ).catch(() => undefined);
        return undefined;
      }
      await respond({
        response_type: "in_channel",
        text: `${queued}\n:information_source: ${INVITE_HINT}`,
      });
      return target;
    }
  }

  private async queueFailed(
    client: WebClient,
    request: DiagnoseRequest,
    who: Asker,
    target: ReplyTarget,
    respond: RespondFn | undefined,
    err: unknown,
  ): Promise<void> {
    this.metrics.requests.inc({ kind: "diagnose", outcome: "error" });
    this.audit("queue-error", {
      user: who.user,
      channel: who.channel,
      ...requestAuditFields(request),
      decision: "failed",
      reason: (err as Error).message,
    });
    const text = `:warning: ${describe(err)}`;
    if (target.ts)
      await client.chat
        .update({
          channel: who.channel,
          ts: target.ts,
          text: rootText(request, { phase: "failed", error: (err as Error).message }),
        })
        .catch(() => undefined);
    await this.tell(client, who, respond, text);
  }

  private watchUnclaimed(client: WebClient, jobId: string): void {
    const { producer, log, metrics } = this;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void (async () => {
        const ended = await producer.endIfUnclaimed(jobId);
        if (!ended) return;
        log.error(
          { jobId, diagnosisId: ended.outcome.diagnosisId },
          "no worker took the job: ended it",
        );
        this.audit("failed", {
          user: ended.targets[0]?.user,
          channel: ended.targets[0]?.channel,
          ...requestAuditFields(ended.request),
          diagnosisId: ended.outcome.diagnosisId,
          jobId,
          decision: "failed",
          reason: "no worker took the job",
        });
        await deliver(producer.store, new SlackReplier(client), ended.outcome, ended.targets, {
          request: ended.request,
          log,
          metrics,
          deliveries: producer.deliveries,
        });
      })().catch((err) =>
        log.warn({ jobId, err: (err as Error).message }, "checking an unclaimed job failed"),
      );
    }, producer.config.unclaimedMs);
    timer.unref();
    this.timers.add(timer);
  }
}
