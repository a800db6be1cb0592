import type { ListenerRow, SocketRow, SocketTableFacts } from "../parsers/ss.js";
import type { SsSummaryFacts } from "../parsers/ss-summary.js";
import type { SysctlFacts } from "../parsers/sysctl.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, counter, factsOf, n, obj, pct, round, startOf } from "./util.js";

/**
 * Network facts: listeners' accept queues against their backlogs (`ss -ltn`), the socket
 * table by state (`ss -tan`, `netstat -tan`), the kernel's TCP counters over the window
 * (`nstat`, `netstat -s`), and TCP socket memory and orphans (`/proc/net/sockstat`, `ss -s`)
 * against net.ipv4.tcp_mem and tcp_max_orphans.
 *
 * Listen backlog (listen(2), Documentation/networking/ip-sysctl.rst): the effective backlog
 * is min(the application's listen() backlog, net.core.somaxconn), shown as a listener's
 * Send-Q by ss; Recv-Q is the accept queue now. Raising somaxconn helps only when the
 * effective backlog equals somaxconn (`net.listen.backlog_capped_by` = `somaxconn`);
 * otherwise the application's own backlog is the cap.
 *
 * Counters (Documentation/networking/snmp_counter.rst) only grow: with a start snapshot they
 * are judged over the window (`*_per_s`, deltas); from one snapshot they are totals since
 * boot and `net.tcp.since_boot` is true.
 */

const TABLE = ["ss-tcp", "netstat-conn", "ss-listen"] as const;
/**
 * The fewest segments sent to one peer whose retransmit share is judged: the sample the
 * host-wide counter rule asks of TcpOutSegs (runbooks/network.yaml network-retransmits-loss).
 */
