import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, type RowSink, UnrecognisedOutputError } from "./types.js";

/** A process holding a socket: `users:(("nginx",pid=1,fd=6))` (old ss: `("nginx",1,6)`). */
export interface SocketProcess {
  name: string;
  pid?: number;
  /** The file descriptor number in that process (ss only; netstat does not print it). */
  fd?: number;
}

/**
 * One socket, from `ss` or `netstat` (the same shape for both).
 *
 * Addresses are split into the address, the port and the scope: `[fe80::1]%eth0:123` gives
 * `address: "fe80::1"`, `scope: "eth0"`, `port: 123`; `[::ffff:1.2.3.4]:80` gives
 * `"::ffff:1.2.3.4"` and 80; `*:*` gives `"*"` and no port. A port that is not a number
 * (`ssh` without `-n`, a netlink socket's `kernel`, a packet socket's interface) is
 * `*_port_name`. For unix sockets the address is the path (`*` for none, `@name` for the
 * abstract namespace) and the port is the inode (`peer_port` = the peer's inode).
 */
export interface SocketRow {
  /**
   * `tcp`, `udp`, `raw`, `u_str`, `u_dgr`, `u_seq`, `nl`, `p_raw`, `v_str`, …, as ss prints
   * it. Absent when ss printed no Netid column (a single protocol was selected, e.g. `-t`).
   * netstat's `tcp6`/`udp6` become `tcp`/`udp` (the original is in `proto`).
   */
  netid?: string;
  /**
   * ss's state names: `ESTAB`, `SYN-SENT`, `SYN-RECV`, `FIN-WAIT-1`, `FIN-WAIT-2`,
   * `TIME-WAIT`, `UNCONN`, `CLOSE-WAIT`, `LAST-ACK`, `LISTEN`, `CLOSING`. netstat's names
   * (`ESTABLISHED`, `SYN_RECV`, `CLOSE_WAIT`, `LISTENING`, `CONNECTED`, …) are mapped to these.
   * Absent when the tool hid the column (`ss state established` prints no State column).
   */
  state?: string;
  /**
   * Bytes not yet read by the application; for a listener (LISTEN), the current length of
   * its accept queue (connections).
   */
  recv_q?: number;
  /**
   * Bytes not yet acknowledged by the peer; for an ss listener, the effective backlog
   * (min(listen() backlog, net.core.somaxconn)). netstat prints 0 for listeners.
   */
  send_q?: number;
  local_address: string;
  local_port?: number;
  local_port_name?: string;
  /** `%iface` scope of the local address (`127.0.0.53%lo`, `0.0.0.0%virbr0`). */
  local_scope?: string;
  peer_address: string;
  peer_port?: number;
  peer_port_name?: string;
  peer_scope?: string;
  /** Processes holding the socket (`ss -p`, `netstat -p`); absent when not shown or `-`. */
  process?: SocketProcess[];
  /** Owner uid (`ss -e` uid:, `netstat -e` User when numeric). */
  uid?: number;
  /** netstat -e User column when it is a name. */
  user?: string;
  /** Socket inode (`ss -e` ino:, `netstat -e` Inode). */
  ino?: number;
  /** Kernel socket cookie (`ss -e` sk:, hexadecimal). */
  sk?: string;
  cgroup?: string;
  v6only?: number;
  /** Shutdown state of `ss -e`: `<->` open, `-->` no more receives, `<--` no more sends, `---` both. */
  shutdown?: string;
  /** netstat's Proto as printed (`tcp6`, `udp6`, `raw6`, `unix`). */
  proto?: string;
  /**
   * Every other field of the socket: the `ss -i` / `-m` detail line(s) and `-o` timers, one
   * key per field, with units in the key where the field has one:
   * - `rtt_ms`, `rttvar_ms` (from `rtt:0.5/0.25`), `rto_ms`, `ato_ms`, `minrtt_ms`,
   *   `rcv_rtt_ms`, `lastsnd_ms`, `lastrcv_ms`, `lastack_ms`, `busy_ms`,
   *   `rwnd_limited_ms` + `rwnd_limited_pct`, `sndbuf_limited_ms` + `sndbuf_limited_pct`;
   * - `retrans` (retransmitted segments not yet acknowledged) and `retrans_total` (all
   *   retransmits of the connection), from `retrans:0/3`; `lost`, `unacked`, `sacked`, …;
   * - `snd_wscale`, `rcv_wscale` (from `wscale:7,7`); `cwnd`, `ssthresh`, `mss`, `pmtu`,
   *   `rcvmss`, `advmss` (segments / bytes as ss prints them); `bytes_acked`, `segs_out`, …;
   * - `send_bps`, `pacing_rate_bps` (+ `pacing_rate_max_bps`), `delivery_rate_bps`: bits per
   *   second, from `send 231.7Mbps` (K/M/G suffixes expanded; `-n` prints plain numbers);
   * - nested groups flattened with their name: `bbr_bw_bps`, `bbr_mrtt_ms`,
   *   `bbr_pacing_gain`, `dctcp_ce_state`; `skmem_r_bytes`, `skmem_rb_bytes`, `skmem_t_bytes`,
   *   `skmem_tb_bytes`, `skmem_f_bytes`, `skmem_w_bytes`, `skmem_o_bytes`, `skmem_bl_bytes`,
   *   `skmem_d` (drops);
   * - timers (`ss -o timer:(keepalive,119min,0)`, `netstat -o off (0.00/0/0)`):
   *   `timer_name`, `timer_expires_ms`, `timer_retrans` (+ `timer_probes` from netstat);
   * - `cong_alg` (the congestion control: `cubic`, `bbr`, …), `tcp_ulp`, and flags as
   *   `true`: `ts`, `sack`, `ecn`, `ecnseen`, `fastopen`, `app_limited`;
   * - any other `key:value` as a number when numeric, else as text.
   */
  info?: Record<string, number | string | boolean>;
}

