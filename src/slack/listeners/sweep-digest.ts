import type { App, BlockAction, ButtonAction, StaticSelectAction } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import { type DiagnoseRequest, DiagnoseRequestSchema } from "../../model/request.js";
import { ACTIONS, escapeMrkdwn, MUTE_DURATIONS } from "../../render/blocks.js";
import { accessOf, checkHost, type ListenerContext, queueUnavailable } from "../context.js";
import { describe, ephemeral, reasonOf } from "../messages.js";

/**
 * The buttons of a sweep digest (src/sweeps/digest.ts):
 * - **Diagnose** on a host line: a full diagnosis of that host with the sweep's symptom, through
 *   the same path as `/diagnose` (RBAC, queue, answer), answered in the digest's thread;
 * - **Mute…** menus: silence one finding key for the chosen time, through the muter main/
 *   plugged in; recorded in the audit log (who, which key, until when).
 */
export function registerSweepDigest(app: App, ctx: ListenerContext): void {
  registerDiagnose(app, ctx);
  registerMute(app, ctx);
}

/** Sweep windows: the default of `diagnose` (DESIGN.md "CLI contract"). */
const WINDOW_SECONDS = 5;

function registerDiagnose(app: App, ctx: ListenerContext): void {
  const { log, metrics, producer } = ctx;
  app.action<BlockAction<ButtonAction>>(
    ACTIONS.sweepDiagnose,
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      try {
        const asked = JSON.parse(action.value ?? "null") as { host?: unknown; symptom?: unknown };
        const parsed = DiagnoseRequestSchema.safeParse({
          host: asked?.host,
          symptom: asked?.symptom,
          windowSeconds: WINDOW_SECONDS,
          deep: false,
        });
        if (!channel || !parsed.success)
          throw new DiagbotError("usage", "this button does not name a host");
        const request: DiagnoseRequest = parsed.data;
        const access = accessOf(ctx, user, channel);
        checkHost(
          ctx.rbac,
          await ctx.inventory(),
          request.host,
          access,
          false,
          request.windowSeconds,
        );
        if (!producer.ready) throw queueUnavailable("try again in a minute");
        ctx.audit("sweep-diagnose", {
          user,
          channel,
          host: request.host,
          symptom: request.symptom,
          roles: access.roles,
          decision: "allowed",
        });
        metrics.requests.inc({ kind: "sweep-diagnose", outcome: "queued" });
        const threadTs = body.message?.thread_ts ?? body.message?.ts;
        await ctx.starter.start(
          client,
          request,
          { user, channel, responseUrl: body.response_url, threadTs },
          respond,
        );
      } catch (err) {
        metrics.requests.inc({ kind: "sweep-diagnose", outcome: "rejected" });
        ctx.audit("sweep-diagnose", {
          user,
          channel,
          decision: "rejected",
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

/** `<sweep>|<key digest>|<duration code>`, as src/sweeps/digest.ts writes it. */
const MUTE_VALUE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})\|([0-9a-f]{16})\|([0-9a-z]{1,4})$/;

function registerMute(app: App, ctx: ListenerContext): void {
  const { log } = ctx;
  app.action<BlockAction<StaticSelectAction>>(
    new RegExp(`^${ACTIONS.sweepMute}_\\d+$`),
    async ({ ack, body, action, respond }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const m = MUTE_VALUE.exec(action.selected_option?.value ?? "");
      try {
        const duration = m ? MUTE_DURATIONS[m[3]] : undefined;
        if (!m || !duration) throw new DiagbotError("usage", "this menu does not name a finding");
        if (!ctx.muter) throw new DiagbotError("config", "sweeps are not run by this app");
        const [, sweep, keyDigest] = m;
        const key = await ctx.muter.resolve(sweep, keyDigest);
        if (!key)
          throw new DiagbotError("usage", `sweep ${sweep} has no such finding any more`, {
            hint: "it may have been resolved, or the sweep removed",
          });
        // Muting a host's finding needs the right to diagnose that host.
        checkHost(
          ctx.rbac,
          await ctx.inventory(),
          key.split("/")[0],
          accessOf(ctx, user, channel),
          false,
        );
        const untilMs = Date.now() + duration.ms;
        await ctx.muter.mute(sweep, key, untilMs, user);
        const until = new Date(untilMs).toISOString();
        ctx.audit("mute", { user, channel, sweep, key, until, decision: "allowed" });
        await respond({
          ...ephemeral(
            `:zzz: muted \`${escapeMrkdwn(key)}\` for ${duration.label} (until ${until}).`,
          ),
          replace_original: false,
        }).catch(() => undefined);
      } catch (err) {
        ctx.audit("mute", {
          user,
          channel,
          value: action.selected_option?.value,
          decision: "rejected",
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
