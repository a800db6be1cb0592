import type { App } from "@slack/bolt";
import { allows } from "../../access/rbac.js";
import { renderHome } from "../../render/blocks.js";
import { accessOf, type ListenerContext } from "../context.js";

/** The App Home tab: the recent diagnoses of hosts the user may diagnose. */
export function registerAppHome(app: App, ctx: ListenerContext): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    try {
      const [entries, inventory] = await Promise.all([
        ctx.producer.store.recent(50),
        ctx.inventory(),
      ]);
      const access = accessOf(ctx, event.user);
      const visible = entries.filter((e) => {
        const host = inventory.hosts.get(e.host);
        return host !== undefined && allows(access, host, false);
      });
      await client.views.publish({
        user_id: event.user,
        view: renderHome(visible, { canDeep: access.costClasses.has("intrusive") }) as never,
      });
    } catch (err) {
      ctx.log.warn(
        { err: (err as Error).message, user: event.user },
        "cannot publish the App Home",
      );
    }
  });
}
