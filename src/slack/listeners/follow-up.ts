import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { StoredResult } from "../../model/answer.js";
import { DiagbotError } from "../../model/errors.js";
import { answerFollowUp, DATA_BUTTONS, type FollowUpAnswer } from "../../narrative/index.js";
import { redactText } from "../../redact/index.js";
import { ACTIONS, type Block, clip, escapeMrkdwn, narrativeBlocks } from "../../render/blocks.js";
import { checkStored, type ListenerContext } from "../context.js";
import { describe, reasonOf } from "../messages.js";

/**
 * Follow-up questions in a diagnosis's thread: a message there that mentions the bot
 * (`app_mention`) is answered from that diagnosis's stored, redacted report alone
 * (narrative/followup.ts): nothing is run; a question that needs new data gets the Re-run or
 * Deep dive button. Only mentions are answered, not every message of the thread (Slack's
 * `message.channels` events would allow it, with the `channels:history` scope): people talk to
 * each other in incident threads, and the bot should speak when asked. Who may ask is who may
 * diagnose the host (RBAC); `DIAGBOT_FOLLOWUP_RATE` questions per person and window. The
 * thread's last follow-ups (queue/store.ts `FOLLOW_UP_TURNS`) are kept in Redis with the
 * result's TTL and given to the model as context.
 */
export function registerFollowUp(app: App, ctx: ListenerContext): void {
  app.event("app_mention", async ({ event, client }) => {
    const user = event.user;
    const threadTs = event.thread_ts;
    if (!user || !threadTs) {
      if (user)
        await tell(
          client,
          event.channel,
          user,
          undefined,
          "Mention me in the thread of a diagnosis to ask about it; `/diagnose help` starts one.",
        );
      return;
    }
    try {
      await answerInThread(ctx, client, {
        user,
        channel: event.channel,
        threadTs,
        text: event.text,
      });
    } catch (err) {
      const limited = err instanceof DiagbotError && err.code === "rate-limited";
      ctx.metrics.requests.inc({ kind: "follow-up", outcome: limited ? "limited" : "rejected" });
      ctx.audit("follow-up", {
        user,
        channel: event.channel,
        decision: "refused",
        reason: reasonOf(err),
      });
      await tell(client, event.channel, user, threadTs, `:warning: ${describe(err)}`);
    }
  });
}

/** An ephemeral message to `user` (in the thread when given); a failure is only logged by Bolt. */
async function tell(
  client: WebClient,
  channel: string,
  user: string,
  threadTs: string | undefined,
  text: string,
): Promise<void> {
  await client.chat
    .postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) })
    .catch(() => undefined);
}

/** The mention of the bot taken out of a message: `<@U123> why not the disk?` → the question. */
function questionOf(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Checks, asks the model, posts the answer in the thread and keeps the turn. */
async function answerInThread(
  ctx: ListenerContext,
  client: WebClient,
  m: { user: string; channel: string; threadTs: string; text: string },
): Promise<void> {
  const { store } = ctx.producer;
  if (!ctx.narrative)
    throw new DiagbotError("usage", "follow-up questions need the LLM, which is not set up", {
      hint: "an admin sets OPENAI_API_KEY and DIAGBOT_LLM_MODEL for `diagbot serve` (README, Narrative)",
    });
  const question = questionOf(m.text);
  if (!question)
    throw new DiagbotError("usage", "this mention asks nothing", {
      hint: "ask a question about the diagnosis, e.g. `@diagbot why not the CPU?`",
    });
  const id = await store.threadDiagnosis(m.channel, m.threadTs);
  const result = id ? await store.loadResult(id) : null;
  if (!id || !result)
    throw new DiagbotError("usage", "this thread holds no diagnosis, or it has expired", {
      hint: "run `/diagnose` again",
    });
  await checkStored(ctx, m, result.request);
  await ctx.followUpLimits.admit(m.user, m.channel);
  const earlier = await store.followUps(id, m.channel, m.threadTs);
  const out = await answerFollowUp(question, result.report, ctx.narrative, ctx.metrics, earlier);
  const message = followUpMessage(result, out);
  await client.chat.postMessage({
    channel: m.channel,
    thread_ts: m.threadTs,
    text: message.text,
    blocks: message.blocks as never,
    unfurl_links: false,
    unfurl_media: false,
  });
  await store.addFollowUp(id, m.channel, m.threadTs, {
    user: m.user,
    at: Date.now(),
    question: redactText(question).text,
    answer: message.text,
  });
  ctx.metrics.requests.inc({ kind: "follow-up", outcome: out.kind });
  ctx.audit("follow-up", {
    user: m.user,
    channel: m.channel,
    diagnosisId: id,
    host: result.request.host,
    decision: out.kind,
    tokens: out.llm.tokens.total,
  });
}

/**
 * The thread reply: the checked answer marked as a model's, with its cites; or the button that
 * would collect the data; or, with no checked answer, the rules' summary and why. Redacted and
 * escaped (the note may quote the model).
 */
function followUpMessage(
  result: StoredResult,
  out: FollowUpAnswer,
): { text: string; blocks: Block[] } {
  const checked = `checked against the evidence of \`${result.diagnosisId}\`; nothing was run`;
  if (out.kind === "answer") {
    return {
      text: out.narrative.text,
      blocks: narrativeBlocks(result.report, out.narrative, checked),
    };
  }
  const safe = (t: string) => escapeMrkdwn(redactText(t).text);
  if (out.kind === "needs-data") {
    const b = DATA_BUTTONS[out.button];
    return {
      text: out.text,
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: clip(
              `:robot_face: *Written by a model* (\`${escapeMrkdwn(out.llm.model)}\`), ${checked}.\n>${safe(out.text)}`,
              3000,
            ),
          },
        },
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: b.label },
              action_id: out.button === "rerun" ? ACTIONS.rerun : ACTIONS.deep,
              value: result.diagnosisId,
            },
          ],
        },
      ],
    };
  }
  const text = `${out.note}. The rules found: ${out.text}`;
  return {
    text,
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: clip(`:information_source: ${safe(text)}`, 3000) },
      },
    ],
  };
}