/** A listening socket, with its accept queue against its backlog. */
export interface ListenerRow {
  netid?: string;
  local_address: string;
  local_port?: number;
  local_port_name?: string;
  local_scope?: string;
  /** Connections waiting in the accept queue now (Recv-Q of a LISTEN socket). */
  recv_q: number;
  /**
   * Effective backlog = min(listen() backlog, net.core.somaxconn): the Send-Q of a LISTEN
   * socket in `ss`. Absent for netstat, which prints 0 there.
   */
  backlog?: number;
  /**
   * `recv_q / backlog * 100`. The kernel accepts one more than the backlog before it drops
   * (sk_acceptq_is_full is `>`), so a full queue can read slightly above 100.
   */
  queue_pct?: number;
  process?: SocketProcess[];
}

/**
 * Facts of a socket table: `ss` (collectors `ss-listen`: `ss -ltn`, `ss-tcp`: `ss -tani`)
 * and `netstat` (collector `netstat-conn`, see netstat-conn.ts).
 *
 * ```
 * Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process
 * tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*     users:(("sshd",pid=1,fd=3))
 * tcp   ESTAB  0      0          10.0.0.5:22      10.0.0.9:50514
 *          cubic wscale:7,7 rto:204 rtt:0.5/0.25 ato:40 mss:1448 cwnd:10 retrans:0/3 send 231.7Mbps
 * ```
 * Yields: `sockets[0].state = "LISTEN"`, `sockets[0].send_q = 128`, `sockets[0].local_port = 22`.
 * Yields: `sockets[0].process[0].name = "sshd"`.
 *
 * Variants read: any ss socket table (`-ltn`, `-tan`, `-tanp`, `-a`, `-tupna`, `-tulpen`,
 * `-tin`, `-x`); old iproute2 (no Netid column when one protocol is selected, `:::22` and
 * `*:22` addresses, `users:(("sshd",1231,3))`) and new (`[::]:22`, `%iface` scopes, the wide
 * layout whose header reads `Peer Address:PortProcess`, `cgroup:` and `v6only:` fields); a
 * hidden State column (`ss ... state established`); unix, netlink, packet, vsock, udp and raw
 * sockets; `-e` extras (uid, ino, sk, cgroup, v6only, shutdown); `-o` timers; `-i`/`-m`
 * detail lines, indented under their socket, every field of which goes into that socket's
 * `info` (one row per socket: the detail line is never a socket of its own). A header with no
 * socket (no listeners) is valid and gives empty facts. Prompts, `...` and other lines are
 * recorded as problems.
 *
 * Source: ss(8) and iproute2 `misc/ss.c` (column layout, `tcp_show_info`, `sprint_bw`,
 * `print_ms_timer`); the listener queue semantics from `net/ipv4/tcp_diag.c`
 * (`tcp_diag_get_info`: rqueue = sk_ack_backlog, wqueue = sk_max_ack_backlog for LISTEN).
 */
