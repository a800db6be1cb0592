import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * network-syn-flood on parsed outputs, each kind of evidence on its own: the kernel's
 * "Possible SYN flooding" line in every wording (net/ipv4/tcp_ipv4.c ≤ 3.18, then
 * net/ipv4/tcp_input.c tcp_syn_flood_action; ../shared/kernel-messages.md §4), the SYN-queue
 * counters over the window (nstat, netstat -s: TcpExtTCPReqQFullDoCookies, SyncookiesSent,
 * TCPReqQFullDrop), and SYN-RECV sockets in `ss -tan`. Each with the input that must stay quiet.
 */
const replayBundle = bundleReplayer();

const RULE = "network-syn-flood";
const hyp = (r: Report) => r.hypotheses.find((h) => h.rule === RULE);

/**
 * The SYN-flood rows of the kernel-message survey (test/fixtures/kernel-messages/wordings.tsv:
 * each format string of §4 filled in, the debug-level `drop open request from` included), and
 * two the survey gives only in words: 3.4–3.16's proto `TCP` (`TCP: TCP: Possible …`) and
 * 6.3+'s IPv6 address `[%pI6c]:%u` with proto `request_sock_TCPv6`.
 */
const WORDINGS: { versions: string; line: string; dropping: boolean; port: boolean }[] = [
  ...readFixture("kernel-messages/wordings.tsv")
    .split("\n")
    .filter((l) => l.startsWith("syn-flood\t"))
    .map((l) => l.split("\t"))
    .map((f) => ({ versions: f[3], line: f[4] })),
  {
    versions: "3.4–3.16",
    line: "TCP: TCP: Possible SYN flooding on port 8080. Sending cookies.  Check SNMP counters.",
  },
  {
    versions: "6.3.8–6.19 IPv6",
    line: "TCP: request_sock_TCPv6: Possible SYN flooding on port [2001:db8::5]:8080. Sending cookies.",
  },
].map(({ versions, line }) => ({
  versions,
  line,
  dropping: /Dropping request|drop open request/.test(line),
  port: line.includes(" on port "),
}));

/** The Debian VM's kernel log with `line` logged at `t` s (its last line is at 715.95 s). */
function debianDmesg(line: string, t: number): { text: string } {
  const stamp = `[${t.toFixed(6).padStart(13)}]`;
  return { text: `${readFixture("dmesg/vm-debian12-k6.18__dmesg.txt")}${stamp} ${line}\n` };
}

