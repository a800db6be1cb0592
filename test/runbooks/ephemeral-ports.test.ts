import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * ephemeral-port-exhaustion on parsed outputs: connect(2) failing with EADDRNOTAVAIL and bind(2)
 * to port 0 failing with EADDRINUSE in an `strace -f -tt -T` trace (the errors the man pages
 * give for an ephemeral range used up), and the sockets to one destination in `ss -tan` against
 * net.ipv4.ip_local_port_range (sysctl, or the kernel's default 32768-60999 of
 * Documentation/networking/ip-sysctl.rst). Each with the input that must stay quiet.
 */
const replayBundle = bundleReplayer();

const RULE = "ephemeral-port-exhaustion";
const hyp = (r: Report) => r.hypotheses.find((h) => h.rule === RULE);

/** The Debian VM's `strace -f -tt -T` of bash connecting to 127.0.0.1:1 (ECONNREFUSED). */
const TRACE = "strace/vm-debian12-k6.18__strace-f-tt-T.txt";
const REFUSED =
  '15546 15:03:15.242914 connect(3, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused) <0.000088>';

/** The trace with its refused connect() replaced by `lines` (strerror texts of glibc). */
function trace(...lines: string[]): { text: string } {
  const text = readFixture(TRACE);
  expect(text).toContain(REFUSED);
  return { text: text.replace(REFUSED, lines.join("\n")) };
}

const bindLine = (port: number, t: string) =>
  `15546 15:03:15.${t} bind(3, {sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("10.0.2.15")}, 16) = -1 EADDRINUSE (Address already in use) <0.000012>`;

describe("ephemeral-port-exhaustion from a system-call trace", () => {
  it("fires on connect() failing with EADDRNOTAVAIL", async () => {
    const r = await replayBundle(
      {
        strace: trace(
          REFUSED.replace(
            "ECONNREFUSED (Connection refused)",
            "EADDRNOTAVAIL (Cannot assign requested address)",
          ),
        ),
      },
      "errors",
    );
    const h = hyp(r);
    expect(h?.category).toBe("ephemeral-port-exhaustion");
    expect(h?.title).toBe(
      "Outgoing connections run out of local ports; 1 connect() calls failed with EADDRNOTAVAIL",
    );
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    const ev = h?.evidence.find((e) => e.fact === "strace.connect_eaddrnotavail");
    expect(ev?.collector).toBe("strace");
    expect(ev?.excerpt).toMatch(/^connect: \d+ calls in the trace .*failed: .*EADDRNOTAVAIL ×1/);
  });

  it("fires on bind() to port 0 failing with EADDRINUSE", async () => {
    const r = await replayBundle(
      { strace: trace(bindLine(0, "242900"), bindLine(0, "242910"), REFUSED) },
      "errors",
    );
    const h = hyp(r);
    expect(h?.title).toBe(
      "Outgoing connections run out of local ports; 2 bind() calls to port 0 failed with EADDRINUSE",
    );
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    expect(h?.evidence.find((e) => e.fact === "strace.bind_port0_eaddrinuse")?.excerpt).toMatch(
      /^bind: 2 calls in the trace .*failed: EADDRINUSE ×2/,
    );
  });

  it("stays quiet on a refused connect() and on bind() to a fixed port that is taken", async () => {
    const refused = await replayBundle({ strace: TRACE }, "errors");
    expect(hyp(refused)).toBeUndefined();
    expect(refused.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    const taken = await replayBundle(
      { strace: trace(bindLine(8080, "242900"), REFUSED) },
      "errors",
    );
    expect(hyp(taken)).toBeUndefined();
  });
});

/**
 * `ss -tan` in ss's own layout (the header and columns of
 * test/fixtures/ss-tcp/dd-integrations__network_tests_fixtures_ss_ipv4_tcp.txt): `sockets`
 * client sockets from 10.0.2.15 (TIME-WAIT, every tenth ESTAB), one local port each, to
 * `destinations` PostgreSQL servers in turn.
 */
function ssTan(sockets: number, destinations = 1): { text: string } {
  const rows = ["State      Recv-Q Send-Q     Local Address:Port       Peer Address:Port"];
  rows.push("LISTEN     0      128        *:22                     *:*");
  for (let i = 0; i < sockets; i++) {
    const state = i % 10 === 0 ? "ESTAB    " : "TIME-WAIT";
    const peer = `10.0.${1 + (i % destinations)}.5:5432`;
    rows.push(`${state}  0      0          10.0.2.15:${32768 + i}          ${peer}`);
  }
  return { text: `${rows.join("\n")}\n` };
}

/** The Debian VM's `sysctl -e` keys (ip_local_port_range 32768 60999) with another range. */
function portRange(low: number, high: number): { text: string } {
  const text = readFixture("sysctl/vm-debian12-k6.18__sysctl-e-keys.txt");
  const line = /^net\.ipv4\.ip_local_port_range = 32768\t60999$/m;
  expect(text).toMatch(line);
  return { text: text.replace(line, `net.ipv4.ip_local_port_range = ${low}\t${high}`) };
}

describe("ephemeral-port-exhaustion from the socket table against the port range", () => {
  it("fires on sockets to one destination using most of the range read by sysctl", async () => {
    const r = await replayBundle(
      { "ss-tcp": ssTan(25000), sysctl: "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt" },
      "errors",
    );
    const h = hyp(r);
    expect(h?.title).toBe(
      "Outgoing connections run out of local ports: 25000 sockets to 10.0.1.5:5432",
    );
    expect(h?.key).toMatch(/10\.0\.1\.5:5432/);
    // 25000 of 28232 ports (88.55 %), and 22500 TIME-WAIT sockets below the range
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    const ev = h?.evidence.find((e) => e.fact === "net.sockets.top_dest_pct_of_ports");
    expect(ev).toMatchObject({ collector: "sysctl", value: 88.55 });
    expect(ev?.excerpt).toMatch(
      /^25000 sockets to 10\.0\.1\.5:5432, e\.g\. .*; 28232 local ports$/,
    );
  });

  it("fires on a narrowed range (sysctl) that a smaller pool fills", async () => {
    const r = await replayBundle(
      { "ss-tcp": ssTan(4500), sysctl: portRange(60000, 64999) },
      "errors",
    );
    expect(
      hyp(r)?.evidence.find((e) => e.fact === "net.sockets.top_dest_pct_of_ports")?.value,
    ).toBe(90);
  });

  it("stays quiet with the range widened, with the sockets spread over destinations, and on real tables", async () => {
    const wide = await replayBundle(
      { "ss-tcp": ssTan(25000), sysctl: portRange(1024, 65535) },
      "errors",
    );
    expect(hyp(wide)).toBeUndefined();
    expect(wide.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    // A local port can serve one connection to each destination (connect(2) picks a port that
    // makes the 4-tuple unique): 25000 sockets over 10 servers use 2500 ports of each.
    const spread = await replayBundle({ "ss-tcp": ssTan(25000, 10) }, "errors");
    expect(hyp(spread)).toBeUndefined();
    const real = await replayBundle(
      { "ss-tcp": "ss-tcp/dd-integrations__network_tests_fixtures_ss_ipv4_tcp.txt" },
      "errors",
    );
    expect(hyp(real)).toBeUndefined();
  });
});
