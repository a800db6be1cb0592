import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSs, type SocketRow } from "../../src/parsers/ss.js";
import { left, parseText, RUNS, right, truncateLastLine } from "./render.js";

/**
 * `ss -tan[ipoe]` and `ss -tuna` as iproute2 prints them (misc/ss.c): with and without the
 * Netid column, the old layout without a Process column, IPv4 and IPv6 (bracketed or, in old
 * iproute2, bare), `%iface` scopes, `users:(...)` in both styles, `-o` timers, `-e` extras
 * and `-i` detail lines. Generated sockets are rendered, parsed and compared.
 */

const STATES = ["ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"];
const MORE_STATES = ["CLOSE-WAIT", "LAST-ACK", "CLOSING", "LISTEN"];

const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const ipv4 = fc
  .tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 255 })))
  .map((p) => p.join("."));
/** Compressed IPv6 forms as inet_ntop prints them. */
const ipv6 = fc.oneof(
  fc.constant("::"),
  fc.constant("::1"),
  fc.tuple(hex, hex).map(([a, b]) => `2001:db8:${a}::${b}`),
  fc.tuple(hex, hex, hex).map(([a, b, c]) => `fd00:${a}:${b}::${c}`),
  ipv4.map((v4) => `::ffff:${v4}`),
);
const port = fc.integer({ min: 0, max: 65535 });
const iface = fc.constantFrom("lo", "eth0", "ens3", "virbr0", "wlp2s0");

interface Ep {
  address: string;
  port?: number;
  scope?: string;
  v6: boolean;
}

const endpoint: fc.Arbitrary<Ep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ address: ipv4, port, v6: fc.constant(false) }) },
  {
    weight: 1,
    arbitrary: fc.record({ address: ipv4, port, scope: iface, v6: fc.constant(false) }),
  },
  { weight: 3, arbitrary: fc.record({ address: ipv6, port, v6: fc.constant(true) }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ tail: hex, port, scope: iface })
      .map(({ tail, port, scope }) => ({ address: `fe80::${tail}`, port, scope, v6: true })),
  },
);
/** The peer of a listener: any address, any port. */
const wildcard: fc.Arbitrary<Ep> = fc.constantFrom<Ep>(
  { address: "0.0.0.0", v6: false },
  { address: "::", v6: true },
  { address: "*", v6: false },
);

const processName = fc.constantFrom("nginx", "sshd", "Web Content", "(sd-pam)", "java", "node");
const users = fc.array(
  fc.record({
    name: processName,
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    fd: fc.integer({ min: 0, max: 65535 }),
  }),
  { minLength: 1, maxLength: 3 },
);

/** The `-i` fields, as [printed text, the info keys they give]. */
const infoField = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 14 }))
    .map(([s, r]) => [`wscale:${s},${r}`, { snd_wscale: s, rcv_wscale: r }] as const),
  fc.integer({ min: 200, max: 120_000 }).map((v) => [`rto:${v}`, { rto_ms: v }] as const),
  fc
    .tuple(fc.integer({ min: 1, max: 900_000 }), fc.integer({ min: 1, max: 900_000 }))
    .map(
      ([a, b]) =>
        [`rtt:${a / 1000}/${b / 1000}`, { rtt_ms: a / 1000, rttvar_ms: b / 1000 }] as const,
    ),
  fc.integer({ min: 0, max: 200 }).map((v) => [`ato:${v}`, { ato_ms: v }] as const),
  fc.integer({ min: 88, max: 65535 }).map((v) => [`mss:${v}`, { mss: v }] as const),
  fc.integer({ min: 576, max: 65535 }).map((v) => [`pmtu:${v}`, { pmtu: v }] as const),
  fc.integer({ min: 1, max: 10_000 }).map((v) => [`cwnd:${v}`, { cwnd: v }] as const),
  fc.integer({ min: 2, max: 10_000 }).map((v) => [`ssthresh:${v}`, { ssthresh: v }] as const),
  fc
    .integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
    .map((v) => [`bytes_acked:${v}`, { bytes_acked: v }] as const),
  fc.integer({ min: 0, max: 2 ** 40 }).map((v) => [`segs_out:${v}`, { segs_out: v }] as const),
  fc.integer({ min: 0, max: 2 ** 31 }).map((v) => [`lastsnd:${v}`, { lastsnd_ms: v }] as const),
  fc.integer({ min: 0, max: 2 ** 31 }).map((v) => [`busy:${v}ms`, { busy_ms: v }] as const),
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100_000 }))
    .map(([a, b]) => [`retrans:${a}/${b}`, { retrans: a, retrans_total: b }] as const),
  fc.integer({ min: 0, max: 1000 }).map((v) => [`lost:${v}`, { lost: v }] as const),
  fc
    .integer({ min: 0, max: 9_999_999 })
    .map((v) => [`minrtt:${v / 1000}`, { minrtt_ms: v / 1000 }] as const),
  fc
    .integer({ min: 0, max: 9_999_999 })
    .map((v) => [`rcv_rtt:${v / 1000}`, { rcv_rtt_ms: v / 1000 }] as const),
  fc.constant(["app_limited", { app_limited: true }] as const),
  // rates: new ss prints plain bits per second, old ss `sprint_bw` K/M/G with one decimal
  fc
    .tuple(
      fc.constantFrom("send", "pacing_rate", "delivery_rate"),
      fc.integer({ min: 0, max: 2 ** 45 }),
    )
    .map(([k, v]) => [`${k} ${v}bps`, { [`${k}_bps`]: v }] as const),
  fc
    .tuple(
      fc.constantFrom("send", "pacing_rate", "delivery_rate"),
      fc.integer({ min: 10, max: 9999 }),
      fc.constantFrom(["K", 1e3], ["M", 1e6], ["G", 1e9]),
    )
    .map(
      ([k, tenths, [u, mult]]) =>
        [
          `${k} ${(tenths / 10).toFixed(1)}${u}bps`,
          { [`${k}_bps`]: (tenths * mult) / 10 },
        ] as const,
    ),
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 99_999 }))
    .map(
      ([bw, mrtt]) =>
        [
          `bbr:(bw:${bw}bps,mrtt:${mrtt / 1000},pacing_gain:2.88672)`,
          { bbr_bw_bps: bw, bbr_mrtt_ms: mrtt / 1000, bbr_pacing_gain: 2.88672 },
        ] as const,
    ),
);

