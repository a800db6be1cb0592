import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import type { DiagnoseRequest } from "../../model/request.js";
import { DIAGNOSIS_ID } from "../../queue/types.js";
import { ACTIONS } from "../../render/blocks.js";
import type { ListenerContext } from "../context.js";
import { ephemeral } from "../messages.js";
import { refuseButton, startFromButton } from "./button-start.js";

/**
 * The answer's Re-run button: the stored request again, answered in the same thread. The Deep
 * dive button (deep-dive.ts) is the same with intrusive collectors added.
 */
export function registerRerun(app: App, ctx: ListenerContext): void {
  registerAgain(app, ctx, false);
}

/** Re-run (`deep` false) or Deep dive (`deep` true): acknowledges first, then checks and queues. */
export function registerAgain(app: App, ctx: ListenerContext, deep: boolean): void {
  const { producer } = ctx;
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
        await startFromButton(ctx, { kind, user, channel, body, client, respond }, request);
      } catch (err) {
        await refuseButton(ctx, { kind, user, channel, from: action.value, respond }, err);
      }
    },
  );
}
