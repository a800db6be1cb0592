import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type Inventory,
  inventoryPath,
  inventoryPaths,
  loadInventory,
} from "../inventory/inventory.js";

/** The latest modification time of the files `path` names (several joined by `:`), ms. */
async function latestChange(path: string): Promise<number> {
  const stats = await Promise.all(
    inventoryPaths({ DIAGBOT_INVENTORY: path }).map((p) => stat(resolve(p))),
  );
  return Math.max(...stats.map((s) => s.mtimeMs));
}

/**
 * The inventory as the Slack app sees it: loaded once, re-read when the file changes (checked
 * at most every `checkMs`), so a command is validated without reading the file each time. A
 * file that becomes invalid keeps the last good inventory (the error is reported once).
 */
export class InventoryCache {
  private inventory: Inventory | undefined;
  private mtimeMs = 0;
  private checkedAt = 0;

  constructor(
    readonly path: string = inventoryPath(),
    private readonly checkMs = 2000,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  async get(): Promise<Inventory> {
    const now = Date.now();
    if (this.inventory && now - this.checkedAt < this.checkMs) return this.inventory;
    this.checkedAt = now;
    try {
      // A file that cannot be stat'ed is read anyway, so its error names it (exit 2, not 70).
      const mtimeMs = await latestChange(this.path).catch(() => Number.NaN);
      if (this.inventory && mtimeMs === this.mtimeMs) return this.inventory;
      this.inventory = await loadInventory(this.path);
      this.mtimeMs = mtimeMs;
    } catch (err) {
      if (!this.inventory) throw err;
      this.onError(err as Error);
    }
    return this.inventory;
  }
}
