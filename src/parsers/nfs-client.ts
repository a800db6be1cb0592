import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * NFS client statistics, from `cat /proc/net/rpc/nfs` (collector `nfs-client`):
 *
 * ```
 * net 18628 0 18628 6
 * rpc 4329785 0 4338291
 * proc2 18 2 69 0 0 4410 0 0 0 0 0 0 0 0 0 0 0 99 2
 * proc3 22 1 4084749 29200 94754 32580 186 47747 7981 8639 0 6356 0 6962 0 7958 0 0 241 4 4 2 39
 * ```
 * Yields: `rpc.calls = 4329785`, `rpc.retrans = 0`, `net.tcp_connections = 6`,
 * `versions["3"][1] = 4084749`.
 *
 * The kernel prints (net/sunrpc/stats.c rpc_proc_show; nfsstat(8) `-c` reads the same file):
 * - `net <packets> <udp> <tcp> <tcp connections>`;
 * - `rpc <calls> <retrans> <authrefresh>`: RPC calls sent, requests sent again (after no reply
 *   within the mount's `timeo`, or over a new connection after the old one broke; net/sunrpc/
 *   xprt.c xprt_request_transmit counts a re-sent request), credential refreshes;
 * - `proc<V> <n> <count>…`: for each NFS version V the client knows, `n` procedures and
 *   the calls of each, in the protocol's procedure order.
 *
 * Every value is an unsigned 32-bit count (`%u`) since the sunrpc module was loaded: it wraps
 * at 2^32 and starts again at 0 when the module is reloaded. The file exists only while the
 * nfs client module is loaded; a host without it has nothing to parse. A `procV` line whose
 * count of values differs from `n` is kept and recorded as a problem; other lines are problems.
 */
export interface NfsClientFacts {
  net?: { packets: number; udp: number; tcp: number; tcp_connections: number };
  rpc?: { calls: number; retrans: number; authrefresh: number };
  /** Calls per procedure by NFS version (`"3"` → the counts of `proc3`). */
  versions: Record<string, number[]>;
}

const COUNTS = /^\d+$/;

/**
 * Parses /proc/net/rpc/nfs (see {@link NfsClientFacts}).
 * @throws UnrecognisedOutputError when no `rpc` line was found.
 */
export function parseNfsClient(lines: Iterable<string>): ParseResult<NfsClientFacts> {
  const problems = new ProblemLog();
  const facts: NfsClientFacts = { versions: {} };
  let n = 0;
  for (const line of lines) {
    n++;
    const t = fields(line);
    if (t.length === 0 || /^==> .* <==$/.test(line.trim())) continue;
    const values = t.slice(1);
    if (values.length === 0 || !values.every((v) => COUNTS.test(v))) {
      problems.add(n, line, "not an NFS client statistics line");
      continue;
    }
    const v = values.map(Number);
    const version = /^proc(\d+)$/.exec(t[0]);
    if (t[0] === "rpc" && v.length === 3) {
      facts.rpc = { calls: v[0], retrans: v[1], authrefresh: v[2] };
    } else if (t[0] === "net" && v.length === 4) {
      facts.net = { packets: v[0], udp: v[1], tcp: v[2], tcp_connections: v[3] };
    } else if (version) {
      facts.versions[version[1]] = v.slice(1);
      if (v[0] !== v.length - 1)
        problems.add(n, line, `proc${version[1]} declares ${v[0]} procedures, has ${v.length - 1}`);
    } else {
      problems.add(n, line, "not an NFS client statistics line");
    }
  }
  if (!facts.rpc) throw new UnrecognisedOutputError("nfs-client", "no `rpc` line was found");
  return { facts, problems: problems.list() };
}