export interface SocketTableFacts {
  /** Every socket row, in output order. */
  sockets: SocketRow[];
  total: number;
  /** Sockets per state (rows without a state are not counted). */
  by_state: Record<string, number>;
  /** Sockets per netid (rows without a netid are not counted). */
  by_netid: Record<string, number>;
  /** Sum of Recv-Q over non-listening sockets, bytes. */
  recv_q_bytes_total: number;
  /** Sum of Send-Q over non-listening sockets, bytes. */
  send_q_bytes_total: number;
  /** Every LISTEN socket (tcp, unix stream, sctp …), with its accept queue and backlog. */
  listeners: ListenerRow[];
  /** Listeners whose accept queue is at or above their backlog now. */
  listeners_full: number;
  /** The listener with the highest `queue_pct` (or Recv-Q when no backlog is known). */
  worst_listener?: ListenerRow;
  /** Distinct peer addresses among SYN-RECV sockets (many = a SYN flood pattern). */
  syn_recv_peers: number;
  /** Totals over the `ss -i` detail, when shown. */
  tcp_info?: {
    /** Sockets with TCP info fields (`-i`/`-m`; an `-o` timer alone does not count). */
    sockets: number;
    /** Sum of `retrans_total` (all retransmits of the shown connections). */
    retrans_total: number;
    /** Sockets with `retrans_total` > 0. */
    sockets_with_retrans: number;
    /** Sum of `lost` (segments the sender considers lost now). */
    lost: number;
  };
}

/** ss's state names, each mapped to its one copy (rows share it instead of a copy each). */
const STATES = new Map(
  [
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
    "UNKNOWN",
    "NEW-SYN-RECV",
  ].map((name) => [name, name]),
);
const NETID = /^[a-z][a-z0-9_]*\d?$/;
const INT = /^\d+$/;
const DIGITS = /^\d+(\.\d+)?$/;
const SNAKE = /^[A-Za-z0-9_]+$/;
const KEY = /^[A-Za-z_][\w.-]*$/;
const HEADER = /\bRecv-Q\s+Send-Q\s+Local\b/;
/** ss's "socket flags" on the detail line (tcp_show_info). */
const FLAGS = new Set(["ts", "sack", "ecn", "ecnseen", "fastopen", "app_limited", "bidir"]);
/** Fields printed in milliseconds without a unit. */
const MS_FIELDS = new Set([
  "rto",
  "ato",
  "minrtt",
  "rcv_rtt",
  "lastsnd",
  "lastrcv",
  "lastack",
  "mrtt",
  "probe",
]);

/**
 * Splits a line on blanks that are outside `"..."` and `(...)`, so that
 * `users:(("Web Content",pid=1,fd=2))` stays one token.
 */
export function socketTokens(line: string): string[] {
  if (!line.includes('"') && !line.includes("(")) return fields(line);
  const out: string[] = [];
  let from = -1;
  let depth = 0;
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (quote) {
      if (c === 34) quote = false;
      continue;
    }
    if (c === 32 || c === 9) {
      if (depth === 0 && from >= 0) {
        out.push(line.slice(from, i));
        from = -1;
      }
      continue;
    }
    if (from < 0) from = i;
    if (c === 34) quote = true;
    else if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
  }
  if (from >= 0) out.push(line.slice(from));
  return out;
}

/** An endpoint `addr:port` split into its parts (see {@link SocketRow}). */
export interface Endpoint {
  address: string;
  port?: number;
  port_name?: string;
  scope?: string;
}

/** The parts of the last endpoint split by {@link splitInto} (no object per endpoint). */
let epAddress = "";
let epPort: number | undefined;
let epPortName: string | undefined;
let epScope: string | undefined;

/**
 * `^\d+$` of `text[from, to)` as a number (exact up to 15 digits; longer ones go through
 * Number), else undefined.
 */
