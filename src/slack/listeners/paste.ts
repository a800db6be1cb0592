import type { App, MessageShortcut, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import { DiagbotError } from "../../model/errors.js";
import { type DiagnoseRequest, MIN_WINDOW_SECONDS, PASTED_HOST } from "../../model/request.js";
import type { PastedPieces } from "../../queue/engine.js";
import { accessOf, admitPasted, checkPasted, type ListenerContext } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";
import { checkSizes, pastedPieces, type SlackFile } from "../paste.js";

/**
 * Evidence pasted in Slack, diagnosed by the workers as `diagnose --from` reads a file
 * (DESIGN.md "Evidence from anywhere"): the *Diagnose this output* message shortcut, answered
 * in that message's thread, and `/diagnose paste`'s modal (a file input and a text input),
 * answered in the channel it was typed in. The same admission as `/diagnose` (DIAGBOT_RBAC:
 * someone who may diagnose some host; the queue; the rate limits), the same redaction and a
 * size cap. Nothing pasted is run, and a host name in a pasted prompt is never taken as an
 * inventory host: the report's host is `pasted-evidence`.
 */

/** The message shortcut's callback id (deploy/slack-app-manifest.yaml). */
export const PASTE_SHORTCUT = "diagnose_output";
/** The paste modal's callback id and its inputs' block (and action) ids. */
export const PASTE_MODAL = "diagbot_paste_modal";
export const PASTE_FILE_BLOCK = "paste_file";
export const PASTE_TEXT_BLOCK = "paste_text";
/** Slack's own limit on a plain_text_input's `max_length`. */
const SLACK_TEXT_INPUT_MAX = 3000;
/** Files a modal takes at once (Slack allows up to 10). */
const MODAL_MAX_FILES = 5;

/** What the modal carries from the command to the submission (Slack's `private_metadata`). */
const ModalMetadataSchema = z.object({ channel: z.string().min(1).max(64) });

/** The `/diagnose paste` modal. */
export function pasteModal(channel: string) {
  return {
    type: "modal" as const,
    callback_id: PASTE_MODAL,
    private_metadata: JSON.stringify({ channel }),
    title: { type: "plain_text" as const, text: "Diagnose pasted output" },
    submit: { type: "plain_text" as const, text: "Diagnose" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: PASTE_FILE_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Files" },
        hint: {
          type: "plain_text",
          text: "A terminal transcript or a tool's output: .txt or .log",
        },
        element: {
          type: "file_input",
          action_id: PASTE_FILE_BLOCK,
          filetypes: ["text", "log", "txt"],
          max_files: MODAL_MAX_FILES,
        },
      },
      {
        type: "input",
        block_id: PASTE_TEXT_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Or paste it here" },
        hint: {
          type: "plain_text",
          text: "Commands with their prompts and output, e.g. `$ df -h` and its table. Nothing is run.",
        },
        element: {
          type: "plain_text_input",
          action_id: PASTE_TEXT_BLOCK,
          multiline: true,
          max_length: SLACK_TEXT_INPUT_MAX,
        },
      },
    ],
  };
}

/** Opens the paste modal for `/diagnose paste`, once the person may diagnose pasted evidence. */
export async function openPasteModal(
  ctx: ListenerContext,
  client: WebClient,
  who: { user: string; channel: string; triggerId: string },
): Promise<void> {
  await client.views.open({ trigger_id: who.triggerId, view: pasteModal(who.channel) as never });
  ctx.audit("paste", { user: who.user, channel: who.channel, from: "modal", decision: "opened" });
}

/**
 * Whether `user` may diagnose pasted evidence at all (before a modal opens).
 * @throws DiagbotError as {@link checkPasted}
 */
export function checkPaster(ctx: ListenerContext, user: string, channel: string): void {
  checkPasted(ctx.rbac, accessOf(ctx, user, channel), false);
}

/** The request for pasted evidence kept under `evidence`. */
function pastedRequest(evidence: string): DiagnoseRequest {
  return {
    host: PASTED_HOST,
    symptom: "health",
    windowSeconds: MIN_WINDOW_SECONDS,
    deep: false,
    evidence,
  };
}

interface Paste {
  from: "shortcut" | "modal";
  user: string;
  channel: string;
  /** The thread to answer in (the shortcut's message); none: a new message in the channel. */
  threadTs?: string;
  responseUrl?: string;
}

/** Keeps the pieces, audits, and starts the diagnosis as `/diagnose` does. */
async function startPasted(
  ctx: ListenerContext,
  client: WebClient,
  paste: Paste,
  pieces: PastedPieces,
  respond: RespondFn | undefined,
): Promise<void> {
  const evidence = await ctx.producer.store.savePasted(pieces);
  const bytes = pieces.reduce((n, p) => n + p.bytes.length, 0);
  ctx.audit("paste", {
    user: paste.user,
    channel: paste.channel,
    from: paste.from,
    pieces: pieces.length,
    bytes,
    evidence,
    decision: "allowed",
  });
  const { user, channel, threadTs, responseUrl } = paste;
  await ctx.starter.start(
    client,
    pastedRequest(evidence),
    { user, channel, threadTs, responseUrl },
    respond,
  );
}

