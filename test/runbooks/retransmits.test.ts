import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";

/**
 * Loss on a path seen in the connections themselves (runbooks/network.yaml tcp-retrans-to-peer):
 * `ss -tin` detail lines, whose `segs_out:` and `retrans:N/TOTAL` are tcp_info's
 * tcpi_segs_out and tcpi_total_retrans (iproute2 misc/ss.c tcp_stats_print prints retrans only
 * when non-zero), replayed as bundles of one ss-tcp file.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(files: Record<string, string>, symptom: Symptom) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-retransmits-"));
  dirs.push(dir);
  for (const [id, text] of Object.entries(files)) {
    writeFileSync(join(dir, id === "bundle.json" ? id : `${id}.out`), text);
  }
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

/** telegraf's `ss -in --tcp` capture: three connections, one with retrans:0/1 of 15431 segments. */
const TELEGRAF = readFixture("ss-tcp/telegraf__socketstat__tcp_traffic.txt");
/** A Debian 12 VM's `ss -tani`: loopback connections of a few segments each. */
const DEBIAN = readFixture("ss-tcp/vm-debian12-k6.18__ss-tani.txt");

/** `text` with `from` replaced once (the replaced text must be there). */
function edited(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe("tcp-retrans-to-peer: retransmits against segments sent, per peer (ss -ti)", () => {
  it("names the peer whose connection retransmitted 1.5 % of 333361 segments", async () => {
    // retrans goes where ss prints it: after lastack/pacing_rate, before rcv_rtt.
    const text = edited(
      TELEGRAF,
      "lastack:5248 rcv_rtt:250",
      "lastack:5248 retrans:0/5000 lost:2 rcv_rtt:250",
    );
    const r = await replay({ "ss-tcp": text }, "network");
    const h = r.hypotheses.find((x) => x.rule === "tcp-retrans-to-peer");
    expect(h?.category).toBe("network-retransmits-loss");
    expect(h?.title).toBe(
      "Connections to 192.168.122.1 retransmitted 1.5 % of the segments they sent (5000 of 333361; connections: 1): packets on that path are lost",
    );
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    const ev = h?.evidence.find((e) => e.fact === "net.sockets.loss_peer_retrans_pct");
    expect(ev?.excerpt).toBe(
      "5000 of 333361 segments retransmitted on 1 connections to 192.168.122.1, e.g. tcp ESTAB 0 0 192.168.122.1:55194 192.168.122.1:6514 segs_out:333361 retrans:0/5000 lost:2",
    );
  });

  it("sums the connections to one peer and boosts a share of 5 % or more", async () => {
    // The three connections made to one peer: 0 + 1000 + 30000 retransmits of
    // 211249 + 333361 + 15431 segments.
    let text = edited(TELEGRAF, "192.168.1.21:443", "192.168.122.1:443");
    text = edited(text, "127.0.0.1:50378", "192.168.122.1:50378");
    text = edited(text, "lastack:5248 rcv_rtt:250", "lastack:5248 retrans:0/1000 rcv_rtt:250");
    text = edited(text, "retrans:0/1 ", "retrans:3/30000 ");
    const r = await replay({ "ss-tcp": text }, "network");
    const h = r.hypotheses.find((x) => x.rule === "tcp-retrans-to-peer");
    // 31000 / 560041 = 5.535 %, shown with two decimals
    expect(h?.title).toMatch(
      /^Connections to 192\.168\.122\.1 retransmitted 5\.54 % .*\(31000 of 560041; connections: 3\)/,
    );
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    expect(h?.key).toBe("t/tcp-retrans-to-peer/192.168.122.1");
  });

  it("stays quiet on a share of 0.006 % and on connections of a few segments", async () => {
    const healthy = await replay({ "ss-tcp": TELEGRAF }, "network");
    expect(healthy.hypotheses.map((h) => h.rule)).not.toContain("tcp-retrans-to-peer");
    const c = healthy.checked.find((x) => x.rule === "tcp-retrans-to-peer");
    expect(c?.verdict).toBe("fine");
    // Half of 4 segments retransmitted: too small a sample to call loss.
    const tiny = edited(DEBIAN, "delivered:2 app_limited", "delivered:2 app_limited retrans:0/2");
    const r = await replay({ "ss-tcp": tiny }, "network");
    expect(r.hypotheses.map((h) => h.rule)).not.toContain("tcp-retrans-to-peer");
  });
});

/** The Debian VM's `nstat -asz` with TcpOutSegs and TcpRetransSegs raised by the given counts. */
function nstatAfter(outSegs: number, retransSegs: number): string {
  const start = readFixture("nstat/vm-debian12-k6.18__nstat-asz.txt");
  const bump = (text: string, name: string, by: number) =>
    text.replace(new RegExp(`^(${name} +)(\\d+)`, "m"), (_m, head: string, v: string) => {
      const next = String(Number(v) + by);
      // nstat pads the name and value to one column: keep the width where the value grows.
      return `${head.slice(0, head.length - Math.max(0, next.length - v.length))}${next}`;
    });
  expect(start).toMatch(/^TcpOutSegs +4912 /m);
  expect(start).toMatch(/^TcpRetransSegs +0 /m);
  return bump(bump(start, "TcpOutSegs", outSegs), "TcpRetransSegs", retransSegs);
}

/** CentOS 7.7's `sysctl -a` (net.ipv4.tcp_sack = 1) with SACK set as given. */
function centosSysctl(sack: 0 | 1): string {
  return edited(
    readFixture("sysctl/jc__centos-7.7__sysctl-a.out.txt"),
    "net.ipv4.tcp_sack = 1",
    `net.ipv4.tcp_sack = ${sack}`,
  );
}

describe("tcp-sack-off: loss repaired without selective acknowledgments (sysctl, nstat)", () => {
  const start = readFixture("nstat/vm-debian12-k6.18__nstat-asz.txt");
  /** The manifest's window: nstat.start.out and nstat.out were read 10 s apart. */
  const window = JSON.stringify({ version: 1, window: { seconds: 10 } });

  it("is a finding when SACK is off and 3 % of the segments over the window are retransmits", async () => {
    const r = await replay(
      {
        "bundle.json": window,
        sysctl: centosSysctl(0),
        "nstat.start": start,
        nstat: nstatAfter(20000, 600),
      },
      "network",
    );
    const h = r.hypotheses.find((x) => x.rule === "tcp-sack-off");
    expect(h?.category).toBe("network-retransmits-loss");
    expect(h?.title).toBe(
      "Selective acknowledgments are off (net.ipv4.tcp_sack = 0) while TCP retransmits 3 % of its segments: each loss takes more retransmits and round trips to repair",
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
    expect(h?.evidence.find((e) => e.fact === "sysctl.net_ipv4_tcp_sack")?.excerpt).toMatch(
      /net\.ipv4\.tcp_sack = 0/,
    );
    // The loss itself is the retransmit finding, ranked above the setting that worsens it.
    const rank = (rule: string) => r.hypotheses.findIndex((x) => x.rule === rule);
    expect(rank("network-retransmits-loss")).toBeGreaterThanOrEqual(0);
    expect(rank("network-retransmits-loss")).toBeLessThan(rank("tcp-sack-off"));
  });

  it("stays quiet with SACK on, and with SACK off on a lossless window", async () => {
    const sackOn = await replay(
      {
        "bundle.json": window,
        sysctl: centosSysctl(1),
        "nstat.start": start,
        nstat: nstatAfter(20000, 600),
      },
      "network",
    );
    expect(sackOn.hypotheses.map((h) => h.rule)).not.toContain("tcp-sack-off");
    expect(sackOn.checked.find((c) => c.rule === "tcp-sack-off")?.verdict).toBe("fine");
    const clean = await replay(
      {
        "bundle.json": window,
        sysctl: centosSysctl(0),
        "nstat.start": start,
        nstat: nstatAfter(20000, 10),
      },
      "network",
    );
    expect(clean.hypotheses.map((h) => h.rule)).not.toContain("tcp-sack-off");
  });
});