const LOSS_PEER_MIN_SEGS = 1000;
const COUNTERS = ["nstat", "netstat-s"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "net.listen.worst.local",
    type: "string",
    from: ["ss-listen", "ss-tcp", "netstat-conn"],
    doc: "Address:port of the listener with the fullest accept queue.",
  },
  {
    path: "net.listen.worst.process",
    type: "string",
    from: ["ss-listen", "ss-tcp", "netstat-conn"],
    doc: "Process holding that listener, when shown (-p).",
  },
  {
    path: "net.listen.worst.recv_q",
    type: "number",
    unit: "connections",
    from: ["ss-listen", "ss-tcp", "netstat-conn"],
    doc: "Its accept queue now (Recv-Q).",
  },
  {
    path: "net.listen.worst.backlog",
    type: "number",
    unit: "connections",
    from: ["ss-listen", "ss-tcp"],
    doc: "Its effective backlog (ss Send-Q) = min(listen() backlog, somaxconn).",
  },
  {
    path: "net.listen.worst.queue_pct",
    says: "fullest accept queue at {} of its backlog",
    type: "number",
    unit: "%",
    from: ["ss-listen", "ss-tcp"],
    doc: "Recv-Q / backlog × 100.",
  },
  {
    path: "net.listen.full",
    type: "number",
    unit: "count",
    from: ["ss-listen", "ss-tcp"],
    doc: "Listeners whose accept queue is at or above their backlog now.",
  },
  {
    path: "net.listen.backlog_capped_by",
    type: "string",
    from: ["ss-listen", "sysctl"],
    doc: "`somaxconn` when the worst listener's backlog equals net.core.somaxconn, else `application` (its listen() backlog is smaller).",
  },
  {
    path: "net.listen.capped_by_somaxconn",
    says: {
      yes: "the fullest accept queue's backlog is capped at net.core.somaxconn",
      no: "the fullest accept queue's backlog is the application's, below net.core.somaxconn",
    },
    type: "boolean",
    from: ["ss-listen", "sysctl"],
    doc: "True when the worst listener's backlog equals net.core.somaxconn: raising somaxconn (and the application's backlog) helps.",
  },
  {
    path: "net.listen.capped_by_application",
    type: "boolean",
    from: ["ss-listen", "sysctl"],
    doc: "True when the worst listener's backlog is below net.core.somaxconn: the application's listen() backlog is the cap.",
  },
  {
    path: "net.listen.overflows",
    says: "{} accept-queue overflows",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtListenOverflows: connections dropped because an accept queue was full (over the window, or since boot).",
  },
  {
    path: "net.listen.overflows_per_s",
    says: "accept-queue overflows at {}",
    type: "number",
    unit: "/s",
    from: COUNTERS,
    doc: "Accept-queue overflows per second over the window.",
  },
  {
    path: "net.listen.overflow_pct",
    says: "{} of incoming connections dropped at a full accept queue",
    type: "number",
    unit: "%",
    from: COUNTERS,
    doc: "ListenOverflows / (ListenOverflows + TcpPassiveOpens) × 100: the share of incoming connections dropped at a full accept queue (window, or since boot).",
  },
  {
    path: "net.listen.drops",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtListenDrops: SYNs to listeners dropped for any reason (window or since boot).",
  },
  {
    path: "net.sockets.tcp",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "TCP sockets in the socket table (listeners excluded).",
  },
  {
    path: "net.sockets.estab",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "ESTABLISHED sockets.",
  },
  {
    path: "net.sockets.syn_recv",
    says: "{} half-open (SYN-RECV) sockets",
    type: "number",
    unit: "sockets",
    from: [...TABLE, "ss-summary"],
    doc: "SYN-RECV sockets: half-open connections waiting for the client's ACK.",
  },
  {
    path: "net.sockets.syn_recv_peers",
    says: "{} peers with half-open sockets",
    type: "number",
    unit: "addresses",
    from: TABLE,
    doc: "Distinct peer addresses among SYN-RECV sockets.",
  },
  {
    path: "net.sockets.syn_recv_pct",
    says: "half-open sockets {} of TCP sockets",
    type: "number",
    unit: "%",
    from: TABLE,
    doc: "SYN-RECV share of the TCP sockets.",
  },
  {
    path: "net.sockets.syn_sent",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "SYN-SENT sockets: outgoing connects not yet answered.",
  },
  {
    path: "net.sockets.time_wait",
    type: "number",
    unit: "sockets",
    from: [...TABLE, "ss-summary", "sockstat"],
    doc: "TIME-WAIT sockets (each holds its local port for 60 s).",
  },
  {
    path: "net.sockets.close_wait",
    says: "{} CLOSE-WAIT sockets",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "CLOSE-WAIT sockets: the peer closed, the local application has not called close().",
  },
  {
    path: "net.sockets.close_wait_unread",
    says: "{} CLOSE-WAIT sockets with unread data",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "CLOSE-WAIT sockets with unread data (Recv-Q > 0): the application stopped reading them.",
  },
  {
    path: "net.sockets.close_wait_idle_s",
    says: "oldest CLOSE-WAIT socket idle for {}",
    type: "number",
    unit: "s",
    from: ["ss-tcp"],
    doc: "Longest time since a CLOSE-WAIT socket last received (ss -i lastrcv).",
  },
  {
    path: "net.sockets.close_wait_process",
    type: "string",
    from: TABLE,
    doc: "Process holding the most CLOSE-WAIT sockets, when shown.",
  },
  {
    path: "net.sockets.top_dest",
    type: "string",
    from: TABLE,
    doc: "Remote address:port with the most client sockets (ESTAB, TIME-WAIT, SYN-SENT) from this host.",
  },
  {
    path: "net.sockets.top_dest_sockets",
    type: "number",
    unit: "sockets",
    from: TABLE,
    doc: "Client sockets to that destination.",
  },
  {
    path: "net.sockets.top_dest_pct_of_ports",
    says: "connections to the busiest destination use {} of the local port range",
    type: "number",
    unit: "%",
    from: [...TABLE, "sysctl"],
    doc: "Those sockets as % of the local port range (one local port each, per local address); the default range 32768-60999 when sysctl was not read.",
  },
  {
    path: "net.sockets.retrans_sockets",
    type: "number",
    unit: "sockets",
    from: ["ss-tcp"],
    doc: "Sockets with retransmits (ss -i retrans).",
  },
  {
    path: "net.sockets.retrans_top_peer",
    type: "string",
    from: ["ss-tcp"],
    doc: "The peer address whose connections retransmitted most (ss -i retrans:N/TOTAL, summed per peer).",
  },
  {
    path: "net.sockets.retrans_top_peer_segs",
    type: "number",
    unit: "segments",
    from: ["ss-tcp"],
    doc: "Retransmits of the connections to that peer (tcpi_total_retrans, lifetime of each connection).",
  },
  {
    path: "net.sockets.loss_peer",
    type: "string",
    from: ["ss-tcp"],
    doc: `The peer address whose connections retransmitted the largest share of the segments they sent (ss -i retrans:N/TOTAL against segs_out, summed per peer), among peers sent at least ${LOSS_PEER_MIN_SEGS} segments.`,
  },
  {
    path: "net.sockets.loss_peer_retrans_pct",
    says: "connections to one peer retransmitted {} of their segments",
    type: "number",
    unit: "%",
    from: ["ss-tcp"],
    doc: "Their retransmits (tcpi_total_retrans, counted with TcpRetransSegs) / all segments they sent (tcpi_segs_out, retransmits included) × 100, over the life of each connection shown.",
  },
  {
    path: "net.sockets.loss_peer_segs_out",
    says: "{} segments sent to that peer",
    type: "number",
    unit: "segments",
    from: ["ss-tcp"],
    doc: "Segments those connections sent (segs_out), retransmits included.",
  },
  {
    path: "net.sockets.loss_peer_retrans",
    type: "number",
    unit: "segments",
    from: ["ss-tcp"],
    doc: "Segments those connections retransmitted (the TOTAL of retrans:N/TOTAL).",
  },
  {
    path: "net.sockets.loss_peer_connections",
    type: "number",
    unit: "sockets",
    from: ["ss-tcp"],
    doc: "Connections to that peer with segs_out shown.",
  },
  {
    path: "net.tcp.since_boot",
    says: {
      yes: "TCP counters read once (totals since boot)",
      no: "TCP counters read over the window",
    },
    type: "boolean",
    from: COUNTERS,
    doc: "True when the TCP counters were read once: totals since boot, not the window.",
  },
  {
    path: "net.tcp.out_segs",
    says: "{} TCP segments sent",
    type: "number",
    unit: "segments",
    from: COUNTERS,
    doc: "TcpOutSegs over the window (or since boot).",
  },
  {
    path: "net.tcp.retrans_segs",
    type: "number",
    unit: "segments",
    from: COUNTERS,
    doc: "TcpRetransSegs over the window (or since boot).",
  },
  {
    path: "net.tcp.retrans_per_s",
    type: "number",
    unit: "/s",
    from: COUNTERS,
    doc: "Retransmitted segments per second over the window.",
  },
  {
    path: "net.tcp.retrans_pct",
    says: "{} of TCP segments retransmitted",
    type: "number",
    unit: "%",
    from: COUNTERS,
    doc: "RetransSegs / OutSegs × 100 (over the window, or since boot).",
  },
  {
    path: "net.tcp.syncookies_sent",
    says: "{} SYN cookies sent",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtSyncookiesSent: SYN cookies sent because a SYN queue was full.",
  },
  {
    path: "net.tcp.syn_queue_cookies",
    says: "{} SYNs answered with a cookie because the SYN queue was full",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtTCPReqQFullDoCookies: SYNs that found the SYN queue full and were answered with a cookie (net/ipv4/tcp_input.c tcp_syn_flood_action; every SYN when tcp_syncookies = 2).",
  },
  {
    path: "net.tcp.syn_queue_drops",
    says: "{} SYNs dropped because the SYN queue was full",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtTCPReqQFullDrop: SYNs dropped with the SYN queue full and cookies off.",
  },
  {
    path: "net.tcp.memory_pressures",
    says: "TCP entered memory pressure {} times",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtTCPMemoryPressures: times TCP entered memory pressure.",
  },
  {
    path: "net.tcp.abort_on_memory",
    type: "number",
    unit: "count",
    from: COUNTERS,
    doc: "TcpExtTCPAbortOnMemory: connections reset for lack of TCP memory or orphans over the limit.",
  },
  {
    path: "net.tcp.mem_pages",
    type: "number",
    unit: "pages",
    from: ["sockstat"],
    doc: "TCP socket memory in pages (sockstat TCP mem).",
  },
  {
    path: "net.tcp.mem_pct_of_pressure",
    says: "TCP memory at {} of its pressure threshold",
    type: "number",
    unit: "%",
    from: ["sockstat", "sysctl"],
    doc: "TCP memory / tcp_mem pressure threshold × 100.",
  },
  {
    path: "net.tcp.mem_pct_of_max",
    type: "number",
    unit: "%",
    from: ["sockstat", "sysctl"],
    doc: "TCP memory / tcp_mem max × 100.",
  },
  {
    path: "net.tcp.time_wait",
    says: "{} TIME-WAIT sockets",
    type: "number",
    unit: "sockets",
    from: ["sockstat"],
    doc: "TIME-WAIT sockets of the network namespace, IPv4 and IPv6, either end (sockstat TCP tw: the count of tcp_death_row).",
  },
  {
    path: "net.tcp.time_wait_pct_of_ports",
    says: "TIME-WAIT sockets at {} of the local port range",
    type: "number",
    unit: "%",
    from: ["sockstat", "sysctl"],
    doc: "sockstat TIME-WAIT sockets / the ports of net.ipv4.ip_local_port_range × 100: at 100 or more, they are enough to hold every local port towards one destination.",
  },
  {
    path: "net.tcp.orphans",
    type: "number",
    unit: "sockets",
    from: ["sockstat", "ss-summary"],
    doc: "Orphaned TCP sockets (no process holds them).",
  },
  {
    path: "net.tcp.orphans_pct_of_max",
    says: "orphaned sockets at {} of tcp_max_orphans",
    type: "number",
    unit: "%",
    from: ["sockstat", "ss-summary", "sysctl"],
    doc: "Orphans / net.ipv4.tcp_max_orphans × 100.",
  },
];

