import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import { bundleTarGz, type StoredBundle } from "../../queue/bundle.js";
import { DIAGNOSIS_ID } from "../../queue/types.js";
import { ACTIONS, escapeMrkdwn, evidenceText } from "../../render/blocks.js";
import { slackError } from "../config.js";
import { checkStored, type ListenerContext } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";
import { CANNOT_POST, INVITE_HINT } from "../replies.js";

/**
 * The answer's Evidence button: uploads the redacted evidence (a text file) and the redacted
 * bundle (a .tar.gz that `diagbot diagnose --from` replays) into the thread.
 */
export function registerEvidence(app: App, ctx: ListenerContext): void {
  const { producer, metrics } = ctx;
  app.action<BlockAction<ButtonAction>>(
    ACTIONS.evidence,
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const id = action.value ?? "";
      try {
        if (!channel || !DIAGNOSIS_ID.test(id))
          throw new DiagbotError("usage", "this button does not name a diagnosis");
        const [result, bundle] = await Promise.all([
          producer.store.loadResult(id),
          producer.store.loadBundle<StoredBundle>(id),
        ]);
        if (!result || !bundle)
          throw new DiagbotError(
            "usage",
            "the evidence of this diagnosis has expired or was over the size cap",
            { hint: "run `/diagnose` again" },
          );
        await checkStored(ctx, { user, channel }, result.request);
        ctx.audit("evidence", {
          user,
          channel,
          diagnosisId: id,
          host: result.request.host,
          symptom: result.request.symptom,
          decision: "shown",
        });
        const outputs: Record<string, string> = {};
        for (const [name, text] of Object.entries(bundle.files))
          if (name !== "bundle.json") outputs[name] = text;
        const folder = `diagbot-${result.request.host}-${id}`;
        await client.files.uploadV2({
          channel_id: channel,
          thread_ts: body.message?.thread_ts ?? body.message?.ts,
          initial_comment: `Evidence of \`${id}\` (${escapeMrkdwn(`${result.request.host}, ${result.request.symptom}`)}), asked by <@${user}>${result.redactions ? `; ${result.redactions} secrets redacted` : ""}. The .tar.gz replays with \`diagbot diagnose ${result.request.host} --from ${folder}\`.`,
          file_uploads: [
            {
              file: Buffer.from(evidenceText(result.report, outputs, id)),
              filename: `${folder}.txt`,
              title: `evidence ${result.request.host} ${id}`,
            },
            {
              file: await bundleTarGz(bundle, folder),
              filename: `${folder}.tar.gz`,
              title: `bundle ${result.request.host} ${id}`,
            },
          ],
        });
        metrics.requests.inc({ kind: "evidence", outcome: "posted" });
      } catch (err) {
        metrics.requests.inc({ kind: "evidence", outcome: "rejected" });
        const code = slackError(err);
        const text =
          code && CANNOT_POST.has(code)
            ? `:warning: cannot upload here (${code}): ${INVITE_HINT}.`
            : `:warning: ${describe(err)}`;
        ctx.audit("evidence", {
          user,
          channel,
          diagnosisId: id,
          decision: "refused",
          reason: reasonOf(err),
        });
        await respond({ ...ephemeral(text), replace_original: false }).catch(() => undefined);
      }
    },
  );
}