function intOf(text: string, from = 0, to = text.length): number | undefined {
  const len = to - from;
  if (len > 15) {
    const digits = text.slice(from, to);
    return INT.test(digits) ? Number(digits) : undefined;
  }
  if (len <= 0) return undefined;
  let v = 0;
  for (let k = from; k < to; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v;
}

/**
 * A string of its own with the text of `s`. A substring of 13 characters or more is a view
 * into the string it was cut from (V8's sliced strings), which it keeps alive as long as it
 * is held: an address kept in a row would keep its whole line (some 100 bytes a socket).
 */
function ownCopy(s: string): string {
  return s.length >= 13 ? ` ${s}`.slice(1) : s;
}

/**
 * Splits an endpoint into `epAddress`, `epPort`, `epPortName`, `epScope`. Scans with
 * charCodeAt: `lastIndexOf` is a call into the runtime, and this runs twice per socket.
 */
function splitInto(token: string): void {
  epPort = undefined;
  epPortName = undefined;
  epScope = undefined;
  let colon = token.length - 1;
  while (colon >= 0 && token.charCodeAt(colon) !== 58) colon--;
  const end = colon >= 0 ? colon : token.length;
  if (
    colon >= 0 &&
    colon + 1 < token.length &&
    !(colon + 2 === token.length && token.charCodeAt(colon + 1) === 42)
  ) {
    epPort = intOf(token, colon + 1);
    if (epPort === undefined) epPortName = token.slice(colon + 1);
  }
  let plain = true; // no `%` scope and no `[` bracket
  for (let k = 0; k < end && plain; k++) {
    const c = token.charCodeAt(k);
    plain = c !== 37 && c !== 91;
  }
  if (plain) {
    epAddress = end === 0 ? "*" : token.slice(0, end);
    return;
  }
  // Scopes and brackets: `127.0.0.53%lo`, `[::1]`, `[fe80::1]%eth0`, `[fe80::1%eth0]`.
  let host = token.slice(0, end);
  const pct = host.lastIndexOf("%");
  if (pct > 0 && pct > host.lastIndexOf("]")) {
    epScope = host.slice(pct + 1);
    host = host.slice(0, pct);
  }
  if (host.length > 1 && host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93) {
    host = host.slice(1, -1);
  }
  if (epScope === undefined && pct > 0) {
    const inner = host.lastIndexOf("%");
    if (inner > 0 && host.includes(":")) {
      epScope = host.slice(inner + 1);
      host = host.slice(0, inner);
    }
  }
  if (epScope === "") epScope = undefined;
  epAddress = host === "" ? "*" : host;
}

/**
 * Splits `10.0.0.1:22`, `[::1]:631`, `:::22`, `*:*`, `127.0.0.53%lo:53`,
 * `[fe80::1]%eth0:123`, `rtnl:kernel`, `*` at the last colon.
 */
export function splitEndpoint(token: string): Endpoint {
  splitInto(token);
  const ep: Endpoint = { address: ownCopy(epAddress) };
  if (epPort !== undefined) ep.port = epPort;
  if (epPortName !== undefined) ep.port_name = epPortName;
  if (epScope !== undefined) ep.scope = epScope;
  return ep;
}

/** `231.7Mbps`, `1.2Gbps`, `800bps`, `154202352941bps` → bits per second. */
export function bitsPerSecond(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKMGT]?)bps$/.exec(text);
  if (!m) return undefined;
  const mult = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

/** ss's `print_ms_timer` text (`5min28sec`, `3.210ms` = 3 s 210 ms, `59sec`, `210ms`) → ms. */
export function timerMs(text: string): number | undefined {
  const m = /^(-)?(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === "" || text === "-") return undefined;
  const ms = Number(m[2] ?? 0) * 60000 + Number(m[3] ?? 0) * 1000 + Number(m[4] ?? 0);
  return m[1] ? -ms : ms;
}

/** `rto`, `lastsnd`, … and nested ones like `bbr_mrtt`: milliseconds without a unit. */
function isMs(key: string): boolean {
  return MS_FIELDS.has(key) || MS_FIELDS.has(key.slice(key.indexOf("_") + 1));
}

function numberOrText(value: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function snake(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, "_");
}

/** Parses `users:((...),(...))` into processes. */
export function parseUsers(value: string): SocketProcess[] {
  const out: SocketProcess[] = [];
  const re = /\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d+)(?:,(?:fd=)?(\d+))?\)/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const p: SocketProcess = { name: m[1], pid: Number(m[2]) };
    if (m[3] !== undefined) p.fd = Number(m[3]);
    out.push(p);
  }
  return out;
}

/** The `info` keys a detail-line field can give, worked out once per field name. */
interface FieldNames {
  /** The field name as a key (`snd_wnd`; other characters than `[A-Za-z0-9_]` become `_`). */
  key: string;
  /** The key with its unit: `rto_ms`, `send_bps`, …; `isMs`: a bare number is milliseconds. */
  ms: string;
  pct: string;
  bps: string;
  maxBps: string;
  isMs: boolean;
}

/**
 * Field name → its keys. A detail line has some 30 fields and a large `ss -tin` 100 000 lines:
 * building each key string anew for every field was most of the parse time. Bounded: garbage
 * input cannot grow it.
 */
const fieldNames = new Map<string, FieldNames>();

