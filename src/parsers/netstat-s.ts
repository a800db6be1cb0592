import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** A `netstat -s` line whose counter name is not known: kept as text. */
export interface NetstatSUnmapped {
  /** The section it was under (`TcpExt`), "" before any. */
  section: string;
  text: string;
  /** The number in the line, when there is one. */
  value?: number;
}

/**
 * Facts of `netstat -s` (collector `netstat-s`), with every counter under its nstat name, so
 * a rule reads `TcpExtListenOverflows` whether the host gave `nstat` or `netstat -s`.
 *
 * ```
 * Tcp:
 *     12 segments retransmitted
 *     InCsumErrors: 0
 * TcpExt:
 *     1234 times the listen queue of a socket overflowed
 *     5678 SYNs to LISTEN sockets dropped
 *     TCPTimeouts: 2
 * ```
 * Yields: `counters.TcpRetransSegs = 12`, `counters.TcpExtListenOverflows = 1234`.
 * Yields: `counters.TcpExtListenDrops = 5678`.
 *
 * Prose lines are mapped to counter names from net-tools' own tables (statistics.c) with the
 * wordings of old and new versions ("segments retransmited" and "retransmitted", "segments
 * send out" and "sent out", "SYNs to LISTEN sockets ignored" and "dropped", "active
 * connections openings", trailing dots); `Name: value` lines (counters net-tools has no prose
 * for) take the section as prefix (`TcpExt` + `TCPTimeouts`); the ICMP histograms map to
 * `IcmpInDestUnreachs`, `IcmpOutEchos`, …; Ip6/Icmp6/Udp6 sections (`netstat -s -6`) already
 * carry their prefix and Tcp6 maps to `Tcp`. Lines of unknown wording (other net-tools
 * versions, a localised netstat) are kept in `unmapped` with their number.
 *
 * Note: net-tools leaves out many zero counters (its "opt_number" entries and every
 * `Name: value` line), so an absent counter usually means 0.
 *
 * Source: net-tools `statistics.c` (the entry tables), netstat(8); counter meanings in the
 * kernel's Documentation/networking/snmp_counter.rst.
 */
export interface NetstatSFacts {
  /** nstat counter name → value (`TcpExtListenOverflows`, `TcpRetransSegs`, `UdpRcvbufErrors`). */
  counters: Record<string, number>;
  unmapped: NetstatSUnmapped[];
}

type Table = Record<string, string[]>;

