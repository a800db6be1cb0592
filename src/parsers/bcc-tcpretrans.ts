import { fields, ProblemLog } from "./lines.js";
import { splitEndpoint } from "./ss.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One retransmit (R) or tail loss probe (L) traced by tcpretrans. */
export interface TcpretransEvent {
  /** Wall-clock `HH:MM:SS` of the host. */
  time: string;
  /** The PID on-CPU when it happened: 0 (the kernel) most of the time, not the socket's owner. */
  pid: number;
  /** 4 or 6. */
  ip: number;
  local_address: string;
  local_port?: number;
  /** `R` retransmit, `L` tail loss probe (`-l`). */
  type: string;
  peer_address: string;
  peer_port?: number;
  /** The kernel's TCP state name as tcpretrans prints it: `ESTABLISHED`, `SYN_SENT`, … */
  state: string;
  /** TCP sequence number (`-s`). */
  seq?: number;
}

/** One flow of count mode (`-c`). */
export interface TcpretransFlow {
  local_address: string;
  local_port?: number;
  peer_address: string;
  peer_port?: number;
  retransmits: number;
}

/**
 * Facts of bcc's `tcpretrans` (collector `bcc-tcpretrans`, opt-in: `tcpretrans-bpfcc` on
 * Debian, run for the window).
 *
 * ```
 * Tracing retransmits ... Hit Ctrl-C to end
 * TIME     PID    IP LADDR:LPORT          T> RADDR:RPORT          STATE
 * 01:55:05 0      4  10.153.223.157:22    R> 203.0.113.10:34619   ESTABLISHED
 * ```
 * Yields: `events[0].peer_address = "203.0.113.10"`, `events[0].state = "ESTABLISHED"`.
 * Yields: `retransmits = 1`.
 *
 * Variants: the event table (with the `SEQ` column of `-s`; `L>` rows of `-l`), count mode
 * (`-c`: `LADDR:LPORT RADDR:RPORT RETRANSMITS`, endpoints as `10.0.0.1:22 <-> 10.0.0.2:80 700`
 * or, in newer bcc, `[10.0.0.1]#22 <-> [10.0.0.2]#80 700`), IPv6 endpoints. The banner and
 * `^C` are accepted; prose and prompts (the tool's example file mixes both) are problems.
 *
 * Source: bcc `tools/tcpretrans.py` and `tools/tcpretrans_example.txt`.
 */
export interface BccTcpretransFacts {
  events: TcpretransEvent[];
  flows: TcpretransFlow[];
  /** Retransmits seen: R events plus the counts of count mode. */
  retransmits: number;
  /** L (tail loss probe) events. */
  tail_loss_probes: number;
  /** R events per state. */
  by_state: Record<string, number>;
  /** Retransmits per peer address (events and flows). */
  by_peer: Record<string, number>;
}

const TIME = /^\d{1,2}:\d{2}:\d{2}$/;

function flowEndpoint(token: string) {
  const m = /^\[(.*)\]#(\d+)$/.exec(token);
  if (m) return { address: m[1], port: Number(m[2]) };
  const ep = splitEndpoint(token);
  return { address: ep.address, port: ep.port };
}

/**
 * Parses tcpretrans output (see {@link BccTcpretransFacts}).
 * @throws UnrecognisedOutputError when no header, banner or row of tcpretrans was found.
 */
export function parseBccTcpretrans(lines: Iterable<string>): ParseResult<BccTcpretransFacts> {
  const problems = new ProblemLog();
  const facts: BccTcpretransFacts = {
    events: [],
    flows: [],
    retransmits: 0,
    tail_loss_probes: 0,
    by_state: {},
    by_peer: {},
  };
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (/^Tracing retransmits\b/.test(trimmed) || trimmed === "^C") {
      found = true;
      continue;
    }
    if (/^TIME\s+PID\s+IP\s+LADDR:LPORT\s+T>\s+RADDR:RPORT\s+STATE\b/.test(trimmed)) {
      found = true;
      continue;
    }
    if (/^LADDR:LPORT\s+RADDR:RPORT\s+RETRANSMITS$/.test(trimmed)) {
      found = true;
      continue;
    }
    const t = fields(trimmed);
    if (
      t.length >= 7 &&
      t.length <= 8 &&
      TIME.test(t[0]) &&
      /^\d+$/.test(t[1]) &&
      /^[46]$/.test(t[2]) &&
      /^[A-Z]>$/.test(t[4]) &&
      /^[A-Z_0-9]+$/.test(t[6]) &&
      (t[7] === undefined || /^\d+$/.test(t[7]))
    ) {
      const local = splitEndpoint(t[3]);
      const peer = splitEndpoint(t[5]);
      const ev: TcpretransEvent = {
        time: t[0],
        pid: Number(t[1]),
        ip: Number(t[2]),
        local_address: local.address,
        ...(local.port !== undefined ? { local_port: local.port } : {}),
        type: t[4][0],
        peer_address: peer.address,
        ...(peer.port !== undefined ? { peer_port: peer.port } : {}),
        state: t[6],
      };
      if (t[7] !== undefined) ev.seq = Number(t[7]);
      facts.events.push(ev);
      if (ev.type === "L") facts.tail_loss_probes++;
      else {
        facts.retransmits++;
        facts.by_state[ev.state] = (facts.by_state[ev.state] ?? 0) + 1;
        facts.by_peer[ev.peer_address] = (facts.by_peer[ev.peer_address] ?? 0) + 1;
      }
      found = true;
      continue;
    }
    if (t.length === 4 && t[1] === "<->" && /^\d+$/.test(t[3]) && /[:#]\d+$/.test(t[0])) {
      const local = flowEndpoint(t[0]);
      const peer = flowEndpoint(t[2]);
      const flow: TcpretransFlow = {
        local_address: local.address,
        ...(local.port !== undefined ? { local_port: local.port } : {}),
        peer_address: peer.address,
        ...(peer.port !== undefined ? { peer_port: peer.port } : {}),
        retransmits: Number(t[3]),
      };
      facts.flows.push(flow);
      facts.retransmits += flow.retransmits;
      facts.by_peer[flow.peer_address] = (facts.by_peer[flow.peer_address] ?? 0) + flow.retransmits;
      found = true;
      continue;
    }
    problems.add(n, line, "not a tcpretrans header, event or flow line");
  }
  if (!found) throw new UnrecognisedOutputError("bcc-tcpretrans");
  return { facts, problems: problems.list() };
}
