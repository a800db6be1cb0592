import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of /proc/net/sockstat and /proc/net/sockstat6 (collector `sockstat`:
 * `cat /proc/net/sockstat /proc/net/sockstat6`).
 *
 * ```
 * sockets: used 31
 * TCP: inuse 11 orphan 0 tw 2 alloc 14 mem 249
 * UDP: inuse 0 mem 0
 * UDPLITE: inuse 0
 * RAW: inuse 0
 * FRAG: inuse 0 memory 0
 * TCP6: inuse 2
 * ```
 * Yields: `sockets_used = 31`, `protocols.tcp.inuse = 11`, `protocols.tcp.tw = 2`.
 * Yields: `protocols.tcp.mem_pages = 249`.
 *
 * Every `PROTO: key value ...` line becomes `protocols.<proto lowercase>.<key>`, with units
 * in the names where the field has one:
 * - `mem` (TCP, UDP) is in PAGES (the kernel's sk_memory_allocated, compared with
 *   net.ipv4.tcp_mem / udp_mem, which are in pages too): `mem_pages`;
 * - `memory` (FRAG) is in bytes: `memory_bytes`;
 * - `inuse`, `orphan` (sockets no process holds; limit net.ipv4.tcp_max_orphans), `tw`
 *   (TIME-WAIT sockets; limit net.ipv4.tcp_max_tw_buckets), `alloc` are socket counts.
 * Files may come with `==> path <==` markers; other lines are problems.
 *
 * Source: proc(5); kernel `net/ipv4/proc.c` (sockstat_seq_show) and `net/ipv6/proc.c`.
 */
export interface SockstatFacts {
  /** `sockets: used N`: all sockets of the system. */
  sockets_used?: number;
  /** `tcp`, `udp`, `udplite`, `raw`, `frag`, `tcp6`, `udp6`, `udplite6`, `raw6`, `frag6`, … */
  protocols: Record<string, Record<string, number>>;
}

const UNIT: Record<string, string> = { mem: "mem_pages", memory: "memory_bytes" };

/**
 * Parses /proc/net/sockstat(6) (see {@link SockstatFacts}).
 * @throws UnrecognisedOutputError when no sockstat line was found.
 */
export function parseSockstat(lines: Iterable<string>): ParseResult<SockstatFacts> {
  const problems = new ProblemLog();
  const facts: SockstatFacts = { sockets_used: undefined, protocols: {} };
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "" || /^==> .* <==$/.test(trimmed)) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*):\s+(.*)$/.exec(trimmed);
    const t = m ? fields(m[2]) : [];
    if (
      !m ||
      t.length < 2 ||
      t.length % 2 !== 0 ||
      t.some((x, i) => i % 2 === 1 && !/^\d+$/.test(x))
    ) {
      problems.add(n, line, "not a sockstat line");
      continue;
    }
    const values: Record<string, number> = {};
    for (let i = 0; i < t.length; i += 2) values[UNIT[t[i]] ?? t[i]] = Number(t[i + 1]);
    if (m[1] === "sockets") {
      if (values.used !== undefined) facts.sockets_used = values.used;
    } else {
      facts.protocols[m[1].toLowerCase()] = values;
    }
    found = true;
  }
  if (!found) throw new UnrecognisedOutputError("sockstat");
  return { facts, problems: problems.list() };
}
