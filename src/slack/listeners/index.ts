import type { App } from "@slack/bolt";
import type { ListenerContext } from "../context.js";
import { registerAppHome } from "./app-home.js";
import { registerDeepDive } from "./deep-dive.js";
import { registerDiagnoseCommand } from "./diagnose-command.js";
import { registerEvidence } from "./evidence.js";
import { registerFollowUp } from "./follow-up.js";
import { registerPaste } from "./paste.js";
import { registerRerun } from "./rerun.js";
import { registerSweepDigest } from "./sweep-digest.js";
import { registerTicket } from "./ticket.js";

/** Every listener of the app, one per file (the layout of Bolt's app template). */
export function registerListeners(app: App, ctx: ListenerContext): void {
  registerDiagnoseCommand(app, ctx);
  registerRerun(app, ctx);
  registerDeepDive(app, ctx);
  registerEvidence(app, ctx);
  registerFollowUp(app, ctx);
  registerTicket(app, ctx);
  registerAppHome(app, ctx);
  registerSweepDigest(app, ctx);
  registerPaste(app, ctx);
}