/** The collectors whose output is a socket table (ss's or netstat's). */
type SocketTableId = "ss-tcp" | "netstat-conn" | "ss-listen";

function socketTable(
  parsed: ParsedSet,
): { facts: SocketTableFacts; id: SocketTableId } | undefined {
  const candidates = (["ss-tcp", "netstat-conn", "ss-listen"] as const)
    .map((id) => ({ id, facts: factsOf(parsed, id) }))
    .filter((c): c is { id: SocketTableId; facts: SocketTableFacts } => c.facts !== undefined);
  // The table that shows the most non-listening sockets.
  return candidates.sort(
    (a, b) =>
      arr<SocketRow>(b.facts.sockets).filter((s) => s.state !== "LISTEN").length -
      arr<SocketRow>(a.facts.sockets).filter((s) => s.state !== "LISTEN").length,
  )[0];
}

function endpoint(addr: string, port?: number | string): string {
  const a = addr.includes(":") && !addr.startsWith("[") ? `[${addr}]` : addr;
  return port === undefined ? a : `${a}:${port}`;
}

function sockLine(r: SocketRow): string {
  return `${r.netid ?? "tcp"} ${r.state ?? "?"} ${r.recv_q ?? 0} ${r.send_q ?? 0} ${endpoint(r.local_address, r.local_port ?? r.local_port_name)} ${endpoint(r.peer_address, r.peer_port ?? r.peer_port_name)}${r.process?.length ? ` ${r.process[0].name}` : ""}`;
}