const IP: Table = {
  InReceives: ["# total packets received"],
  InHdrErrors: ["# with invalid headers"],
  InAddrErrors: ["# with invalid addresses"],
  ForwDatagrams: ["# forwarded"],
  InUnknownProtos: ["# with unknown protocol"],
  InDiscards: ["# incoming packets discarded"],
  InDelivers: ["# incoming packets delivered"],
  OutRequests: ["# requests sent out"],
  OutDiscards: ["# outgoing packets dropped"],
  OutNoRoutes: ["# dropped because of missing route"],
  ReasmTimeout: ["# fragments dropped after timeout"],
  ReasmReqds: ["# reassemblies required"],
  ReasmOKs: ["# packets reassembled ok"],
  ReasmFails: ["# packet reassemblies failed", "# packet reassembles failed"],
  FragOKs: ["# outgoing packets fragmented ok", "# fragments received ok"],
  FragFails: ["# outgoing packets failed fragmentation", "# fragments failed"],
  FragCreates: ["# fragments created"],
  DefaultTTL: ["default ttl is #"],
};
const IP6: Table = {
  ...Object.fromEntries(Object.entries(IP).map(([k, v]) => [`Ip6${k}`, v])),
  Ip6ForwDatagrams: [],
  Ip6OutForwDatagrams: ["# forwarded"],
  Ip6InMcastPkts: ["# incoming multicast packets"],
  Ip6InNoRoutes: ["# incoming packets with no route"],
  Ip6InTooBigErrors: ["# with packets too big"],
  Ip6InTruncatedPkts: ["# with truncated packets"],
  Ip6OutMcastPkts: ["# outgoing multicast packets"],
};
const ICMP: Table = {
  InMsgs: ["# icmp messages received"],
  InErrors: ["# input icmp message failed"],
  OutMsgs: ["# icmp messages sent"],
  OutErrors: ["# icmp messages failed"],
};
const ICMP_IN: Record<string, string> = {
  "destination unreachable": "InDestUnreachs",
  "timeout in transit": "InTimeExcds",
  "wrong parameters": "InParmProbs",
  "source quenches": "InSrcQuenchs",
  "source quenchs": "InSrcQuenchs",
  redirects: "InRedirects",
  "echo requests": "InEchos",
  "echo replies": "InEchoReps",
  "timestamp request": "InTimestamps",
  "timestamp reply": "InTimestampReps",
  "address mask request": "InAddrMasks",
  "address mask replies": "InAddrMaskReps",
};
const ICMP_OUT: Record<string, string> = {
  "destination unreachable": "OutDestUnreachs",
  "time exceeded": "OutTimeExcds",
  "wrong parameters": "OutParmProbs",
  "source quench": "OutSrcQuenchs",
  redirect: "OutRedirects",
  "echo request": "OutEchos",
  "echo requests": "OutEchos",
  "echo replies": "OutEchoReps",
  "timestamp requests": "OutTimestamps",
  "timestamp replies": "OutTimestampReps",
  "address mask requests": "OutAddrMasks",
  "address mask replies": "OutAddrMaskReps",
};
const ICMP6: Table = {
  Icmp6InMsgs: ["# icmp messages received"],
  Icmp6InErrors: ["# input icmp message failed"],
  Icmp6OutMsgs: ["# icmp messages sent"],
};
const ICMP6_IN: Record<string, string> = {
  "destination unreachable": "Icmp6InDestUnreachs",
  "packets too big": "Icmp6InPktTooBigs",
  "received icmpv6 time exceeded": "Icmp6InTimeExcds",
  "parameter problem": "Icmp6InParmProblems",
  "echo requests": "Icmp6InEchos",
  "echo replies": "Icmp6InEchoReplies",
  "group member queries": "Icmp6InGroupMembQueries",
  "group member responses": "Icmp6InGroupMembResponses",
  "group member reductions": "Icmp6InGroupMembReductions",
  "router solicits": "Icmp6InRouterSolicits",
  "router advertisement": "Icmp6InRouterAdvertisements",
  "neighbour solicits": "Icmp6InNeighborSolicits",
  "neighbour advertisement": "Icmp6InNeighborAdvertisements",
  redirects: "Icmp6InRedirects",
};
const ICMP6_OUT: Record<string, string> = {
  "destination unreachable": "Icmp6OutDestUnreachs",
  "packets too big": "Icmp6OutPktTooBigs",
  "sent icmpv6 time exceeded": "Icmp6OutTimeExcds",
  "parameter problem": "Icmp6OutParmProblems",
  "echo requests": "Icmp6OutEchos",
  "echo replies": "Icmp6OutEchoReplies",
  "group member queries": "Icmp6OutGroupMembQueries",
  "group member responses": "Icmp6OutGroupMembResponses",
  "group member reductions": "Icmp6OutGroupMembReductions",
  "router solicits": "Icmp6OutRouterSolicits",
  "router advertisement": "Icmp6OutRouterAdvertisements",
  "neighbor solicits": "Icmp6OutNeighborSolicits",
  "neighbor advertisements": "Icmp6OutNeighborAdvertisements",
  redirects: "Icmp6OutRedirects",
};
const TCP: Table = {
  ActiveOpens: ["# active connection openings", "# active connections openings", "# active opens"],
  PassiveOpens: ["# passive connection openings", "# passive opens"],
  AttemptFails: ["# failed connection attempts"],
  EstabResets: ["# connection resets received"],
  CurrEstab: ["# connections established"],
  InSegs: ["# segments received"],
  OutSegs: ["# segments sent out", "# segments send out"],
  RetransSegs: ["# segments retransmitted", "# segments retransmited"],
  InErrs: ["# bad segments received"],
  OutRsts: ["# resets sent"],
};
const UDP: Table = {
  InDatagrams: ["# packets received"],
  NoPorts: ["# packets to unknown port received"],
  InErrors: ["# packet receive errors"],
  OutDatagrams: ["# packets sent", "# packets send"],
  RcvbufErrors: ["# receive buffer errors"],
  SndbufErrors: ["# send buffer errors"],
};
const TCP_EXT: Table = {
  SyncookiesSent: ["# syn cookies sent"],
  SyncookiesRecv: ["# syn cookies received"],
  SyncookiesFailed: ["# invalid syn cookies received"],
  EmbryonicRsts: ["# resets received for embryonic syn_recv sockets"],
  PruneCalled: ["# packets pruned from receive queue because of socket buffer overrun"],
  RcvPruned: ["# packets pruned from receive queue"],
  OfoPruned: ["# packets dropped from out-of-order queue because of socket buffer overrun"],
  OutOfWindowIcmps: ["# icmp packets dropped because they were out-of-window"],
  LockDroppedIcmps: ["# icmp packets dropped because socket was locked"],
  TW: ["# tcp sockets finished time wait in fast timer"],
  TWRecycled: ["# time wait sockets recycled by time stamp"],
  TWKilled: ["# tcp sockets finished time wait in slow timer"],
  PAWSPassive: ["# passive connections rejected because of time stamp"],
  PAWSActive: ["# active connections rejected because of time stamp"],
  PAWSEstab: [
    "# packetes rejected in established connections because of timestamp",
    "# packets rejects in established connections because of timestamp",
    "# packets rejected in established connections because of timestamp",
  ],
  DelayedACKs: ["# delayed acks sent"],
  DelayedACKLocked: ["# delayed acks further delayed because of locked socket"],
  DelayedACKLost: ["quick ack mode was activated # times"],
  ListenOverflows: ["# times the listen queue of a socket overflowed"],
  ListenDrops: ["# syns to listen sockets dropped", "# syns to listen sockets ignored"],
  TCPPrequeued: ["# packets directly queued to recvmsg prequeue"],
  TCPDirectCopyFromBacklog: [
    "# bytes directly in process context from backlog",
    "# packets directly received from backlog",
  ],
  TCPDirectCopyFromPrequeue: [
    "# bytes directly received in process context from prequeue",
    "# packets directly received from prequeue",
  ],
  TCPPrequeueDropped: ["# packets dropped from prequeue"],
  TCPHPHits: ["# packet headers predicted"],
  TCPHPHitsToUser: [
    "# packet headers predicted and directly queued to user",
    "# packets header predicted and directly queued to user",
  ],
  TCPPureAcks: [
    "# acknowledgments not containing data payload received",
    "# acknowledgments not containing data received",
  ],
  TCPHPAcks: ["# predicted acknowledgments"],
  TCPRenoRecovery: ["# times recovered from packet loss due to fast retransmit"],
  TCPSackRecovery: [
    "# times recovered from packet loss by selective acknowledgements",
    "# times recovered from packet loss due to sack data",
  ],
  TCPSACKReneging: ["# bad sack blocks received"],
  TCPFACKReorder: ["detected reordering # times using fack"],
  TCPSACKReorder: ["detected reordering # times using sack"],
  TCPRenoReorder: ["detected reordering # times using reno fast retransmit"],
  TCPTSReorder: ["detected reordering # times using time stamp"],
  TCPFullUndo: [
    "# congestion windows fully recovered without slow start",
    "# congestion windows fully recovered",
  ],
  TCPPartialUndo: ["# congestion windows partially recovered using hoe heuristic"],
  TCPDSACKUndo: [
    "# congestion windows recovered without slow start by dsack",
    "# congestion window recovered without slow start using dsack",
    "# congestion window recovered using dsack",
  ],
  TCPLossUndo: [
    "# congestion windows recovered without slow start after partial ack",
    "# congestion windows recovered after partial ack",
  ],
  TCPLoss: ["# tcp data loss events"],
  TCPLostRetransmit: ["# retransmits lost"],
  TCPRenoFailures: ["# timeouts after reno fast retransmit"],
  TCPSackFailures: ["# timeouts after sack recovery"],
  TCPLossFailures: ["# timeouts in loss state"],
  TCPFastRetrans: ["# fast retransmits"],
  TCPForwardRetrans: ["# forward retransmits"],
  TCPSlowStartRetrans: ["# retransmits in slow start"],
  TCPTimeouts: ["# other tcp timeouts"],
  TCPRenoRecoveryFail: ["# classic reno fast retransmits failed", "# reno fast retransmits failed"],
  TCPSackRecoveryFail: ["# sack retransmits failed"],
  TCPSchedulerFailed: ["# times receiver scheduled too late for direct processing"],
  TCPRcvCollapsed: ["# packets collapsed in receive queue due to low socket buffer"],
  TCPDSACKOldSent: ["# dsacks sent for old packets"],
  TCPDSACKOfoSent: ["# dsacks sent for out of order packets"],
  TCPDSACKRecv: ["# dsacks received"],
  TCPDSACKOfoRecv: ["# dsacks for out of order packets received"],
  TCPAbortOnSyn: ["# connections reset due to unexpected syn"],
  TCPAbortOnData: ["# connections reset due to unexpected data"],
  TCPAbortOnClose: ["# connections reset due to early user close"],
  TCPAbortOnMemory: ["# connections aborted due to memory pressure"],
  TCPAbortOnTimeout: ["# connections aborted due to timeout"],
  TCPAbortOnLinger: ["# connections aborted after user close in linger timeout"],
  TCPAbortFailed: ["# times unable to send rst due to no memory"],
  TCPMemoryPressures: ["tcp ran low on memory # times"],
};

