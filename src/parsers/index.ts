import type { Parser } from "./types.js";

/**
 * The parser of every collector id, loaded on demand so that `diagbot parse <id>` imports only
 * the module it needs. One explicit table; no import side effects.
 */
type Loader = () => Promise<Parser<unknown>>;

export const PARSERS: Readonly<Record<string, Loader>> = {
  uptime: async () => (await import("./uptime.js")).parseUptime,
};

/** Loads the parser for `id`, or undefined when no parser has that id. */
export async function loadParser(id: string): Promise<Parser<unknown> | undefined> {
  const loader = Object.hasOwn(PARSERS, id) ? PARSERS[id] : undefined;
  return loader ? loader() : undefined;
}
