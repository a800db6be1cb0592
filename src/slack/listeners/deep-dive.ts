import type { App } from "@slack/bolt";
import type { ListenerContext } from "../context.js";
import { registerAgain } from "./rerun.js";

/** The answer's Deep dive button: the stored request again with intrusive collectors, if allowed. */
export function registerDeepDive(app: App, ctx: ListenerContext): void {
  registerAgain(app, ctx, true);
}