function isTcp(r: SocketRow): boolean {
  return r.netid === undefined || r.netid === "tcp";
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const sc = factsOf(parsed, "sysctl");
  listenerFacts(parsed, sc, bag);
  const table = socketTable(parsed);
  if (table) socketTableFacts(parsed, table, sc, bag);
  const sum = summaryFacts(parsed, table !== undefined, bag);
  counterFacts(parsed, ctx, bag);
  memoryFacts(parsed, sc, table !== undefined, sum, bag);
  return bag;
}

/** The fullest listen queue: ss-listen first (it has Send-Q = backlog), else whatever table has listeners. */
function listenerFacts(parsed: ParsedSet, sc: SysctlFacts | undefined, bag: FactBag): void {
  const lsrc = (["ss-listen", "ss-tcp", "netstat-conn"] as const).find(
    (id) => arr(factsOf(parsed, id)?.listeners).length > 0,
  );
  if (lsrc) {
    const lf = factsOf(parsed, lsrc)!;
    const w: ListenerRow | undefined =
      lf.worst_listener ??
      [...arr<ListenerRow>(lf.listeners)].sort((a, b) => (b.recv_q ?? 0) - (a.recv_q ?? 0))[0];
    if (w) {
      const local = endpoint(w.local_address, w.local_port ?? w.local_port_name);
      const line = `LISTEN ${w.recv_q} ${w.backlog ?? "-"} ${local}${w.process?.length ? ` ${w.process[0].name}` : ""}`;
      bag.set("net.listen.worst.local", local, lsrc, line);
      bag.set("net.listen.worst.process", w.process?.[0]?.name, lsrc, line);
      bag.set("net.listen.worst.recv_q", n(w.recv_q), lsrc, line);
      bag.set("net.listen.worst.backlog", n(w.backlog), lsrc, line);
      bag.set("net.listen.worst.queue_pct", n(w.queue_pct), lsrc, line);
      if (lsrc !== "netstat-conn") bag.set("net.listen.full", n(lf.listeners_full), lsrc, line);
      const somax = n(sc?.net_core_somaxconn);
      if (somax !== undefined && n(w.backlog) !== undefined) {
        const bySomax = (w.backlog as number) >= somax;
        const cline = `${line}; net.core.somaxconn = ${somax}`;
        bag.set(
          "net.listen.backlog_capped_by",
          bySomax ? "somaxconn" : "application",
          "sysctl",
          cline,
        );
        bag.set("net.listen.capped_by_somaxconn", bySomax, "sysctl", cline);
        bag.set("net.listen.capped_by_application", !bySomax, "sysctl", cline);
      }
    }
  }
}

