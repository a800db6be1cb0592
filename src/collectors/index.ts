import type { Collector } from "./types.js";
import { uptime } from "./uptime.js";

/** Every collector, in one explicit list. Order is the order of the report's collector table. */
export const COLLECTORS: readonly Collector[] = [uptime];

export function collectorById(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}