const info = fc.record({
  cong: fc.option(fc.constantFrom("cubic", "bbr", "reno", "dctcp"), { nil: undefined }),
  // Each key at most once (ss prints each once).
  fields: fc.uniqueArray(infoField, {
    minLength: 1,
    maxLength: 12,
    selector: ([text]) => (text.includes(" ") ? text.split(" ")[0] : text.split(":")[0]),
  }),
});

const socket = fc.record({
  netid: fc.constantFrom("tcp", "udp"),
  state: fc.constantFrom(...STATES, ...MORE_STATES),
  recvQ: fc.integer({ min: 0, max: 2 ** 31 }),
  sendQ: fc.integer({ min: 0, max: 2 ** 31 }),
  local: endpoint,
  peer: endpoint,
  peerWildcard: wildcard,
  users: fc.option(users, { nil: undefined }),
  oldUsers: fc.boolean(),
  timer: fc.option(
    fc.tuple(fc.constantFrom("keepalive", "on", "timewait"), fc.integer({ min: 1, max: 999 })),
    { nil: undefined },
  ),
  extended: fc.option(
    fc.record({
      uid: fc.integer({ min: 0, max: 65534 }),
      ino: fc.integer({ min: 0, max: 2 ** 32 }),
      sk: hex,
      v6only: fc.constantFrom(0, 1),
      shutdown: fc.constantFrom("<->", "-->", "<--", "---"),
    }),
    { nil: undefined },
  ),
  info: fc.option(info, { nil: undefined }),
});

const table = fc.record({
  layout: fc.constantFrom("netid", "state", "old"),
  bareV6: fc.boolean(),
  sockets: fc.array(socket, { minLength: 0, maxLength: 12 }),
  pad: fc.integer({ min: 1, max: 6 }),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 4 }),
});

function printEndpoint(ep: Ep, bareV6: boolean, port: string): string {
  const addr = ep.v6 && !bareV6 ? `[${ep.address}]` : ep.address;
  return `${addr}${ep.scope ? `%${ep.scope}` : ""}:${port}`;
}