/** The TCP sockets by state, CLOSE-WAIT holders, the busiest destination and the lossiest peer. */
function socketTableFacts(
  parsed: ParsedSet,
  table: NonNullable<ReturnType<typeof socketTable>>,
  sc: SysctlFacts | undefined,
  bag: FactBag,
): void {
  const { facts: tf, id } = table;
  const tcp = arr<SocketRow>(tf.sockets).filter((r) => isTcp(r) && r.state !== "LISTEN");
  const inState = (st: string) => tcp.filter((r) => r.state === st);
  const synRecv = inState("SYN-RECV");
  const closeWait = inState("CLOSE-WAIT");
  bag.set("net.sockets.tcp", tcp.length, id);
  bag.set("net.sockets.estab", inState("ESTAB").length, id);
  bag.set("net.sockets.syn_sent", inState("SYN-SENT").length, id);
  bag.set("net.sockets.time_wait", inState("TIME-WAIT").length, id);
  bag.set(
    "net.sockets.syn_recv",
    synRecv.length,
    id,
    synRecv[0] ? sockLine(synRecv[0]) : undefined,
  );
  const peers = new Set(synRecv.map((r) => r.peer_address)).size;
  bag.set("net.sockets.syn_recv_peers", peers, id, synRecv[0] ? sockLine(synRecv[0]) : undefined);
  if (tcp.length > 0) bag.set("net.sockets.syn_recv_pct", pct(synRecv.length, tcp.length), id);
  const cwLine = closeWait[0] ? sockLine(closeWait[0]) : undefined;
  bag.set("net.sockets.close_wait", closeWait.length, id, cwLine);
  const unread = closeWait.filter((r) => (r.recv_q ?? 0) > 0);
  bag.set(
    "net.sockets.close_wait_unread",
    unread.length,
    id,
    unread[0] ? sockLine(unread[0]) : cwLine,
  );
  closeWaitIdle(parsed, id, bag);
  closeWaitHolder(closeWait, id, cwLine, bag);
  topDestination(tcp, id, sc, bag);
  retransFacts(tf, tcp, id, bag);
}

/** Idle time of the longest-idle CLOSE-WAIT socket: it needs ss -i detail, which the chosen table may lack, so every table is looked in. */
function closeWaitIdle(parsed: ParsedSet, id: SocketTableId, bag: FactBag): void {
  for (const tid of ["ss-tcp", "netstat-conn", id] as const) {
    const rows = arr<SocketRow>(factsOf(parsed, tid)?.sockets).filter(
      (r) => r.state === "CLOSE-WAIT" && n(obj(r.info)?.lastrcv_ms) !== undefined,
    );
    if (rows.length === 0) continue;
    const worst = rows.sort(
      (a, b) => (n(b.info?.lastrcv_ms) ?? 0) - (n(a.info?.lastrcv_ms) ?? 0),
    )[0];
    bag.set(
      "net.sockets.close_wait_idle_s",
      round((n(worst.info?.lastrcv_ms) ?? 0) / 1000),
      tid,
      `${sockLine(worst)} lastrcv:${worst.info?.lastrcv_ms}`,
    );
    break;
  }
}

