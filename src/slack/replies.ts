import type { WebClient } from "@slack/web-api";
import type { PostedAnswer, Replier, ReplyTarget, StoredResult } from "../model/answer.js";
import type { Progress } from "../model/progress.js";
import type { DiagnoseRequest } from "../model/request.js";
import { redactText } from "../redact/index.js";
import {
  narrativeBlocks,
  type RenderedMessage,
  renderAnswer,
  renderFailure,
  rootText,
} from "../render/blocks.js";
import { slackError } from "./config.js";

/** Errors that mean "the bot cannot post here": answer through response_url instead. */
export const CANNOT_POST = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
]);

/** Slack errors (HTTP 200, `ok: false`) that mean "Slack is having trouble", not "never". */
const TRANSIENT_SLACK_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "ratelimited",
]);

/** A hint added to answers that had to go through response_url. */
export const INVITE_HINT =
  "invite the bot to this channel (`/invite @diagbot`) to get progress and answers in a thread";

/** Posts a message through a slash command's or an action's response_url. */
export async function postResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}

/** The worker's {@link Replier} for Slack: edits the root message, answers in the thread. */
export class SlackReplier implements Replier {
  constructor(private readonly client: WebClient) {}

  async progress(target: ReplyTarget, request: DiagnoseRequest, progress: Progress): Promise<void> {
    if (!target.ts) return;
    await this.client.chat.update({
      channel: target.channel,
      ts: target.ts,
      text: rootText(request, { phase: "running", progress }),
    });
  }

  async answer(
    target: ReplyTarget,
    result: StoredResult,
    requesters: string[],
  ): Promise<PostedAnswer | undefined> {
    const posted = await this.post(target, answerMessage(result, requesters));
    const top = result.report.hypotheses[0];
    const headline = top
      ? `${top.title} (${top.category}, ${Math.round(top.confidence * 100)} %)`
      : "no root cause found";
    await this.editRoot(target, rootText(result.request, { phase: "done", headline }));
    return posted;
  }

  /**
   * The narrative goes into the answer itself (`chat.update`, above the evidence) rather than a
   * second reply: the verdict and its explanation stay one message with one set of buttons, and
   * the thread's followers are not notified twice for the same diagnosis. An answer that went
   * through response_url cannot be edited: the narrative follows it there as its own message.
   */
  async addNarrative(
    target: ReplyTarget,
    result: StoredResult,
    posted: PostedAnswer | undefined,
    requesters: string[],
  ): Promise<void> {
    if (!result.report.narrative) return;
    if (posted) {
      const message = answerMessage(result, requesters);
      await this.client.chat.update({
        channel: posted.channel,
        ts: posted.ts,
        text: message.text,
        blocks: message.blocks as never,
      });
      return;
    }
    if (!target.responseUrl) return;
    await postResponseUrl(target.responseUrl, {
      response_type: "in_channel",
      replace_original: false,
      text: `Narrative of ${result.diagnosisId}, written by a model`,
      blocks: narrativeBlocks(result.report),
    });
  }

  async failure(
    target: ReplyTarget,
    request: DiagnoseRequest,
    error: string,
    diagnosisId: string,
  ): Promise<void> {
    // A failure's text can quote a host (an SSH error, a command's stderr): redacted like a report.
    const said = redactText(error).text;
    await this.post(target, renderFailure(request, said, diagnosisId));
    await this.editRoot(target, rootText(request, { phase: "failed", error: said }));
  }

  async note(target: ReplyTarget, text: string): Promise<void> {
    await this.post(target, {
      text,
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
      truncated: false,
    });
  }

  /**
   * Slack down or unreachable past the Web API client's retries (HTTP 5xx, connection refused,
   * timeouts, rate limited) or a response_url that did not answer: may work later. A Slack error
   * answered with HTTP 200 (`channel_not_found`, `is_archived`, `invalid_auth`...) will not,
   * except Slack's own `internal_error`, `fatal_error`, `service_unavailable`, `ratelimited`.
   */
  isTransient(err: unknown): boolean {
    const code = (err as { code?: string }).code;
    if (code === "slack_webapi_platform_error")
      return TRANSIENT_SLACK_ERRORS.has(slackError(err) ?? "");
    return true;
  }

  private async editRoot(target: ReplyTarget, text: string): Promise<void> {
    if (!target.ts) return;
    await this.client.chat
      .update({ channel: target.channel, ts: target.ts, text })
      .catch(() => undefined);
  }

  /** Posts in the thread, else through response_url; the message's place when in a thread. */
  private async post(
    target: ReplyTarget,
    message: RenderedMessage,
  ): Promise<PostedAnswer | undefined> {
    const threadTs = target.threadTs ?? target.ts;
    if (target.channel && threadTs) {
      try {
        const res = await this.client.chat.postMessage({
          channel: target.channel,
          thread_ts: threadTs,
          text: message.text,
          blocks: message.blocks as never,
          unfurl_links: false,
          unfurl_media: false,
        });
        return res.ts ? { channel: res.channel ?? target.channel, ts: res.ts } : undefined;
      } catch (err) {
        if (!target.responseUrl || !CANNOT_POST.has(slackError(err) ?? "")) throw err;
      }
    }
    if (!target.responseUrl) throw new Error("nowhere to answer: no thread and no response_url");
    await postResponseUrl(target.responseUrl, {
      response_type: "in_channel",
      replace_original: false,
      text: message.text,
      blocks: [
        ...message.blocks,
        {
          type: "context",
          elements: [{ type: "mrkdwn", text: `:information_source: ${INVITE_HINT}` }],
        },
      ].slice(0, 50),
    });
    return undefined;
  }
}

/** The answer's Block Kit message (with the narrative when the report carries one). */
function answerMessage(result: StoredResult, requesters: string[]): RenderedMessage {
  return renderAnswer(result.report, {
    diagnosisId: result.diagnosisId,
    redactions: result.redactions,
    bundle: result.bundle,
    pasted: result.request.evidence !== undefined,
    requestedBy: requesters,
  });
}
