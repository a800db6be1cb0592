import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Free pages against the watermarks of each memory zone, from `cat /proc/zoneinfo`:
 *
 * ```
 * Node 0, zone   Normal
 *   pages free     21385
 *         min      16906
 *         low      21132
 *         high     25358
 *         managed  3236416
 * ```
 * Yields: `zones[0].free_pages = 21385`, `zones[0].low_pages = 21132`, `zones[0].zone = "Normal"`.
 *
 * Units: pages (the page size is not printed; 4 KiB on x86-64). A zone whose `free` is at
 * or under `low` wakes kswapd; under `min` allocations enter direct reclaim. Per-node and
 * per-CPU statistics lines are skipped, not problems.
 *
 * Source: kernel mm/vmstat.c (zoneinfo_show_print); Documentation/admin-guide/sysctl/vm.rst
 * (min_free_kbytes, watermark_scale_factor).
 */
export interface ZoneinfoFacts {
  zones: Zone[];
  /** Zones with managed pages whose free pages are at or under their `low` watermark. */
  under_low: string[];
  /** Zones with managed pages whose free pages are under their `min` watermark. */
  under_min: string[];
}

export interface Zone {
  node: number;
  zone: string;
  free_pages?: number;
  min_pages?: number;
  low_pages?: number;
  high_pages?: number;
  managed_pages?: number;
}

const HEAD = /^Node\s+(\d+),\s+zone\s+(\S+)/;
const FIELD = /^\s+(?:pages\s+)?(free|min|low|high|managed)\s+(\d+)\s*$/;
const KNOWN =
  /^\s+(?:[a-z_]+(?:\s+\d+)?|per-node stats|pagesets|cpu:\s*\d+|protection: .*|[a-z_]+:\s*\d+|start_pfn:\s+\d+|node_unreclaimable:\s+\d+|spanned\s+\d+|present\s+\d+|cma\s+\d+)\s*$/;

/** Parses `/proc/zoneinfo` (see {@link ZoneinfoFacts}). Throws when no zone header was found. */
export function parseZoneinfo(lines: Iterable<string>): ParseResult<ZoneinfoFacts> {
  const problems = new ProblemLog();
  const zones: Zone[] = [];
  let zone: Zone | undefined;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const head = HEAD.exec(line);
    if (head) {
      zone = { node: Number(head[1]), zone: head[2] };
      zones.push(zone);
      continue;
    }
    const f = FIELD.exec(line);
    if (f && zone) {
      const key = f[1] === "free" ? "free_pages" : (`${f[1]}_pages` as const);
      zone[key as keyof Omit<Zone, "node" | "zone">] = Number(f[2]);
    } else if (!KNOWN.test(line)) problems.add(n, line, "not a /proc/zoneinfo line");
  }
  if (zones.length === 0)
    throw new UnrecognisedOutputError("zoneinfo", "no `Node N, zone NAME` line was found");
  const managed = zones.filter((z) => (z.managed_pages ?? 0) > 0 && z.free_pages !== undefined);
  const name = (z: Zone) => `${z.node}/${z.zone}`;
  return {
    facts: {
      zones,
      under_low: managed
        .filter((z) => z.low_pages !== undefined && z.free_pages! <= z.low_pages)
        .map(name),
      under_min: managed
        .filter((z) => z.min_pages !== undefined && z.free_pages! < z.min_pages)
        .map(name),
    },
    problems: problems.list(),
  };
}
