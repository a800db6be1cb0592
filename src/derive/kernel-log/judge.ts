import type { DmesgEvent, OomKillEvent } from "../../parsers/dmesg.js";
import type { FactBag, FactSpec } from "../types.js";

/** The kernel log's collector: the source of every fact the families set. */
export const LOG = ["dmesg"] as const;
export const SRC = "dmesg";

/** The events a family judges: those within the look-back, in line order. */
export interface CurrentEvents {
  events: readonly DmesgEvent[];
  /** The current events of these kinds. */
  of(...kinds: DmesgEvent["kind"][]): DmesgEvent[];
  /** MemTotal (meminfo), when collected. */
  memTotalKb: number | undefined;
  /** Every OOM kill of the log that names its victim, history included (for trends). */
  allKills: readonly OomKillEvent[];
}

/**
 * One family of kernel-log facts: the facts it provides and how the current events give them.
 * The families are listed in one array in ../kernel-log.ts.
 */
export interface LogJudge {
  name: string;
  provides: FactSpec[];
  judge(ev: CurrentEvents, bag: FactBag): void;
}
