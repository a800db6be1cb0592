import { FAMILIES } from "../../../src/parsers/dmesg/families.js";
import { readPrefix } from "../../../src/parsers/dmesg/prefix.js";
import { type Family, KernelLogReader } from "../../../src/parsers/dmesg/reader.js";
import type { DmesgEvent } from "../../../src/parsers/dmesg.js";

/**
 * Reads `lines` with one family's classifier alone (the reader's report mechanics included):
 * the events it gives, in line order, without the `boot` mark the reader adds.
 */
export function readWith(family: Family, lines: readonly string[]): DmesgEvent[] {
  const r = new KernelLogReader();
  for (const line of lines) {
    r.n++;
    const p = readPrefix(line);
    if (r.take(p, p.msg)) continue;
    r.closeGroup();
    family.classify(r, p, p.msg.trimStart(), line);
  }
  r.closeGroup();
  const events = [...r.stores.values()].flatMap((s) => s.list());
  for (const e of events) delete (e as { boot?: number }).boot;
  return events.sort((a, b) => a.line - b.line);
}

/** The family is in the reader's array, and names the kernel sources of its patterns. */
export function isListed(family: Family): boolean {
  return FAMILIES.includes(family) && family.sources.length > 0;
}