interface SectionKind {
  /** Prefix of the nstat name for `Name: value` lines and this table's entries. */
  prefix: string;
  prose: Map<string, string>;
  icmpIn?: Record<string, string>;
  icmpOut?: Record<string, string>;
}

function compile(prefix: string, table: Table): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, templates] of Object.entries(table)) {
    for (const t of templates) map.set(t, `${prefix}${name}`);
  }
  return map;
}

const SECTIONS: Record<string, SectionKind> = {
  Ip: { prefix: "Ip", prose: compile("Ip", IP) },
  Ip6: { prefix: "", prose: compile("", IP6) },
  Icmp: {
    prefix: "Icmp",
    prose: compile("Icmp", ICMP),
    icmpIn: Object.fromEntries(Object.entries(ICMP_IN).map(([k, v]) => [k, `Icmp${v}`])),
    icmpOut: Object.fromEntries(Object.entries(ICMP_OUT).map(([k, v]) => [k, `Icmp${v}`])),
  },
  Icmp6: { prefix: "", prose: compile("", ICMP6), icmpIn: ICMP6_IN, icmpOut: ICMP6_OUT },
  Tcp: { prefix: "Tcp", prose: compile("Tcp", TCP) },
  Tcp6: { prefix: "Tcp", prose: compile("Tcp", TCP) },
  Udp: { prefix: "Udp", prose: compile("Udp", UDP) },
  UdpLite: { prefix: "UdpLite", prose: compile("UdpLite", UDP) },
  Udp6: { prefix: "Udp6", prose: compile("Udp6", UDP) },
  TcpExt: { prefix: "TcpExt", prose: compile("TcpExt", TCP_EXT) },
  Sctp: { prefix: "", prose: new Map() },
};

