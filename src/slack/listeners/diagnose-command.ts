import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { App } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import type { DiagnoseRequest } from "../../model/request.js";
import { requestAuditFields } from "../../observability/audit.js";
import { HELP, parseCommandText, USAGE } from "../command.js";
import { admit, type ListenerContext } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";
import { checkPaster, openPasteModal } from "./paste.js";

/** Command text that did not parse, as the audit log records it: length and SHA-256 only. */
function rejectedText(text: string) {
  return {
    textLength: text.length,
    textSha256: createHash("sha256").update(text).digest("hex"),
  };
}

const codeOf = (err: unknown) => (err instanceof DiagbotError ? err.code : "unexpected");

/** `error` (Redis down), `limited` (a rate limit applies) or `rejected` (bad request, no access). */
function outcomeOf(err: unknown): "error" | "limited" | "rejected" {
  if (!(err instanceof DiagbotError)) return "rejected";
  if (err.code === "connect-failed") return "error";
  return err.code === "rate-limited" ? "limited" : "rejected";
}

/** The slash command's name, as registered by the manifest. */
export const COMMAND = "/diagnose";

/**
 * `/diagnose <host> [symptom] [options]`, or `/diagnose paste` (the paste modal, paste.ts). Everything checked before the acknowledgement
 * (syntax, host, access, queue) is in memory or fails fast, so the acknowledgement itself
 * carries the error when there is one; the root message and the job come after it.
 */
export function registerDiagnoseCommand(app: App, ctx: ListenerContext): void {
  const { metrics } = ctx;
  app.command(COMMAND, async ({ command, ack, respond, client }) => {
    const t0 = performance.now();
    const who = { user: command.user_id, channel: command.channel_id };
    const acked = async (body?: { response_type: "ephemeral"; text: string }) => {
      await ack(body);
      metrics.ackSeconds.observe((performance.now() - t0) / 1000);
    };
    let request: DiagnoseRequest | undefined;
    let ticket: string | undefined;
    try {
      const parsed = parseCommandText(command.text ?? "");
      if (parsed.kind === "help") {
        await acked(ephemeral(HELP));
        return;
      }
      if (parsed.kind === "paste") {
        checkPaster(ctx, who.user, who.channel);
        await acked();
        await openPasteModal(ctx, client, { ...who, triggerId: command.trigger_id }).catch(
          (err: Error) =>
            respond(ephemeral(`:warning: the paste form did not open: ${describe(err)}`)),
        );
        return;
      }
      request = parsed.request;
      ticket = parsed.ticket;
      const access = await admit(
        ctx,
        who,
        request,
        "try again in a minute; if it persists, tell the bot's admins",
      );
      ctx.audit("request", {
        ...who,
        ...requestAuditFields(request),
        roles: access.roles,
        ticket,
        decision: "allowed",
      });
    } catch (err) {
      const outcome = outcomeOf(err);
      metrics.requests.inc({ kind: "diagnose", outcome });
      // Text that did not parse may hold anything (a pasted token): only its length and hash,
      // and the error's code (its message may quote the text).
      ctx.audit("request", {
        ...who,
        ...(request ? requestAuditFields(request) : rejectedText(command.text ?? "")),
        decision: outcome === "error" ? "failed" : "refused",
        reason: request ? reasonOf(err) : codeOf(err),
      });
      await acked(
        ephemeral(
          `:warning: ${describe(err)}${outcome === "rejected" ? `\nUsage: \`${USAGE}\`` : ""}`,
        ),
      );
      return;
    }
    await acked();
    await ctx.starter.start(
      client,
      request,
      { ...who, responseUrl: command.response_url, ...(ticket ? { ticket } : {}) },
      respond,
    );
  });
}
