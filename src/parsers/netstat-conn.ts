import { fields, ProblemLog } from "./lines.js";
import {
  endpointFields,
  type SocketProcess,
  type SocketRow,
  type SocketTableFacts,
  splitEndpoint,
  summariseSockets,
} from "./ss.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of a `netstat` connection table (collector `netstat-conn`: `netstat -tan`): the same
 * shape as `ss` ({@link SocketTableFacts}, rows of {@link SocketRow}), so rules read one name
 * whatever the source.
 *
 * ```
 * Active Internet connections (servers and established)
 * Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
 * tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      861/sshd: /usr/sbin
 * tcp6       0      0 :::80                   :::*                    LISTEN      -
 * udp        0      0 0.0.0.0:68              0.0.0.0:*                           702/dhclient
 * ```
 * Yields: `sockets[0].state = "LISTEN"`, `sockets[0].local_port = 22`.
 * Yields: `sockets[0].process[0].pid = 861`.
 *
 * Variants read: `-tan`, `-tanp`, `-an` (with the `Active UNIX domain sockets` table:
 * `unix 2 [ ACC ] STREAM LISTENING 20699 1/init /run/udev/control`), `-tulpn`, `-e` (User,
 * Inode), `-o` (Timer: `off (0.00/0/0)`, `keepalive (7190.22/0/0)`), tcp6/udp6/raw6, the
 * empty State of UDP sockets, raw sockets' numeric state, program names with spaces and cut
 * to 19 characters (net-tools prints `pid/name` in a 20-column field), `-` for no process,
 * pasted rows with leading blanks and no header. Columns are found by header name when a
 * header is present.
 *
 * Mappings: Proto `tcp6` → netid `tcp` (the original in `proto`); unix types STREAM/DGRAM/
 * SEQPACKET → `u_str`/`u_dgr`/`u_seq`, the path as local address and the I-Node as local
 * port. States map to ss's names: ESTABLISHED → ESTAB, SYN_RECV → SYN-RECV, CLOSE_WAIT →
 * CLOSE-WAIT, FIN_WAIT1 → FIN-WAIT-1, TIME_WAIT → TIME-WAIT, CLOSE and an empty UDP state →
 * UNCONN, LISTENING → LISTEN, CONNECTED → ESTAB. The Timer column goes to `info.timer_name`,
 * `timer_expires_ms`, `timer_retrans`, `timer_probes`.
 *
 * Caveats: netstat prints 0 as the Send-Q of a listener (from /proc/net/tcp), so listeners
 * have no `backlog`; without `-W`, long IPv6 addresses are cut (the port stays right).
 *
 * Source: net-tools `netstat.c` (tcp_do_one, udp_do_one, unix_do_one, prg_cache_get) and
 * netstat(8); /proc/net/tcp in the kernel's Documentation/networking/proc_net_tcp.rst.
 */
export type NetstatConnFacts = SocketTableFacts;

const STATE_MAP: Record<string, string> = {
  ESTABLISHED: "ESTAB",
  SYN_SENT: "SYN-SENT",
  SYN_RECV: "SYN-RECV",
  FIN_WAIT1: "FIN-WAIT-1",
  FIN_WAIT2: "FIN-WAIT-2",
  TIME_WAIT: "TIME-WAIT",
  CLOSE: "UNCONN",
  CLOSE_WAIT: "CLOSE-WAIT",
  LAST_ACK: "LAST-ACK",
  LISTEN: "LISTEN",
  CLOSING: "CLOSING",
  UNKNOWN: "UNKNOWN",
};
/** Kernel TCP state numbers (include/net/tcp_states.h), printed for raw sockets. */
const STATE_NUM = [
  "",
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
  "SYN-RECV",
];
const UNIX_STATE: Record<string, string> = {
  LISTENING: "LISTEN",
  CONNECTED: "ESTAB",
  CONNECTING: "SYN-SENT",
  DISCONNECTING: "CLOSING",
  FREE: "UNCONN",
};
const UNIX_TYPE: Record<string, string> = {
  STREAM: "u_str",
  DGRAM: "u_dgr",
  SEQPACKET: "u_seq",
  RAW: "u_raw",
  RDM: "u_rdm",
};
const INET_PROTO = /^(tcp|udp|udpl|raw|sctp)6?$/;
const TIMER = /\s(off|on|keepalive|timewait|probe|unkn-\d+)\s+\(([\d.]+)\/(\d+)\/(\d+)\)\s*$/;
const PROG = /^(\d+)\/(.*)$/;

interface Columns {
  user: boolean;
  program: boolean;
}

function processOf(text: string): SocketProcess[] | undefined {
  const m = PROG.exec(text.trim());
  if (!m) return undefined;
  return [{ name: m[2].trim(), pid: Number(m[1]) }];
}