describe("network-syn-flood from the kernel log", () => {
  it("has all ten wordings to test", () => {
    expect(WORDINGS).toHaveLength(10);
  });

  for (const { versions, line, dropping, port } of WORDINGS) {
    it(`fires on ${versions}: "${line}"`, async () => {
      const r = await replayBundle({ dmesg: debianDmesg(line, 4000) }, "network");
      const h = hyp(r);
      expect(h?.category).toBe("network-syn-flood");
      expect(h?.title).toBe(
        `SYN flood pattern${port ? " on port 8080" : ""}: a listener's SYN queue overflowed`,
      );
      expect(h?.confidence).toBeCloseTo(dropping ? 0.8 : 0.7, 5);
      const ev = h?.evidence.find((e) => e.fact === "net.log.syn_flood");
      expect(ev?.collector).toBe("dmesg");
      expect(ev?.excerpt).toContain(line);
      expect(h?.remediation[0].startsWith("The kernel logged 1 dropped connection requests")).toBe(
        dropping,
      );
    });
  }

  it("stays quiet on the healthy VM's log, and on a flood logged more than an hour before its last line", async () => {
    const healthy = await replayBundle({ dmesg: "dmesg/vm-debian12-k6.18__dmesg.txt" }, "network");
    expect(hyp(healthy)).toBeUndefined();
    const line = WORDINGS[4].line;
    const old = `[  100.000000] ${line}\n${debianDmesg("EXT4-fs (vda): re-mounted. Quota mode: none.", 4000).text}`;
    const r = await replayBundle({ dmesg: { text: old } }, "network");
    expect(hyp(r)).toBeUndefined();
    expect(r.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
  });
});

/** The Debian VM's `nstat -az` (absolute values), with named counters raised. */
function nstat(bump: Record<string, number> = {}): string {
  let text = readFixture("nstat/vm-debian12-k6.18__nstat-az.txt");
  for (const [name, by] of Object.entries(bump)) {
    const re = new RegExp(`^(${name}\\s+)(\\d+)`, "m");
    expect(text).toMatch(re);
    text = text.replace(re, (_m, head: string, v: string) =>
      `${head}${Number(v) + by}`.padEnd(head.length + v.length),
    );
  }
  return text;
}

/** The Debian VM's `sysctl -e` keys with net.ipv4.tcp_syncookies set. */
function syncookies(mode: number): { text: string } {
  const text = readFixture("sysctl/vm-debian12-k6.18__sysctl-e-keys.txt");
  expect(text).toMatch(/^net\.ipv4\.tcp_syncookies = 1$/m);
  return {
    text: text.replace(/^net\.ipv4\.tcp_syncookies = 1$/m, `net.ipv4.tcp_syncookies = ${mode}`),
  };
}

const COOKIES = { TcpExtTCPReqQFullDoCookies: 1200, TcpExtSyncookiesSent: 1200 };

describe("network-syn-flood from the SYN-queue counters over the window", () => {
  it("fires on SYNs answered with cookies because the queue was full", async () => {
    const r = await replayBundle(
      { nstat: { text: nstat(COOKIES), start: nstat() }, sysctl: syncookies(1) },
      "network",
      10,
    );
    const h = hyp(r);
    expect(h?.title).toBe(
      "SYN flood pattern: a listener's SYN queue overflowed, 1200 SYNs answered with cookies",
    );
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    const ev = h?.evidence.find((e) => e.fact === "net.tcp.syn_queue_cookies");
    expect(ev).toMatchObject({ collector: "nstat", value: 1200 });
    expect(ev?.excerpt).toBe("TcpExtTCPReqQFullDoCookies 1200 over 10 s");
  });

  it("fires on SYNs dropped with cookies off, and says to turn them on", async () => {
    const r = await replayBundle(
      {
        nstat: { text: nstat({ TcpExtTCPReqQFullDrop: 340 }), start: nstat() },
        sysctl: syncookies(0),
      },
      "network",
      10,
    );
    const h = hyp(r);
    expect(h?.title).toBe("SYN flood pattern: a listener's SYN queue overflowed, 340 SYNs dropped");
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    expect(h?.remediation[0]).toMatch(
      /^340 SYNs were dropped with the SYN queue full \(TCPReqQFullDrop\): SYN cookies are off/,
    );
  });

  it("reads netstat -s as well (net-tools wording and Name: value lines)", async () => {
    const base = readFixture("netstat-s/vm-debian12-k6.18__netstat-s.txt");
    const raised = base.replace(
      /^TcpExt:\n/m,
      "TcpExt:\n    1200 SYN cookies sent\n    TCPReqQFullDoCookies: 1200\n",
    );
    expect(raised).not.toBe(base);
    const r = await replayBundle({ "netstat-s": { text: raised, start: base } }, "network", 10);
    expect(hyp(r)?.evidence.map((e) => [e.fact, e.value])).toEqual(
      expect.arrayContaining([
        ["net.tcp.syn_queue_cookies", 1200],
        ["net.tcp.syncookies_sent", 1200],
      ]),
    );
  });

  it("stays quiet on the same counters read once (since boot), with tcp_syncookies = 2, or unchanged", async () => {
    const once = await replayBundle({ nstat: { text: nstat(COOKIES) } }, "network");
    expect(hyp(once)).toBeUndefined();
    // tcp_syncookies = 2: every SYN gets a cookie (Documentation/networking/ip-sysctl.rst).
    const always = await replayBundle(
      { nstat: { text: nstat(COOKIES), start: nstat() }, sysctl: syncookies(2) },
      "network",
      10,
    );
    expect(hyp(always)).toBeUndefined();
    const quiet = await replayBundle(
      { nstat: { text: nstat(), start: nstat() }, sysctl: syncookies(1) },
      "network",
      10,
    );
    expect(hyp(quiet)).toBeUndefined();
    expect(quiet.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
  });
});

/**
 * `ss -tan` in ss's own layout (the header and columns of
 * test/fixtures/ss-tcp/dd-integrations__network_tests_fixtures_ss_ipv4_tcp.txt): a listener on
 * :443, `estab` established clients and `synRecv` half-open sockets from `peers` addresses.
 */
function ssTan(estab: number, synRecv: number, peers: number): { text: string } {
  const rows = ["State      Recv-Q Send-Q     Local Address:Port       Peer Address:Port"];
  rows.push("LISTEN     0      4096       10.0.2.15:443            *:*");
  for (let i = 0; i < estab; i++)
    rows.push(
      `ESTAB      0      0          10.0.2.15:443            192.0.2.${1 + (i % 200)}:${40000 + i}`,
    );
  for (let i = 0; i < synRecv; i++)
    rows.push(
      `SYN-RECV   0      0          10.0.2.15:443            198.51.100.${1 + (i % peers)}:${20000 + i}`,
    );
  return { text: `${rows.join("\n")}\n` };
}

describe("network-syn-flood from the socket table", () => {
  it("fires on many half-open sockets from many addresses", async () => {
    const r = await replayBundle({ "ss-tcp": ssTan(20, 180, 150) }, "network");
    const h = hyp(r);
    expect(h?.title).toBe("SYN flood pattern: 180 half-open (SYN-RECV) sockets from 150 addresses");
    expect(h?.confidence).toBeCloseTo(0.7, 5);
    const ev = h?.evidence.find((e) => e.fact === "net.sockets.syn_recv_peers");
    expect(ev?.collector).toBe("ss-tcp");
    expect(ev?.excerpt).toBe("tcp SYN-RECV 0 0 10.0.2.15:443 198.51.100.1:20000");
  });

  it("stays quiet on real tables, on half-open sockets from one address, and on a few among many", async () => {
    for (const fixture of [
      "ss-tcp/dd-integrations__network_tests_fixtures_ss_ipv4_tcp.txt",
      "ss-tcp/jc__ubuntu-18.04__ss-sudo-a.out.txt",
    ]) {
      expect(hyp(await replayBundle({ "ss-tcp": fixture }, "network"))).toBeUndefined();
    }
    // One client (a proxy or a load balancer) opening many connections at once.
    expect(hyp(await replayBundle({ "ss-tcp": ssTan(20, 60, 1) }, "network"))).toBeUndefined();
    // 15 half-open of 215: a busy server's normal handshakes in flight.
    expect(hyp(await replayBundle({ "ss-tcp": ssTan(200, 15, 15) }, "network"))).toBeUndefined();
  });
});