/** A refused paste: counted, audited, said to the person only. */
async function refusePaste(
  ctx: ListenerContext,
  paste: Paste,
  err: unknown,
  tell: (err: unknown) => Promise<unknown>,
): Promise<void> {
  const limited = err instanceof DiagbotError && err.code === "rate-limited";
  ctx.metrics.requests.inc({ kind: "paste", outcome: limited ? "limited" : "rejected" });
  ctx.audit("paste", {
    user: paste.user,
    channel: paste.channel,
    from: paste.from,
    decision: "refused",
    reason: reasonOf(err),
  });
  await tell(err).catch(() => undefined);
}

/**
 * An error as Slack shows it under a modal's field (plain text, kept short): the message, and
 * the hint when both fit in {@link FIELD_ERROR_MAX} characters.
 */
function fieldText(err: unknown): string {
  if (!(err instanceof DiagbotError)) return `unexpected error: ${(err as Error).message}`;
  const whole = err.publicHint ? `${err.publicMessage}; ${err.publicHint}` : err.publicMessage;
  return whole.length <= FIELD_ERROR_MAX ? whole : err.publicMessage;
}

/** Slack shows a field's error text in a line or two under it: about 150 characters. */
const FIELD_ERROR_MAX = 150;

/** The largest paste read: what the store keeps of a diagnosis's bundle (DIAGBOT_RESULT_MAX_BYTES). */
const capOf = (ctx: ListenerContext) => ctx.producer.config.resultMaxBytes;

export function registerPaste(app: App, ctx: ListenerContext): void {
  app.shortcut<MessageShortcut>(
    { callback_id: PASTE_SHORTCUT, type: "message_action" },
    async ({ ack, body, client, respond }) => {
      await ack();
      const message = body.message as typeof body.message & {
        files?: SlackFile[];
        thread_ts?: string;
      };
      const paste: Paste = {
        from: "shortcut",
        user: body.user.id,
        channel: body.channel.id,
        threadTs: message.thread_ts ?? message.ts,
        responseUrl: body.response_url,
      };
      try {
        await admitPasted(ctx, paste);
        const pieces = await pastedPieces(
          { slackText: message.text ?? "", files: message.files ?? [] },
          ctx.slack,
          client,
          capOf(ctx),
        );
        await startPasted(ctx, client, paste, pieces, respond);
      } catch (err) {
        await refusePaste(ctx, paste, err, (e) => respond(ephemeral(`:warning: ${describe(e)}`)));
      }
    },
  );
  registerPasteModal(app, ctx);
}

/**
 * The modal's submission: nothing given, a file over the cap, or a refused admission is said
 * under the field (the modal stays open); otherwise the modal closes, the files are fetched and
 * the diagnosis answers in the channel.
 */
function registerPasteModal(app: App, ctx: ListenerContext): void {
  app.view(PASTE_MODAL, async ({ ack, body, view, client }) => {
    const meta = ModalMetadataSchema.safeParse(safeJson(view.private_metadata));
    if (!meta.success) {
      await ack({
        response_action: "errors",
        errors: { [PASTE_TEXT_BLOCK]: "this form is not diagbot's" },
      });
      return;
    }
    const paste: Paste = { from: "modal", user: body.user.id, channel: meta.data.channel };
    const values = view.state.values;
    const files =
      (values[PASTE_FILE_BLOCK]?.[PASTE_FILE_BLOCK] as { files?: SlackFile[] } | undefined)
        ?.files ?? [];
    const text = values[PASTE_TEXT_BLOCK]?.[PASTE_TEXT_BLOCK]?.value ?? "";
    if (files.length === 0 && !text.trim()) {
      await ack({
        response_action: "errors",
        errors: {
          [PASTE_TEXT_BLOCK]: "Attach a file or paste some output: one of the two is needed",
        },
      });
      return;
    }
    const cap = capOf(ctx);
    try {
      checkSizes(files, cap - Buffer.byteLength(text), cap);
    } catch (err) {
      await refusePaste(ctx, paste, err, (e) =>
        ack({ response_action: "errors", errors: { [PASTE_FILE_BLOCK]: fieldText(e) } }),
      );
      return;
    }
    try {
      await admitPasted(ctx, paste);
    } catch (err) {
      await refusePaste(ctx, paste, err, (e) =>
        ack({ response_action: "errors", errors: { [PASTE_TEXT_BLOCK]: fieldText(e) } }),
      );
      return;
    }
    await ack();
    const tell = (e: unknown) =>
      client.chat.postEphemeral({
        channel: paste.channel,
        user: paste.user,
        text: `:warning: ${describe(e)}`,
      });
    try {
      const pieces = await pastedPieces({ text, files }, ctx.slack, client, cap);
      await startPasted(ctx, client, paste, pieces, undefined);
    } catch (err) {
      await refusePaste(ctx, paste, err, tell);
    }
  });
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}
