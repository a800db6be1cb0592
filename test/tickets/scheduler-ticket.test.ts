import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/** `diagbot scheduler` with a sweep whose `ticket:` needs the Events API settings. */
describe("scheduler with a sweep ticket", () => {
  it("exits 2 naming DIAGBOT_PAGERDUTY_ROUTING_KEY before anything is scheduled", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-ticket-"));
    const file = join(dir, "sweeps.yaml");
    await writeFile(
      file,
      "sweeps:\n  web:\n    hosts: web\n    every: 1m\n    channel: C0WEB\n    ticket: { system: pagerduty }\n",
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
      },
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DIAGBOT_PAGERDUTY_ROUTING_KEY is not set");
  });
});