describe("ss socket tables: generated sockets parse back to their rows", () => {
  it("every socket, with its process, timer, -e extras and -i fields, and the totals", () => {
    fc.assert(
      fc.property(table, (t) => {
        const out: string[] = [];
        const withNetid = t.layout === "netid";
        const header =
          t.layout === "old"
            ? "State      Recv-Q Send-Q        Local Address:Port          Peer Address:Port "
            : `${withNetid ? "Netid " : ""}State      Recv-Q Send-Q        Local Address:Port          Peer Address:Port Process`;
        out.push(header);
        const expected: SocketRow[] = [];
        for (const s of t.sockets) {
          const listen = s.state === "LISTEN";
          const state = s.netid === "udp" && withNetid ? (listen ? "UNCONN" : "ESTAB") : s.state;
          const peer = listen || state === "UNCONN" ? s.peerWildcard : s.peer;
          const local = s.local;
          const localText = printEndpoint(local, t.bareV6, String(local.port));
          const peerText = printEndpoint(
            peer,
            t.bareV6,
            peer.port === undefined ? "*" : String(peer.port),
          );
          const extras: string[] = [];
          const row: SocketRow = {
            ...(withNetid ? { netid: s.netid } : {}),
            state,
            recv_q: s.recvQ,
            send_q: s.sendQ,
            local_address: local.address,
            local_port: local.port,
            ...(local.scope ? { local_scope: local.scope } : {}),
            peer_address: peer.address,
            ...(peer.port !== undefined ? { peer_port: peer.port } : {}),
            ...(peer.scope ? { peer_scope: peer.scope } : {}),
          };
          if (s.users) {
            extras.push(
              `users:(${s.users
                .map((u) =>
                  s.oldUsers
                    ? `("${u.name}",${u.pid},${u.fd})`
                    : `("${u.name}",pid=${u.pid},fd=${u.fd})`,
                )
                .join(",")})`,
            );
            row.process = s.users.map((u) => ({ name: u.name, pid: u.pid, fd: u.fd }));
          }
          const info: Record<string, number | string | boolean> = {};
          if (s.timer) {
            extras.push(`timer:(${s.timer[0]},${s.timer[1]}sec,0)`);
            Object.assign(info, {
              timer_name: s.timer[0],
              timer_expires_ms: s.timer[1] * 1000,
              timer_retrans: 0,
            });
          }
          if (s.extended) {
            const e = s.extended;
            extras.push(`uid:${e.uid} ino:${e.ino} sk:${e.sk} v6only:${e.v6only} ${e.shutdown}`);
            Object.assign(row, {
              uid: e.uid,
              ino: e.ino,
              sk: e.sk,
              v6only: e.v6only,
              shutdown: e.shutdown,
            });
          }
          out.push(
            `${withNetid ? left(s.netid, 6) : ""}${left(state, 10)} ${left(String(s.recvQ), 6)} ${left(String(s.sendQ), 6)} ${right(localText, 20 + t.pad)} ${left(peerText, 20)}${extras.length ? ` ${extras.join(" ")}` : ""}`,
          );
          if (s.info) {
            const words = [
              ...(s.info.cong ? [s.info.cong] : []),
              ...s.info.fields.map(([text]) => text),
            ];
            out.push(`\t ${words.join(" ")}`);
            if (s.info.cong) info.cong_alg = s.info.cong;
            for (const [, keys] of s.info.fields) Object.assign(info, keys);
          }
          if (Object.keys(info).length > 0) row.info = info;
          expected.push(row);
        }
        let text = out.join("\n");
        let lastLine = 0;
        const cut = t.truncate !== null && t.sockets.length > 0;
        if (cut) ({ text, lastLine } = truncateLastLine(text, t.truncate!));

        const { facts, problems } = parseText(parseSs, text);
        if (!cut) {
          expect(problems).toEqual([]);
          expect(facts.sockets).toEqual(expected);
        } else {
          const whole = expected.slice(0, -1);
          expect(facts.sockets.slice(0, whole.length)).toEqual(whole);
          expect([whole.length, expected.length]).toContain(facts.sockets.length);
          if (facts.sockets.length === whole.length) {
            expect(problems.map((p) => p.line)).toEqual([lastLine]);
          }
          return;
        }

        // Totals are derived from the rows.
        expect(facts.total).toBe(expected.length);
        const byState: Record<string, number> = {};
        for (const r of expected) byState[r.state!] = (byState[r.state!] ?? 0) + 1;
        expect(facts.by_state).toEqual(byState);
        const listeners = expected.filter((r) => r.state === "LISTEN");
        expect(facts.listeners.map((l) => [l.local_address, l.recv_q, l.backlog])).toEqual(
          listeners.map((r) => [r.local_address, r.recv_q, r.send_q]),
        );
        expect(facts.listeners_full).toBe(
          listeners.filter((r) => r.recv_q! >= r.send_q! && (r.send_q! > 0 || r.recv_q! > 0))
            .length,
        );
        const open = expected.filter((r) => r.state !== "LISTEN");
        expect(facts.recv_q_bytes_total).toBe(open.reduce((a, r) => a + r.recv_q!, 0));
        expect(facts.send_q_bytes_total).toBe(open.reduce((a, r) => a + r.send_q!, 0));
        const tcpInfo = expected.filter(
          (r) => r.info && Object.keys(r.info).some((k) => !k.startsWith("timer_")),
        );
        expect(facts.tcp_info?.sockets ?? 0).toBe(tcpInfo.length);
        expect(facts.tcp_info?.retrans_total ?? 0).toBe(
          tcpInfo.reduce((a, r) => a + ((r.info!.retrans_total as number) ?? 0), 0),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