function namesOf(name: string): FieldNames {
  let f = fieldNames.get(name);
  if (f === undefined) {
    const key = SNAKE.test(name) ? name : snake(name);
    f = {
      key,
      ms: `${key}_ms`,
      pct: `${key}_pct`,
      bps: `${key}_bps`,
      maxBps: `${key}_max_bps`,
      isMs: isMs(key),
    };
    if (fieldNames.size < 1024) fieldNames.set(name, f);
  }
  return f;
}

/** One copy of each short word seen as a value (`cubic`, `bbr`): rows share it. Bounded. */
const words = new Map<string, string>();

function internWord(word: string): string {
  const known = words.get(word);
  if (known !== undefined) return known;
  if (words.size < 256) words.set(word, word);
  return word;
}

/** One `key:value` (or `key value`) field of the detail line, into `info`. */
function putField(
  info: Record<string, number | string | boolean>,
  key: string,
  value: string,
): void {
  const names = namesOf(key);
  const k = names.key;
  if (DIGITS.test(value)) {
    info[names.isMs ? names.ms : k] = Number(value);
    return;
  }
  if (value.startsWith("(") && value.endsWith(")")) {
    const parts = value.slice(1, -1).split(",");
    if (k === "timer") {
      if (parts[0]) info.timer_name = parts[0];
      const ms = timerMs(parts[1] ?? "");
      if (ms !== undefined) info.timer_expires_ms = ms;
      if (parts[2] !== undefined && INT.test(parts[2])) info.timer_retrans = Number(parts[2]);
      return;
    }
    for (const part of parts) {
      const kv = /^([A-Za-z_][\w-]*):(.*)$/.exec(part);
      const mem = /^([a-z]+)(\d+)$/.exec(part);
      if (kv) putField(info, `${k}_${kv[1]}`, kv[2]);
      else if (mem && (k === "skmem" || k === "mem")) {
        info[`${k}_${mem[1]}${mem[1] === "d" ? "" : "_bytes"}`] = Number(mem[2]);
      } else if (part !== "") info[`${k}_${snake(part)}`] = true;
    }
    return;
  }
  const pair = /^([\d.]+)\/([\d.]+)$/.exec(value);
  if (pair && k === "rtt") {
    info.rtt_ms = Number(pair[1]);
    info.rttvar_ms = Number(pair[2]);
    return;
  }
  if (pair && k === "retrans") {
    info.retrans = Number(pair[1]);
    info.retrans_total = Number(pair[2]);
    return;
  }
  const scale = /^(-?\d+),(-?\d+)$/.exec(value);
  if (scale && k === "wscale") {
    info.snd_wscale = Number(scale[1]);
    info.rcv_wscale = Number(scale[2]);
    return;
  }
  const ms = /^(\d+(?:\.\d+)?)ms(?:\(([\d.]+)%\))?$/.exec(value);
  if (ms) {
    info[names.ms] = Number(ms[1]);
    if (ms[2] !== undefined) info[names.pct] = Number(ms[2]);
    return;
  }
  if (value.includes("bps")) {
    const [rate, max] = value.split("/");
    const bps = bitsPerSecond(rate);
    if (bps !== undefined) {
      info[names.bps] = bps;
      const maxBps = max === undefined ? undefined : bitsPerSecond(max);
      if (maxBps !== undefined) info[names.maxBps] = maxBps;
      return;
    }
  }
  const v = numberOrText(value);
  if (typeof v === "number" && names.isMs) {
    info[names.ms] = v;
    return;
  }
  info[k] = v;
}

/**
 * Reads the extra fields of a socket (the tail of its line and its detail lines) into the
 * row: -p users, -e uid/ino/sk/cgroup/v6only/shutdown, and everything else into `info`.
 */
