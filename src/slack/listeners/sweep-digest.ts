import type { App, BlockAction, ButtonAction, StaticSelectAction } from "@slack/bolt";
import { DiagbotError } from "../../model/errors.js";
import { type DiagnoseRequest, DiagnoseRequestSchema } from "../../model/request.js";
import { ACTIONS, escapeMrkdwn, MUTE_DURATIONS } from "../../render/blocks.js";
import { accessOf, checkHost, type ListenerContext } from "../context.js";
import { ephemeral } from "../messages.js";
import { refuseButton, startFromButton } from "./button-start.js";

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
  const kind = "sweep-diagnose";
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
        await startFromButton(ctx, { kind, user, channel, body, client, respond }, request);
      } catch (err) {
        await refuseButton(ctx, { kind, user, channel, from: action.value, respond }, err);
      }
    },
  );
}

/** `<sweep>|<key digest>|<duration code>`, as src/sweeps/digest.ts writes it. */
const MUTE_VALUE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})\|([0-9a-f]{16})\|([0-9a-z]{1,4})$/;

function registerMute(app: App, ctx: ListenerContext): void {
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
        const from = action.selected_option?.value;
        await refuseButton(ctx, { kind: "mute", user, channel, from, respond }, err);
      }
    },
  );
}
