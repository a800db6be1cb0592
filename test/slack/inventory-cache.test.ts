import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InventoryCache } from "../../src/slack/inventory-cache.js";

/** The Slack app's inventory cache over real files, DIAGBOT_INVENTORY naming two of them. */
describe("InventoryCache with several files", () => {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-inv-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const host = (name: string) => `hosts:\n  ${name}:\n    address: 127.0.0.1\n`;

  it("re-reads when the second file changes", async () => {
    const a = join(dir, "a.yaml");
    const b = join(dir, "b.yaml");
    writeFileSync(a, host("web-1"));
    writeFileSync(b, host("db-1"));
    const cache = new InventoryCache(`${a}:${b}`, 0);
    const first = await cache.get();
    expect([...first.hosts.keys()].sort()).toEqual(["db-1", "web-1"]);
    writeFileSync(b, host("db-2"));
    const later = new Date(Date.now() + 5000);
    utimesSync(b, later, later);
    const second = await cache.get();
    expect([...second.hosts.keys()].sort()).toEqual(["db-2", "web-1"]);
  });
});