/** Lowercase, blanks collapsed, trailing dot dropped, the number replaced by `#`. */
function shape(text: string): { key: string; value?: number } {
  let value: number | undefined;
  const key = text
    .trim()
    .replace(/\.$/, "")
    .replace(/\s+/g, " ")
    .toLowerCase()
    .replace(/(^|\s)(\d+)(?=\s|$)/, (_m, pre: string, digits: string) => {
      value = Number(digits);
      return `${pre}#`;
    });
  return { key, value };
}

/**
 * The counter a sentence names in whichever section has it: for lines pasted without their
 * section header (`netstat -s | grep -i listen`). Sentences are unique across sections.
 */
function sentenceInAnySection(text: string): { name: string; value: number } | undefined {
  const { key, value } = shape(text);
  if (value === undefined) return undefined;
  for (const kind of Object.values(SECTIONS)) {
    const name = kind.prose.get(key);
    if (name !== undefined) return { name, value };
  }
  return undefined;
}

/**
 * Parses `netstat -s` (see {@link NetstatSFacts}). Counter sentences before any section
 * header (a filtered paste) are read by {@link sentenceInAnySection}.
 * @throws UnrecognisedOutputError when no section header and no counter line was found.
 */
export function parseNetstatS(lines: Iterable<string>): ParseResult<NetstatSFacts> {
  const problems = new ProblemLog();
  const counters: Record<string, number> = {};
  const unmapped: NetstatSUnmapped[] = [];
  let section = "";
  let kind: SectionKind | undefined;
  let histogram: "in" | "out" | undefined;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const head = /^([A-Za-z][A-Za-z0-9]*):$/.exec(line.trimEnd());
    if (head) {
      section = head[1];
      kind = SECTIONS[section] ?? { prefix: section, prose: new Map() };
      histogram = undefined;
      found = true;
      continue;
    }
    const headless = kind ? undefined : sentenceInAnySection(trimmed);
    if (headless) {
      counters[headless.name] = headless.value;
      found = true;
      continue;
    }
    if (!/^\s/.test(line) || !kind) {
      problems.add(n, line, "not a netstat -s section header or indented counter line");
      continue;
    }
    if (/^icmp(v6)? input histogram:$/i.test(trimmed)) {
      histogram = "in";
      continue;
    }
    if (/^icmp(v6)? output histogram:$/i.test(trimmed)) {
      histogram = "out";
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9_ -]*?):\s*(\d+)$/.exec(trimmed);
    if (kv && histogram && (kind.icmpIn || kind.icmpOut)) {
      const table = histogram === "in" ? kind.icmpIn : kind.icmpOut;
      const name = table?.[kv[1].toLowerCase()];
      if (name) {
        counters[name] = Number(kv[2]);
        found = true;
        continue;
      }
    }
    if (kv && !kv[1].includes(" ")) {
      counters[`${kind.prefix}${kv[1]}`] = Number(kv[2]);
      found = true;
      continue;
    }
    const { key, value } = shape(trimmed);
    const name = kind.prose.get(key);
    if (name !== undefined && value !== undefined) {
      counters[name] = value;
      found = true;
      continue;
    }
    unmapped.push({ section, text: trimmed, ...(value !== undefined ? { value } : {}) });
  }
  if (!found) throw new UnrecognisedOutputError("netstat-s");
  return { facts: { counters, unmapped }, problems: problems.list() };
}
