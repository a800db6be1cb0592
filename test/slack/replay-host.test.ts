import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRbac } from "../../src/access/rbac.js";
import { loadInventory } from "../../src/inventory/inventory.js";
import { checkHost } from "../../src/slack/context.js";

/** `/diagnose` of a replay host is refused before anything is queued, with what to do instead. */
describe("a replay host in Slack", () => {
  it("is refused up front, pointing at the CLI; a live host of the same inventory passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-slack-replay-"));
    const file = join(dir, "inventory.yaml");
    writeFileSync(
      file,
      "hosts:\n  saved-01: { transport: replay, bundle: ./saved-01 }\n  live-01: { address: 127.0.0.1 }\n",
    );
    const inventory = await loadInventory(file);
    const rbac = defaultRbac();
    const access = rbac.access({ user: "U1" }, []);
    expect(() => checkHost(rbac, inventory, "saved-01", access, false)).toThrow(
      "`saved-01` is a replay host: its evidence is a saved bundle",
    );
    expect(checkHost(rbac, inventory, "live-01", access, false).name).toBe("live-01");
  });
});