function closeWaitHolder(
  closeWait: SocketRow[],
  id: string,
  cwLine: string | undefined,
  bag: FactBag,
): void {
  const holders = new Map<string, number>();
  for (const r of closeWait) {
    const name = r.process?.[0]?.name;
    if (name) holders.set(name, (holders.get(name) ?? 0) + 1);
  }
  const holder = [...holders].sort((a, b) => b[1] - a[1])[0];
  if (holder) bag.set("net.sockets.close_wait_process", holder[0], id, cwLine);
}

/** Destinations of client sockets: the same remote ip:port uses one local port per socket. */
function topDestination(
  tcp: SocketRow[],
  id: string,
  sc: SysctlFacts | undefined,
  bag: FactBag,
): void {
  const dests = new Map<string, SocketRow[]>();
  for (const r of tcp) {
    if (!["ESTAB", "TIME-WAIT", "SYN-SENT", "FIN-WAIT-1", "FIN-WAIT-2"].includes(r.state ?? ""))
      continue;
    if (r.peer_port === undefined || r.peer_address === "*") continue;
    const key = `${endpoint(r.peer_address, r.peer_port)}|${r.local_address}`;
    const rows = dests.get(key);
    if (rows) rows.push(r);
    else dests.set(key, [r]);
  }
  const top = [...dests].sort((a, b) => b[1].length - a[1].length)[0];
  if (top) {
    const [key, rows] = top;
    const dest = key.split("|")[0];
    const line = `${rows.length} sockets to ${dest}, e.g. ${sockLine(rows[0])}`;
    bag.set("net.sockets.top_dest", dest, id, line);
    bag.set("net.sockets.top_dest_sockets", rows.length, id, line);
    // Without sysctl, the kernel's default range 32768-60999 (ip-sysctl.rst).
    const ports = n(sc?.ip_local_port_count);
    bag.set(
      "net.sockets.top_dest_pct_of_ports",
      pct(rows.length, ports ?? 28232),
      ports !== undefined ? "sysctl" : id,
      `${line}; ${ports ?? "28232 (default)"} local ports`,
    );
  }
}

function retransFacts(tf: SocketTableFacts, tcp: SocketRow[], id: string, bag: FactBag): void {
  if (tf.tcp_info) bag.set("net.sockets.retrans_sockets", n(tf.tcp_info.sockets_with_retrans), id);
  // Where the loss is: the peer whose connections retransmitted most (tcp_info
  // tcpi_total_retrans, which ss -i prints as the total of retrans:N/TOTAL).
  const retransByPeer = new Map<string, { segs: number; row: SocketRow }>();
  for (const r of tcp) {
    const rt = n(r.info?.retrans_total);
    if (!rt || r.peer_address === "*") continue;
    const e = retransByPeer.get(r.peer_address);
    if (e) e.segs += rt;
    else retransByPeer.set(r.peer_address, { segs: rt, row: r });
  }
  const rtop = [...retransByPeer].sort(
    (a, b) => b[1].segs - a[1].segs || a[0].localeCompare(b[0]),
  )[0];
  if (rtop) {
    const [peer, { segs, row }] = rtop;
    const line = `${segs} retransmits on connections to ${peer}, e.g. ${sockLine(row)} retrans:${row.info?.retrans ?? "?"}/${row.info?.retrans_total}`;
    bag.set("net.sockets.retrans_top_peer", peer, id, line);
    bag.set("net.sockets.retrans_top_peer_segs", segs, id, line);
  }
  lossPeer(tcp, id, bag);
}

/**
 * The peer whose connections retransmitted the largest share of what they sent. ss -i prints
 * `segs_out:` (tcpi_segs_out, kernel 4.2+: every segment sent, retransmits included; net/ipv4/
 * tcp_output.c __tcp_transmit_skb, where TcpOutSegs leaves retransmits out) and
 * `retrans:N/TOTAL` only when either is non-zero (iproute2 misc/ss.c tcp_stats_print), TOTAL
 * being tcpi_total_retrans (added with TcpRetransSegs in __tcp_retransmit_skb). A connection
 * with segs_out and no retrans field retransmitted nothing. Sets the `net.sockets.loss_peer*`
 * facts (segments; the share in % of all segments sent).
 */
