import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/** `diagbot scheduler` with a sweep whose `ticket:` needs its system's settings. */
describe("scheduler with a sweep ticket", () => {
  it.each([
    ["{ system: pagerduty }", "DIAGBOT_PAGERDUTY_ROUTING_KEY is not set"],
    ["{ system: jira, project: OPS }", "DIAGBOT_JIRA_URL is not set"],
    ["{ system: github, repo: acme/infra }", "DIAGBOT_GITHUB_TOKEN is not set"],
    ["{ system: webhook }", "DIAGBOT_WEBHOOK_URL is not set"],
  ])(
    "ticket: %s exits 2 naming the missing setting before anything is scheduled",
    async (ticket, missing) => {
      const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-ticket-"));
      const file = join(dir, "sweeps.yaml");
      await writeFile(
        file,
        `sweeps:\n  web:\n    hosts: web\n    every: 1m\n    channel: C0WEB\n    ticket: ${ticket}\n`,
      );
      const inventory = join(dir, "inventory.yaml");
      await writeFile(inventory, "hosts:\n  web-1:\n    address: 10.0.0.1\n    groups: [web]\n");
      const r = await runCli(["scheduler"], {
        env: {
          DIAGBOT_SWEEPS: file,
          DIAGBOT_INVENTORY: inventory,
          SLACK_BOT_TOKEN: "xoxb-x",
          REDIS_URL: "redis://127.0.0.1:1",
          DIAGBOT_LOG_LEVEL: "silent",
          DIAGBOT_GITHUB_TOKEN: "",
          DIAGBOT_JIRA_URL: "",
          DIAGBOT_WEBHOOK_URL: "",
          DIAGBOT_PAGERDUTY_ROUTING_KEY: "",
        },
        timeoutMs: 20_000,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(missing);
    },
  );
});
