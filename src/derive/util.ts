import type { FactsOf, SourceId } from "../sources/index.js";
import type { DeriveContext, FactBag, ParsedSet } from "./types.js";

/**
 * Small helpers shared by the derive modules: reading parsed facts defensively (parsers are
 * written by several people and their facts arrive as `unknown`), rates over the window, and
 * rounding.
 */

/**
 * The parsed facts of `<id>.out`, typed by the sources registry (`FactsOf<"iostat">` is
 * `IostatFacts`), or undefined when the collector produced none.
 */
export function factsOf<Id extends SourceId>(parsed: ParsedSet, id: Id): FactsOf<Id> | undefined {
  const entry = parsed.get(id);
  if (!entry || typeof entry.facts !== "object" || entry.facts === null) return undefined;
  // The engine stores under each id what that id's parser returned (src/engine/parse-outputs.ts).
  return entry.facts as FactsOf<Id>;
}

/** The parsed facts of `<id>.start.out` (first snapshot of a windowed counter), if any. */
export function startOf<Id extends SourceId>(parsed: ParsedSet, id: Id): FactsOf<Id> | undefined {
  const entry = parsed.get(id);
  if (!entry || typeof entry.start !== "object" || entry.start === null) return undefined;
  return entry.start as FactsOf<Id>;
}

/** A finite number, or undefined (null, NaN, strings and absent values). */
export function n(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A non-empty string, or undefined. */
export function s(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** An array (or an empty one). */
export function arr<T = unknown>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** A plain object (or undefined). */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Rounds to `digits` decimals (2 by default); undefined stays undefined. */
export function round(v: number | undefined, digits = 2): number | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** `part / whole × 100`, or undefined when whole is 0 or either is absent. */
export function pct(part: number | undefined, whole: number | undefined): number | undefined {
  if (part === undefined || whole === undefined || whole <= 0) return undefined;
  return round((part / whole) * 100);
}

/** Maximum of the defined numbers, or undefined. */
export function max(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? undefined : Math.max(...v);
}

/** Sum of the defined numbers, or undefined when none is defined. */
export function sum(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0);
}

/** Mean of the defined numbers, or undefined. */
export function mean(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
}

/**
 * A counter that only grows, judged over the window when both snapshots exist:
 * - `window`: `delta` = end − start and `per_s` = delta / seconds (a counter that went
 *   backwards, after a reset or a wrap, gives no rate);
 * - `since-boot`: only one snapshot (or no window length): `delta` is the total since boot
 *   (or since the counter was created) and there is no rate.
 */
export interface CounterReading {
  mode: "window" | "since-boot";
  delta: number;
  per_s?: number;
}

/** Reads a growing counter from its end value and optional start value. */
export function counter(
  end: number | undefined,
  start: number | undefined,
  windowSeconds: number | undefined,
): CounterReading | undefined {
  if (end === undefined) return undefined;
  if (start === undefined || windowSeconds === undefined || windowSeconds <= 0) {
    return { mode: "since-boot", delta: end };
  }
  const delta = end - start;
  if (delta < 0) return undefined;
  return { mode: "window", delta, per_s: round(delta / windowSeconds, 3) };
}

/**
 * The PSI facts of one resource from `pressure-<resource>`: `psi.<resource>.some_avg10` and
 * `full_avg10`, and with a start snapshot and a window, `some_pct` and `full_pct` (the share
 * of the window stalled, from the `total` counters, at most 100).
 */
export function setPressure(
  bag: FactBag,
  parsed: ParsedSet,
  ctx: DeriveContext,
  resource: "io" | "memory",
): void {
  const id = `pressure-${resource}` as const;
  const psi = factsOf(parsed, id);
  if (!psi) return;
  const line = `some avg10=${psi.some_avg10 ?? "-"} / full avg10=${psi.full_avg10 ?? "-"}`;
  bag.set(`psi.${resource}.some_avg10`, n(psi.some_avg10), id, line);
  bag.set(`psi.${resource}.full_avg10`, n(psi.full_avg10), id, line);
  const start = startOf(parsed, id);
  if (!start || !ctx.windowSeconds) return;
  const w = ctx.windowSeconds * 1e6;
  for (const kind of ["some", "full"] as const) {
    const e = n(psi[`${kind}_total_us`]);
    const b = n(start[`${kind}_total_us`]);
    if (e !== undefined && b !== undefined && e >= b) {
      bag.set(
        `psi.${resource}.${kind}_pct`,
        Math.min(100, round(((e - b) / w) * 100) ?? 0),
        id,
        line,
      );
    }
  }
}

/** Distinct values, in first-seen order. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