/** One tcp/udp/raw row, or null. */
function readInetRow(line: string, cols: Columns | undefined): SocketRow | null {
  const t = fields(line);
  if (t.length < 5 || !INET_PROTO.test(t[0])) return null;
  if (!/^\d+$/.test(t[1]) || !/^\d+$/.test(t[2])) return null;
  const proto = t[0];
  // The tail after the addresses: [State] [User Inode] [PID/Program name] [Timer].
  let tail = line.slice(line.indexOf(t[4], line.indexOf(t[3]) + t[3].length) + t[4].length);
  let info: SocketRow["info"];
  const timer = TIMER.exec(tail);
  if (timer) {
    tail = tail.slice(0, timer.index);
    info = {
      timer_name: timer[1],
      timer_expires_ms: Math.round(Number(timer[2]) * 1000),
      timer_retrans: Number(timer[3]),
      timer_probes: Number(timer[4]),
    };
  }
  let rest = tail.trim();
  let state: string | undefined;
  const first = rest.split(/\s+/)[0] ?? "";
  if (STATE_MAP[first] !== undefined) {
    state = STATE_MAP[first];
    rest = rest.slice(first.length).trim();
  } else if (proto.startsWith("raw") && /^\d+$/.test(first) && STATE_NUM[Number(first)]) {
    state = STATE_NUM[Number(first)];
    rest = rest.slice(first.length).trim();
  } else if (proto.startsWith("udp") || proto.startsWith("raw")) {
    state = "UNCONN";
  } else if (first !== "" && !PROG.test(first) && first !== "-") {
    return null;
  }
  const row = {
    netid: proto.replace(/6$/, "").replace(/^udpl$/, "udplite"),
    ...(state !== undefined ? { state } : {}),
    recv_q: Number(t[1]),
    send_q: Number(t[2]),
    ...endpointFields("local", splitEndpoint(t[3])),
    ...endpointFields("peer", splitEndpoint(t[4])),
  } as SocketRow;
  const words = rest === "" ? [] : rest.split(/\s+/);
  const withUser =
    cols?.user ??
    (words.length >= 2 && /^\d+$/.test(words[1]) && !PROG.test(words[0]) && words[0] !== "-");
  let uid: number | undefined;
  let user: string | undefined;
  let ino: number | undefined;
  if (withUser && words.length >= 2) {
    if (/^\d+$/.test(words[0])) uid = Number(words[0]);
    else user = words[0];
    if (/^\d+$/.test(words[1])) ino = Number(words[1]);
    rest = rest.slice(rest.indexOf(words[1], words[0].length) + words[1].length).trim();
  }
  if (rest !== "" && rest !== "-") {
    const procs = processOf(rest);
    if (!procs) return null;
    row.process = procs;
  }
  if (uid !== undefined) row.uid = uid;
  if (user !== undefined) row.user = user;
  if (ino !== undefined) row.ino = ino;
  row.proto = proto;
  if (info) row.info = info;
  return row;
}

/** One `unix` row of `netstat -a[n]x`, or null. */
function readUnixRow(line: string, cols: Columns | undefined): SocketRow | null {
  const m =
    /^\s*(unix)\s+(\d+)\s+\[\s*([^\]]*?)\s*\]\s+(\S+)\s+(?:(\S+)\s+)??(\d+)(?:\s(.*))?$/.exec(line);
  if (!m) return null;
  const [, proto, , flags, type, state, inode, tailText] = m;
  if (state !== undefined && UNIX_STATE[state] === undefined) return null;
  const row: SocketRow = {
    netid: UNIX_TYPE[type] ?? `u_${type.toLowerCase()}`,
    state: state ? UNIX_STATE[state] : "UNCONN",
    local_address: "*",
    local_port: Number(inode),
    peer_address: "*",
  };
  let path = "";
  const tail = tailText ?? "";
  const program = cols?.program ?? /^\s*(\d+\/|-\s)/.test(tail);
  if (program) {
    // "%-8lu %-20s %s": the inode is padded to 8 columns, the program field is 20 columns,
    // then a blank and the path. A pasted row whose blanks were squeezed is read by words.
    const pad = Math.max(0, 8 - inode.length);
    const aligned = /^ *$/.test(tail.slice(0, pad));
    const body = aligned ? tail.slice(pad) : tail;
    const fixed =
      aligned && (body.length <= 20 || (body[20] === " " && body.slice(0, 20).trim() !== ""));
    let prog: string;
    if (fixed) {
      prog = body.slice(0, 20).trim();
      path = body.slice(20).trim();
    } else {
      const [w, ...more] = body.trim().split(/\s+/);
      prog = w ?? "";
      path = more.join(" ");
    }
    const procs = prog === "-" ? undefined : processOf(prog);
    if (procs) row.process = procs;
  } else {
    path = tail.trim();
  }
  if (path !== "") row.local_address = path;
  row.proto = proto;
  if (flags !== "") row.info = { flags };
  return row;
}

/**
 * Parses `netstat` connection tables (see {@link NetstatConnFacts}).
 * @throws UnrecognisedOutputError when no header and no socket row was found.
 */
export function parseNetstatConn(lines: Iterable<string>): ParseResult<NetstatConnFacts> {
  const problems = new ProblemLog();
  const sockets: SocketRow[] = [];
  let cols: Columns | undefined;
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (/^Active (Internet|UNIX|Bluetooth)\b/.test(trimmed)) {
      found = true;
      continue;
    }
    if (/^Proto\s+(Recv-Q|RefCnt)\b/.test(trimmed)) {
      cols = { user: /\bUser\b/.test(trimmed), program: /PID\/Program/.test(trimmed) };
      found = true;
      continue;
    }
    if (/^\(?(Not all processes|No info could be read|will not be shown)/.test(trimmed)) continue;
    const row = /^unix\b/.test(trimmed) ? readUnixRow(line, cols) : readInetRow(line, cols);
    if (row) {
      sockets.push(row);
      found = true;
      continue;
    }
    problems.add(n, line, "not a netstat header or connection row");
  }
  if (!found) throw new UnrecognisedOutputError("netstat-conn");
  return { facts: summariseSockets(sockets, { sendQIsBacklog: false }), problems: problems.list() };
}