function readExtras(row: SocketRow, toks: readonly string[], start: number): void {
  for (let j = start; j < toks.length; j++) {
    const tok = toks[j];
    if (tok.length === 3 && /^[<-]-[->]$/.test(tok)) {
      row.shutdown = tok;
      continue;
    }
    const colon = tok.indexOf(":");
    const key = colon > 0 ? tok.slice(0, colon) : "";
    if (key !== "" && KEY.test(key)) {
      const value = tok.slice(colon + 1);
      if (key === "users") {
        const procs = parseUsers(value);
        if (procs.length > 0) row.process = [...(row.process ?? []), ...procs];
        continue;
      }
      if ((key === "uid" || key === "ino" || key === "v6only") && INT.test(value)) {
        row[key] = Number(value);
        continue;
      }
      if (key === "sk" && row.sk === undefined) {
        row.sk = value;
        continue;
      }
      if (key === "cgroup" && row.cgroup === undefined) {
        row.cgroup = value;
        continue;
      }
      row.info ??= {};
      putField(row.info, key, value);
      continue;
    }
    row.info ??= {};
    const next = toks[j + 1];
    if (/^[a-z_]+$/.test(tok) && next !== undefined && /^\d/.test(next) && !next.includes(":")) {
      putField(row.info, tok, next);
      j++;
      continue;
    }
    const ulp = /^tcp-ulp-(.+)$/.exec(tok);
    if (ulp) row.info.tcp_ulp = ulp[1];
    else if (FLAGS.has(tok)) row.info[tok] = true;
    else if (row.info.cong_alg === undefined && /^[a-z][a-z0-9_]*$/.test(tok))
      row.info.cong_alg = internWord(tok);
    else row.info[snake(tok)] = true;
  }
}

interface Layout {
  netid: boolean;
  state: boolean;
}

/**
 * The one copy of each netid name seen (`tcp`, `udp`, …), so that a table of 300 000 sockets
 * does not hold 300 000 copies of `tcp`. Bounded: garbage input cannot grow it.
 */
const netidNames = new Map<string, string>();

function internNetid(name: string): string {
  const known = netidNames.get(name);
  if (known !== undefined) return known;
  if (netidNames.size < 64) netidNames.set(name, name);
  return name;
}

/**
 * Netids whose endpoints are internet addresses and ports (ss.c's `tcp`, `udp`, `raw`, …):
 * their rows are checked by {@link inetEndpoint}. Other families print other things there
 * (a netlink `rtnl:kernel`, a packet socket's interface, a vsock's 32-bit port).
 */
const INET_NETIDS = new Set(["tcp", "udp", "raw", "sctp", "mptcp", "dccp", "icmp6"]);

/** Largest TCP/UDP/SCTP port: ports are 16 bits. */
const MAX_PORT = 65535;

/**
 * Whether the endpoint last split by {@link splitInto} is one of an internet socket: a port
 * (when numeric) up to {@link MAX_PORT}, and an address that is `*` or starts with digits,
 * `-` or `_` up to a letter, `.` or `:`: IPv4, IPv6 (brackets and `%iface` already taken
 * off), or a host name as ss prints it without `-n`. A row of numbers (vmstat's, read as
 * sockets) has neither: `0` and `92336` are not addresses, `2794696` is not a port. Only the
 * start is read: this runs twice per socket, on tables of 300 000 sockets.
 */
