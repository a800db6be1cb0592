import type { BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { DiagbotError } from "../../model/errors.js";
import type { DiagnoseRequest } from "../../model/request.js";
import { admit, type ListenerContext } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";

/** What a button that starts a diagnosis knows when it is pressed. */
export interface ButtonPress {
  /** The audit and metrics kind: `re-run`, `deep-dive`, `sweep-diagnose`. */
  kind: string;
  user: string;
  channel: string;
  body: BlockAction<ButtonAction>;
  client: WebClient;
  respond: RespondFn;
}

/**
 * Starts a diagnosis from a button press, as `/diagnose` does: RBAC for the presser (hosts,
 * deep, the role's window cap), the queue's readiness, the presser's and channel's rate limits;
 * then an audit line and the run, answered in the message's thread.
 * @throws DiagbotError when a check refuses (the caller answers with {@link refuseButton})
 */
export async function startFromButton(
  ctx: ListenerContext,
  press: ButtonPress,
  request: DiagnoseRequest,
): Promise<void> {
  const { kind, user, channel, body } = press;
  const access = await admit(ctx, { user, channel }, request);
  ctx.audit(kind, {
    user,
    channel,
    host: request.host,
    symptom: request.symptom,
    window: request.windowSeconds,
    pid: request.pid,
    process: request.process,
    deep: request.deep,
    from: press.body.actions[0]?.value,
    roles: access.roles,
    decision: "allowed",
  });
  ctx.metrics.requests.inc({ kind, outcome: "queued" });
  const threadTs = body.message?.thread_ts ?? body.message?.ts;
  await ctx.starter.start(
    press.client,
    request,
    { user, channel, responseUrl: body.response_url, threadTs },
    press.respond,
  );
}

/** A refused button press: counted, audited, and said to the presser only. */
export async function refuseButton(
  ctx: ListenerContext,
  press: Pick<ButtonPress, "kind" | "user" | "respond"> & { channel?: string; from?: string },
  err: unknown,
): Promise<void> {
  const limited = err instanceof DiagbotError && err.code === "rate-limited";
  ctx.metrics.requests.inc({ kind: press.kind, outcome: limited ? "limited" : "rejected" });
  ctx.audit(press.kind, {
    user: press.user,
    channel: press.channel,
    from: press.from,
    decision: "refused",
    reason: reasonOf(err),
  });
  await press
    .respond({ ...ephemeral(`:warning: ${describe(err)}`), replace_original: false })
    .catch(() => undefined);
}
