import { readFileSync } from "node:fs";
import type { LogJudge } from "../../../src/derive/kernel-log/judge.js";
import { currentEvents, dateEvents } from "../../../src/derive/kernel-log.js";
import { FactBag, type FactValue } from "../../../src/derive/types.js";
import { parseDmesg } from "../../../src/parsers/dmesg.js";
import { linesOf } from "../../../src/parsers/lines.js";

/** What the kernel-log module would have beside the log: /proc/uptime, the look-back, MemTotal. */
export interface JudgeOptions {
  /** /proc/uptime's first field, in s (absent: ages are measured from the newest line). */
  uptimeS?: number;
  /** The look-back in s (the module's default, 1 h, when absent). */
  lookbackSeconds?: number;
  /** MemTotal in kB (meminfo). */
  memTotalKb?: number;
}

/**
 * Parses `log` (lines, or a whole output) with the real dmesg parser, dates its events as the
 * kernel-log module does (src/derive/kernel-log.ts dateEvents, currentEvents) and runs `judge`
 * alone on the current ones: the facts that one family sets, with their excerpts and sources.
 */
export function judgeWith(
  judge: LogJudge,
  log: readonly string[] | string,
  opts: JudgeOptions = {},
): FactBag {
  const dm = parseDmesg(typeof log === "string" ? linesOf(log) : log).facts;
  const dated = dateEvents(dm, opts.uptimeS, opts.lookbackSeconds ?? 3600);
  const bag = new FactBag();
  judge.judge(currentEvents(dated.current, dm, opts.memTotalKb), bag);
  return bag;
}

/** The `dmesg.out` of a scenario bundle (../shared/scenarios/bundles/<name>/), as text. */
export function bundleDmesg(name: string): string {
  return readFileSync(
    new URL(`../../../../shared/scenarios/bundles/${name}/dmesg.out`, import.meta.url),
    "utf8",
  );
}

/** The facts that say something was found: set to other than 0, false or an empty list. */
export function found(bag: FactBag): Record<string, FactValue> {
  return Object.fromEntries(
    [...bag.values].filter(
      ([, v]) => v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0),
    ),
  );
}