function inetEndpoint(): boolean {
  if (epPort !== undefined && epPort > MAX_PORT) return false;
  const a = epAddress;
  if (a === "*") return true;
  // Read up to the first letter, `.` or `:` (the third character of most addresses).
  for (let k = 0; k < a.length; k++) {
    const c = a.charCodeAt(k);
    const lower = c | 32; // an ASCII letter in lower case
    if ((lower >= 97 && lower <= 122) || c === 46 || c === 58) return true;
    if (!((c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
  }
  return false;
}

/** A unix socket's address as ss prints it: `*` (none), a path, `@name` (abstract). */
function unixAddress(token: string): boolean {
  const c = token.charCodeAt(0);
  return c === 47 || c === 64 || token === "*";
}

/**
 * Reads one socket line of ss, or returns null when the line is not one: an internet socket
 * whose endpoints are not addresses and ports ({@link inetEndpoint}) is not one.
 */
function readSocketLine(t: readonly string[], header: Layout | undefined): SocketRow | null {
  if (t.length < 4) return null;
  let i: number;
  let netid: string | undefined;
  let state = STATES.get(t[0]);
  const second = state === undefined ? STATES.get(t[1]) : undefined;
  if (state !== undefined) {
    i = 1;
  } else if (second !== undefined && NETID.test(t[0])) {
    netid = t[0];
    state = second;
    i = 2;
  } else if (header && !header.state) {
    if (header.netid) {
      if (!NETID.test(t[0])) return null;
      netid = t[0];
      i = 1;
    } else i = 0;
  } else if (!header && INT.test(t[0]) && INT.test(t[1])) {
    i = 0;
  } else if (!header && NETID.test(t[0]) && INT.test(t[1]) && INT.test(t[2])) {
    netid = t[0];
    i = 1;
  } else return null;
  const recvQ = intOf(t[i] ?? "");
  const sendQ = intOf(t[i + 1] ?? "");
  if (recvQ === undefined || sendQ === undefined) return null;
  // The endpoints and extras start at r (no copy of the token array).
  const r = i + 2;
  const rest = t.length - r;
  if (rest < 2) return null;
  const unix =
    netid?.startsWith("u_") ||
    (netid === undefined &&
      rest >= 4 &&
      INT.test(t[r + 1]) &&
      INT.test(t[r + 3]) &&
      unixAddress(t[r]) &&
      unixAddress(t[r + 2]));
  const inet = !unix && (netid === undefined || INET_NETIDS.has(netid));
  if (!unix || rest < 4) {
    if (t[r].startsWith("users:") || t[r + 1].startsWith("users:")) return null;
  }
  // Assigned one by one in a fixed order (not spread, no endpoint objects), so that rows share
  // a few hidden classes: building rows from spreads dominated the time on large tables.
  const row = {} as SocketRow;
  if (netid !== undefined) row.netid = internNetid(netid);
  if (state !== undefined) row.state = state;
  row.recv_q = recvQ;
  row.send_q = sendQ;
  let next: number;
  if (unix && rest >= 4) {
    row.local_address = t[r];
    const localInode = intOf(t[r + 1]);
    if (localInode !== undefined) row.local_port = localInode;
    row.peer_address = t[r + 2];
    const peerInode = intOf(t[r + 3]);
    if (peerInode !== undefined) row.peer_port = peerInode;
    next = r + 4;
  } else {
    splitInto(t[r]);
    if (inet && !inetEndpoint()) return null;
    row.local_address = epAddress;
    if (epPort !== undefined) row.local_port = epPort;
    if (epPortName !== undefined) row.local_port_name = epPortName;
    if (epScope !== undefined) row.local_scope = epScope;
    splitInto(t[r + 1]);
    if (inet && !inetEndpoint()) return null;
    row.peer_address = epAddress;
    if (epPort !== undefined) row.peer_port = epPort;
    if (epPortName !== undefined) row.peer_port_name = epPortName;
    if (epScope !== undefined) row.peer_scope = epScope;
    next = r + 2;
  }
  readExtras(row, t, next);
  return row;
}

/** `{address, port, ...}` as `local_address`, `local_port`, … (or `peer_…`). */
export function endpointFields(side: "local" | "peer", ep: Endpoint): Partial<SocketRow> {
  const out: Record<string, string | number> = { [`${side}_address`]: ep.address };
  if (ep.port !== undefined) out[`${side}_port`] = ep.port;
  if (ep.port_name !== undefined) out[`${side}_port_name`] = ep.port_name;
  if (ep.scope !== undefined) out[`${side}_scope`] = ep.scope;
  return out as Partial<SocketRow>;
}

/**
 * Totals of a socket table, worked out one socket at a time so that the sockets themselves
 * need not be kept (see {@link RowSink}). `sendQIsBacklog`: the Send-Q of a LISTEN socket is
 * its backlog (ss); netstat prints 0 there.
 */
export class SocketTally {
  private total = 0;
  private readonly byState: Record<string, number> = {};
  private readonly byNetid: Record<string, number> = {};
  private readonly listeners: ListenerRow[] = [];
  private readonly synPeers = new Set<string>();
  private recvQ = 0;
  private sendQ = 0;
  private full = 0;
  private worst: ListenerRow | undefined;
  private info: SocketTableFacts["tcp_info"];

  constructor(private readonly sendQIsBacklog: boolean) {}

  /** Counts one socket. */
  add(s: SocketRow): void {
    this.total++;
    if (s.state !== undefined) this.byState[s.state] = (this.byState[s.state] ?? 0) + 1;
    if (s.netid !== undefined) this.byNetid[s.netid] = (this.byNetid[s.netid] ?? 0) + 1;
    if (s.state === "SYN-RECV") this.synPeers.add(s.peer_address);
    if (s.info && Object.keys(s.info).some((k) => !k.startsWith("timer_"))) {
      this.info ??= { sockets: 0, retrans_total: 0, sockets_with_retrans: 0, lost: 0 };
      const info = this.info;
      info.sockets++;
      const rt = s.info.retrans_total;
      if (typeof rt === "number") {
        info.retrans_total += rt;
        if (rt > 0) info.sockets_with_retrans++;
      }
      if (typeof s.info.lost === "number") info.lost += s.info.lost;
    }
    if (s.state === "LISTEN") this.addListener(s);
    else {
      this.recvQ += s.recv_q ?? 0;
      this.sendQ += s.send_q ?? 0;
    }
  }

  private addListener(s: SocketRow): void {
    const l: ListenerRow = {
      ...(s.netid !== undefined ? { netid: s.netid } : {}),
      local_address: s.local_address,
      ...(s.local_port !== undefined ? { local_port: s.local_port } : {}),
      ...(s.local_port_name !== undefined ? { local_port_name: s.local_port_name } : {}),
      ...(s.local_scope !== undefined ? { local_scope: s.local_scope } : {}),
      recv_q: s.recv_q ?? 0,
    };
    if (this.sendQIsBacklog && s.send_q !== undefined) {
      l.backlog = s.send_q;
      if (s.send_q > 0) l.queue_pct = Math.round((l.recv_q / s.send_q) * 10000) / 100;
      if (l.recv_q >= s.send_q && (s.send_q > 0 || l.recv_q > 0)) this.full++;
    }
    if (s.process) l.process = s.process;
    this.listeners.push(l);
    const worst = this.worst;
    const a = l.queue_pct ?? -1;
    const b = worst?.queue_pct ?? -1;
    if (!worst || a > b || (a === b && l.recv_q > worst.recv_q)) this.worst = l;
  }

  /** The facts, with `sockets` as the table (empty when the sockets went to a sink). */
  facts(sockets: SocketRow[]): SocketTableFacts {
    const facts: SocketTableFacts = {
      sockets,
      total: this.total,
      by_state: this.byState,
      by_netid: this.byNetid,
      recv_q_bytes_total: this.recvQ,
      send_q_bytes_total: this.sendQ,
      listeners: this.listeners,
      listeners_full: this.full,
      syn_recv_peers: this.synPeers.size,
    };
    if (this.worst) facts.worst_listener = this.worst;
    if (this.info) facts.tcp_info = this.info;
    return facts;
  }
}

/** Totals of a whole socket table (see {@link SocketTally}). */
export function summariseSockets(
  sockets: SocketRow[],
  options: { sendQIsBacklog: boolean },
): SocketTableFacts {
  const tally = new SocketTally(options.sendQIsBacklog);
  for (const s of sockets) tally.add(s);
  return tally.facts(sockets);
}

/**
 * Parses any `ss` socket table (see {@link SocketTableFacts}). With a `sink`, each socket goes
 * to it under `sockets` once its detail lines are read, and `facts.sockets` is left empty.
 * @throws UnrecognisedOutputError when neither a header nor a socket line was found.
 */
export function parseSs(lines: Iterable<string>, sink?: RowSink): ParseResult<SocketTableFacts> {
  const problems = new ProblemLog();
  const sockets: SocketRow[] = [];
  const tally = new SocketTally(true);
  let header: Layout | undefined;
  let found = false;
  /** The socket whose detail lines may still follow. */
  let last: SocketRow | undefined;
  const settle = (): void => {
    if (last === undefined) return;
    const row = settled(last);
    last = undefined;
    tally.add(row);
    if (sink) sink("sockets", row);
    else {
      detach(row);
      sockets.push(row);
    }
  };
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.includes("Recv-Q") && HEADER.test(line)) {
      header = { netid: /^\s*Netid\b/.test(line), state: /\bState\b/.test(line) };
      found = true;
      settle();
      continue;
    }
    const t = socketTokens(line);
    if (t.length === 0) continue; // a blank line
    const row = readSocketLine(t, header);
    if (row) {
      settle();
      last = row;
      found = true;
      continue;
    }
    const indented = /^\s/.test(line);
    if (last && (indented || t.some((x) => /^[a-z_]+:[^\s/]/.test(x)))) {
      readExtras(last, t, 0);
      continue;
    }
    problems.add(n, line, "not an ss header, socket line or detail line");
    settle();
  }
  settle();
  if (!found) throw new UnrecognisedOutputError("ss");
  return { facts: tally.facts(sockets), problems: problems.list() };
}

/**
 * Called once a socket's fields are all read. `info` is filled with computed keys, and V8
 * turns an object that gets more than about 20 properties that way into a hash table (some
 * 1.2 kB for an `-i` line, 100 000 of them on a large host); a copy of it is a compact object
 * again (about a quarter of that), with the same keys in the same order.
 */
function settled(row: SocketRow): SocketRow {
  if (row.info) row.info = { ...row.info };
  return row;
}

/** Gives a row that is kept its own copies of its addresses (see {@link ownCopy}). */
function detach(row: SocketRow): void {
  row.local_address = ownCopy(row.local_address);
  row.peer_address = ownCopy(row.peer_address);
}
