import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import type { DiagnoseRequest } from "../../model/request.js";
import { DIAGNOSIS_ID } from "../../queue/types.js";
import { ACTIONS } from "../../render/blocks.js";
import { accessOf, checkHost, type ListenerContext, queueUnavailable } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";

/**
 * The answer's Re-run button: the stored request again, answered in the same thread. The Deep
 * dive button (deep-dive.ts) is the same with intrusive collectors added.
 */
export function registerRerun(app: App, ctx: ListenerContext): void {
  registerAgain(app, ctx, false);
}

/** Re-run (`deep` false) or Deep dive (`deep` true): acknowledges first, then checks and queues. */
export function registerAgain(app: App, ctx: ListenerContext, deep: boolean): void {
  const { producer, metrics } = ctx;
  app.action<BlockAction<ButtonAction>>(
    deep ? ACTIONS.deep : ACTIONS.rerun,
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const kind = deep ? "deep-dive" : "re-run";
      if (!channel || !DIAGNOSIS_ID.test(action.value ?? "")) {
        await respond(ephemeral(":warning: this button does not name a diagnosis.")).catch(
          () => undefined,
        );
        return;
      }
      try {
        const result = await producer.store.loadResult(action.value!);
        if (!result)
          throw new DiagbotError("usage", "this diagnosis has expired from the store", {
            hint: "run `/diagnose` again",
          });
        const request: DiagnoseRequest = { ...result.request, deep: deep || result.request.deep };
        const access = accessOf(ctx, user, channel);
        checkHost(
          ctx.rbac,
          await ctx.inventory(),
          request.host,
          access,
          request.deep,
          request.windowSeconds,
        );
        if (!producer.ready) throw queueUnavailable("try again in a minute");
        await producer.limits.admit(user, channel);
        ctx.audit(kind, {
          user,
          channel,
          host: request.host,
          symptom: request.symptom,
          window: request.windowSeconds,
          pid: request.pid,
          process: request.process,
          deep: request.deep,
          from: action.value,
          roles: access.roles,
          decision: "allowed",
        });
        metrics.requests.inc({ kind, outcome: "queued" });
        const threadTs = body.message?.thread_ts ?? body.message?.ts;
        await ctx.starter.start(
          client,
          request,
          { user, channel, responseUrl: body.response_url, threadTs },
          respond,
        );
      } catch (err) {
        const limited = err instanceof DiagbotError && err.code === "rate-limited";
        metrics.requests.inc({ kind, outcome: limited ? "limited" : "rejected" });
        ctx.audit(kind, {
          user,
          channel,
          from: action.value,
          decision: "refused",
          reason: reasonOf(err),
        });
        await respond({
          ...ephemeral(`:warning: ${describe(err)}`),
          replace_original: false,
        }).catch(() => undefined);
      }
    },
  );
}
