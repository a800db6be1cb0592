import type { Collector } from "../collectors/types.js";
import { SOURCES } from "./index.js";

/**
 * Every collector of the sources registry, loaded once when this module is first imported (the
 * engine, `diagbot collectors`), in the order of the report's collector table. `diagbot parse`
 * and the evidence reader never import it, so they load no collector.
 *
 * @throws at import when a source's collector carries another id than the source (a wrong
 *   entry in the registry)
 */
export const COLLECTORS: readonly Collector[] = await Promise.all(
  SOURCES.flatMap((s) => (s.collector ? [s.collector().then((c) => checked(s.id, c))] : [])),
);

function checked(id: string, collector: Collector): Collector {
  if (collector.id !== id) throw new Error(`source ${id}: its collector is ${collector.id}`);
  return collector;
}

const BY_ID: ReadonlyMap<string, Collector> = new Map(COLLECTORS.map((c) => [c.id, c]));

/** The collector with this id, if any. */
export function collectorById(id: string): Collector | undefined {
  return BY_ID.get(id);
}
