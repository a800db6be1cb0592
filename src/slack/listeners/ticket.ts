import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { z } from "zod";
import type { ReplyTarget } from "../../model/answer.js";
import { DiagbotError } from "../../model/errors.js";
import { parseTicket } from "../../model/request.js";
import { TICKET_SYSTEMS, type TicketSystem } from "../../model/ticket.js";
import { DIAGNOSIS_ID } from "../../queue/types.js";
import { ACTIONS } from "../../render/blocks.js";
import { checkStored, type ListenerContext } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";

/** The modal's callback id and its two inputs' block (and action) ids. */
export const TICKET_MODAL = "diagbot_ticket_modal";
const SYSTEM_BLOCK = "ticket_system";
const KEY_BLOCK = "ticket_key";

/** The systems the modal offers, with what each one's key looks like (DESIGN's key forms). */
const SYSTEMS: Record<TicketSystem, { label: string; example: string }> = {
  jira: { label: "Jira", example: "OPS-7" },
  github: { label: "GitHub", example: "owner/repo#12" },
  pagerduty: { label: "PagerDuty", example: "PXXXXXX (an incident id)" },
  webhook: { label: "Webhook", example: "ANY-LABEL" },
};

/** What the modal carries between the button and the submission (Slack's `private_metadata`). */
const ModalMetadataSchema = z.object({
  diagnosisId: z.string().regex(DIAGNOSIS_ID),
  channel: z.string().max(64),
  threadTs: z.string().max(64).optional(),
});
type ModalMetadata = z.infer<typeof ModalMetadataSchema>;

/** The *Attach to ticket* modal: a system select and a key input (Block Kit `input` blocks). */
export function ticketModal(metadata: ModalMetadata) {
  return {
    type: "modal" as const,
    callback_id: TICKET_MODAL,
    private_metadata: JSON.stringify(metadata),
    title: { type: "plain_text" as const, text: "Attach to ticket" },
    submit: { type: "plain_text" as const, text: "Attach" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: SYSTEM_BLOCK,
        label: { type: "plain_text", text: "System" },
        element: {
          type: "static_select",
          action_id: SYSTEM_BLOCK,
          options: TICKET_SYSTEMS.map((s) => ({
            text: { type: "plain_text", text: SYSTEMS[s].label },
            value: s,
          })),
        },
      },
      {
        type: "input",
        block_id: KEY_BLOCK,
        label: { type: "plain_text", text: "Key" },
        hint: {
          type: "plain_text",
          text: TICKET_SYSTEMS.map((s) => `${SYSTEMS[s].label}: ${SYSTEMS[s].example}`).join("; "),
        },
        element: { type: "plain_text_input", action_id: KEY_BLOCK, max_length: 200 },
      },
    ],
  };
}

/**
 * The answer's *Attach to ticket* button and its modal. The button checks that the presser may
 * diagnose the host (DIAGBOT_RBAC, as *Show evidence* does) and opens the modal; the submission
 * checks the key's form (a wrong one is shown under the key input, the modal stays open),
 * checks the presser again, and queues a job on the `tickets` queue, whose outcome the ticket
 * worker says in the answer's thread. Every decision is audited (`ticket` events).
 */
export function registerTicket(app: App, ctx: ListenerContext): void {
  const { producer, metrics } = ctx;
  app.action<BlockAction<ButtonAction>>(
    ACTIONS.ticket,
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const diagnosisId = action.value ?? "";
      try {
        if (!channel || !DIAGNOSIS_ID.test(diagnosisId))
          throw new DiagbotError("usage", "this button does not name a diagnosis");
        await checkPresser(ctx, user, channel, diagnosisId);
        const threadTs = body.message?.thread_ts ?? body.message?.ts;
        await client.views.open({
          trigger_id: body.trigger_id,
          view: ticketModal({ diagnosisId, channel, ...(threadTs ? { threadTs } : {}) }) as never,
        });
      } catch (err) {
        metrics.requests.inc({ kind: "ticket", outcome: "rejected" });
        ctx.audit("ticket", {
          user,
          channel,
          diagnosisId,
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

  app.view(TICKET_MODAL, async ({ ack, body, view }) => {
    const user = body.user.id;
    const meta = ModalMetadataSchema.safeParse(safeJson(view.private_metadata));
    if (!meta.success) {
      await ack({
        response_action: "errors",
        errors: { [KEY_BLOCK]: "this form is not diagbot's" },
      });
      return;
    }
    const { diagnosisId, channel, threadTs } = meta.data;
    const values = view.state.values;
    const system = values[SYSTEM_BLOCK]?.[SYSTEM_BLOCK]?.selected_option?.value ?? "";
    const typed = (values[KEY_BLOCK]?.[KEY_BLOCK]?.value ?? "").trim();
    let ticket: string;
    try {
      ticket = parseTicket(typed.startsWith(`${system}:`) ? typed : `${system}:${typed}`);
    } catch (err) {
      await ack({ response_action: "errors", errors: { [KEY_BLOCK]: keyError(err) } });
      return;
    }
    const fields = { user, channel, diagnosisId, ticket };
    try {
      const host = await checkPresser(ctx, user, channel, diagnosisId);
      const target: ReplyTarget & { ticket: string } = {
        user,
        channel,
        ...(threadTs ? { threadTs } : {}),
        ticket,
      };
      await producer.tickets.add(diagnosisId, target);
      await ack();
      metrics.requests.inc({ kind: "ticket", outcome: "queued" });
      ctx.audit("ticket", { ...fields, host, decision: "queued" });
    } catch (err) {
      metrics.requests.inc({ kind: "ticket", outcome: "rejected" });
      ctx.audit("ticket", { ...fields, decision: "refused", reason: reasonOf(err) });
      await ack({ response_action: "errors", errors: { [KEY_BLOCK]: describe(err) } });
    }
  });
}

/**
 * Whether `user` may diagnose the host of `diagnosisId` (whose evidence must still be stored).
 * @returns the host. @throws DiagbotError naming what is wrong.
 */
async function checkPresser(
  ctx: ListenerContext,
  user: string,
  channel: string,
  diagnosisId: string,
): Promise<string> {
  const [result, bundle] = await Promise.all([
    ctx.producer.store.loadResult(diagnosisId),
    ctx.producer.store.bundleStored(diagnosisId),
  ]);
  if (!result || !bundle)
    throw new DiagbotError(
      "usage",
      "the evidence of this diagnosis has expired or was over the size cap",
      { hint: "run `/diagnose` again with `--ticket SYSTEM:KEY`" },
    );
  await checkStored(ctx, { user, channel }, result.request);
  return result.request.host;
}

/** Slack shows input errors as plain text under the field, at most 150 characters or so. */
function keyError(err: unknown): string {
  if (!(err instanceof DiagbotError)) return (err as Error).message;
  const text = err.publicHint ? `${err.publicMessage}; ${err.publicHint}` : err.publicMessage;
  return text.replace(/^--ticket /, "");
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}