function lossPeer(tcp: SocketRow[], id: string, bag: FactBag): void {
  const byPeer = new Map<string, { out: number; re: number; conns: number; row: SocketRow }>();
  for (const r of tcp) {
    const out = n(r.info?.segs_out);
    if (out === undefined || r.peer_address === "*") continue;
    const re = n(r.info?.retrans_total) ?? 0;
    const e = byPeer.get(r.peer_address);
    if (!e) byPeer.set(r.peer_address, { out, re, conns: 1, row: r });
    else {
      e.out += out;
      e.re += re;
      e.conns += 1;
      if (re > (n(e.row.info?.retrans_total) ?? 0)) e.row = r;
    }
  }
  const worst = [...byPeer]
    .filter(([, e]) => e.out >= LOSS_PEER_MIN_SEGS)
    .sort((a, b) => b[1].re / b[1].out - a[1].re / a[1].out || a[0].localeCompare(b[0]))[0];
  if (!worst) return;
  const [peer, e] = worst;
  const share = round((e.re / e.out) * 100, 3);
  const i = e.row.info ?? {};
  const line = `${e.re} of ${e.out} segments retransmitted on ${e.conns} connections to ${peer}, e.g. ${sockLine(e.row)} segs_out:${i.segs_out}${i.retrans_total !== undefined ? ` retrans:${i.retrans ?? "?"}/${i.retrans_total}` : ""}${i.lost !== undefined ? ` lost:${i.lost}` : ""}`;
  bag.set("net.sockets.loss_peer", peer, id, line);
  bag.set("net.sockets.loss_peer_retrans_pct", share, id, line);
  bag.set("net.sockets.loss_peer_segs_out", e.out, id, line);
  bag.set("net.sockets.loss_peer_retrans", e.re, id, line);
  bag.set("net.sockets.loss_peer_connections", e.conns, id, line);
}

/** ss -s: TIME-WAIT and SYN-RECV counts when no socket table was read, and orphans. */
function summaryFacts(
  parsed: ParsedSet,
  haveTable: boolean,
  bag: FactBag,
): SsSummaryFacts | undefined {
  const sum = factsOf(parsed, "ss-summary");
  if (sum?.tcp) {
    const line = `TCP: ${sum.tcp.total ?? "?"} (estab ${sum.tcp.estab ?? "?"}, closed ${sum.tcp.closed ?? "?"}, orphaned ${sum.tcp.orphaned ?? "?"}, timewait ${sum.tcp.timewait ?? "?"})`;
    if (!haveTable) {
      bag.set("net.sockets.time_wait", n(sum.tcp.timewait), "ss-summary", line);
      bag.set("net.sockets.syn_recv", n(sum.tcp.synrecv), "ss-summary", line);
    }
    bag.set("net.tcp.orphans", n(sum.tcp.orphaned), "ss-summary", line);
  }
  return sum;
}

