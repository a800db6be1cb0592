import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMAND } from "../../src/slack/listeners/diagnose-command.js";
import { PASTE_SHORTCUT } from "../../src/slack/listeners/paste.js";

/** The app manifest creates an app that has what `diagbot serve` uses. */
describe("deploy/slack-app-manifest.yaml", () => {
  const manifest = parse(
    readFileSync(new URL("../../deploy/slack-app-manifest.yaml", import.meta.url), "utf8"),
  );

  it("registers /diagnose, the App Home event, interactivity and the scopes the app calls need", () => {
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([
      COMMAND,
    ]);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain("app_home_opened");
    expect(manifest.settings.event_subscriptions.bot_events).toContain("app_mention");
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        "commands",
        "chat:write",
        "files:write",
        "usergroups:read",
        "app_mentions:read",
        "files:read",
      ]),
    );
    for (const url of [
      manifest.features.slash_commands[0].url,
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ]) {
      expect(url).toMatch(/\/slack\/events$/);
    }
  });

  it("offers Diagnose this output on messages, under the callback id the app listens to", () => {
    expect(manifest.features.shortcuts).toEqual([
      expect.objectContaining({
        name: "Diagnose this output",
        type: "message",
        callback_id: PASTE_SHORTCUT,
      }),
    ]);
    expect(manifest.features.slash_commands[0].usage_hint).toMatch(/\| paste$/);
  });
});