/** TCP counters over the window (nstat, else netstat -s). */
function counterFacts(parsed: ParsedSet, ctx: DeriveContext, bag: FactBag): void {
  const cid = (["nstat", "netstat-s"] as const).find((id) => factsOf(parsed, id)?.counters);
  if (!cid) return;
  const end = factsOf(parsed, cid)!.counters ?? {};
  const start = startOf(parsed, cid)?.counters;
  const read = (name: string) =>
    counter(n(end[name]), start ? (n(start[name]) ?? 0) : undefined, ctx.windowSeconds);
  const out = read("TcpOutSegs");
  const re = read("TcpRetransSegs");
  const mode = out?.mode ?? re?.mode ?? (start && ctx.windowSeconds ? "window" : "since-boot");
  bag.set("net.tcp.since_boot", mode === "since-boot", cid);
  if (mode === "since-boot") {
    bag.sinceBoot = true;
    bag.note(
      `${cid} was read once: TCP counters are totals since boot, not rates over the window.`,
    );
  }
  const span = mode === "window" ? `over ${ctx.windowSeconds} s` : "since boot";
  const setCounter = (path: string, name: string, rate?: string) => {
    const c = read(name);
    if (!c) return;
    const line = `${name} ${c.delta} ${span}`;
    bag.set(path, c.delta, cid, line);
    if (rate && c.per_s !== undefined) bag.set(rate, c.per_s, cid, line);
  };
  setCounter("net.tcp.out_segs", "TcpOutSegs");
  setCounter("net.tcp.retrans_segs", "TcpRetransSegs", "net.tcp.retrans_per_s");
  if (out && re && out.delta > 0) {
    bag.set(
      "net.tcp.retrans_pct",
      round((re.delta / out.delta) * 100, 3),
      cid,
      `TcpRetransSegs ${re.delta} / TcpOutSegs ${out.delta} ${span}`,
    );
  }
  setCounter("net.listen.overflows", "TcpExtListenOverflows", "net.listen.overflows_per_s");
  setCounter("net.listen.drops", "TcpExtListenDrops");
  // Overflows against the connections accepted in the same span: a since-boot total means
  // little alone on a host that accepted millions of connections.
  const ovf = read("TcpExtListenOverflows");
  const opens = read("TcpPassiveOpens");
  if (ovf && opens && ovf.delta + opens.delta > 0) {
    bag.set(
      "net.listen.overflow_pct",
      round((ovf.delta / (ovf.delta + opens.delta)) * 100, 3),
      cid,
      `TcpExtListenOverflows ${ovf.delta}, TcpPassiveOpens ${opens.delta} ${span}`,
    );
  }
  setCounter("net.tcp.syncookies_sent", "TcpExtSyncookiesSent");
  setCounter("net.tcp.syn_queue_cookies", "TcpExtTCPReqQFullDoCookies");
  setCounter("net.tcp.syn_queue_drops", "TcpExtTCPReqQFullDrop");
  setCounter("net.tcp.memory_pressures", "TcpExtTCPMemoryPressures");
  setCounter("net.tcp.abort_on_memory", "TcpExtTCPAbortOnMemory");
}

/** TCP memory and orphans (sockstat) against their sysctl limits. */
function memoryFacts(
  parsed: ParsedSet,
  sc: SysctlFacts | undefined,
  haveTable: boolean,
  sum: SsSummaryFacts | undefined,
  bag: FactBag,
): void {
  const ss = factsOf(parsed, "sockstat");
  const t = obj(ss?.protocols?.tcp);
  if (t) {
    const line = `TCP: inuse ${t.inuse ?? "?"} orphan ${t.orphan ?? "?"} tw ${t.tw ?? "?"} alloc ${t.alloc ?? "?"} mem ${t.mem_pages ?? "?"}`;
    const mem = n(t.mem_pages);
    bag.set("net.tcp.mem_pages", mem, "sockstat", line);
    bag.set(
      "net.tcp.mem_pct_of_pressure",
      pct(mem, n(sc?.net_ipv4_tcp_mem_pages?.[1])),
      "sockstat",
      line,
    );
    bag.set(
      "net.tcp.mem_pct_of_max",
      pct(mem, n(sc?.net_ipv4_tcp_mem_pages?.[2])),
      "sockstat",
      line,
    );
    bag.set("net.tcp.orphans", n(t.orphan), "sockstat", line);
    const ports = n(sc?.ip_local_port_count);
    const twLine = `${line}; ${ports ?? "?"} ports in net.ipv4.ip_local_port_range`;
    bag.set("net.tcp.time_wait", n(t.tw), "sockstat", line);
    bag.set("net.tcp.time_wait_pct_of_ports", pct(n(t.tw), ports), "sockstat", twLine);
    if (!haveTable && !sum?.tcp) bag.set("net.sockets.time_wait", n(t.tw), "sockstat", line);
  }
  const orphans = n(t?.orphan) ?? n(sum?.tcp?.orphaned);
  bag.set(
    "net.tcp.orphans_pct_of_max",
    pct(orphans, n(sc?.net_ipv4_tcp_max_orphans)),
    t ? "sockstat" : "ss-summary",
  );
}

/** The `net` derive module (see the header comment of this file). */
export const netModule: DeriveModule = {
  id: "net",
  needs: [
    "ss-listen",
    "ss-tcp",
    "netstat-conn",
    "sysctl",
    "nstat",
    "netstat-s",
    "ss-summary",
    "sockstat",
  ],
  provides,
  derive,
};
