import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * timewait-fills-port-range (runbooks/network.yaml) on /proc/net/sockstat against
 * net.ipv4.ip_local_port_range, both read in a network namespace where a client had filled
 * TIME-WAIT on loopback (test/fixtures/MANIFEST.tsv): 1500 TIME-WAIT sockets to one listener
 * with a 1500-port range (400 connects then failed with EADDRNOTAVAIL), 1700 spread over five
 * listeners with the same range (none failed: a port serves one connection per destination),
 * and 200 with a 200-port range. The Debian VM's own outputs are the quiet host.
 */
const replay = bundleReplayer();

const RULE = "timewait-fills-port-range";
const NS = "vm-k6.18-netns";
const ONE_DEST = `sockstat/${NS}__sockstat-tw1500-one-dest.txt`;
const FIVE_DESTS = `sockstat/${NS}__sockstat-tw1700-five-dests.txt`;
const FEW = `sockstat/${NS}__sockstat-tw200-one-dest.txt`;
const RANGE_1500 = `sysctl/${NS}__sysctl-e-keys-range1500-tw-reuse0.txt`;
const RANGE_200 = `sysctl/${NS}__sysctl-e-keys-range200-tw-reuse0.txt`;
const TABLE_FIVE_DESTS = `ss-tcp/${NS}__ss-tan-tw1700-five-dests.txt`;
const VM_SOCKSTAT = "sockstat/vm-debian12-k6.18__sockstat.txt";
const VM_SYSCTL = "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt";

/** The namespace's sysctl output with net.ipv4.tcp_tw_reuse set to `value`. */
function twReuse(value: number): { text: string } {
  const text = readFixture(RANGE_1500);
  expect(text).toMatch(/^net\.ipv4\.tcp_tw_reuse = 0$/m);
  return {
    text: text.replace(/^net\.ipv4\.tcp_tw_reuse = 0$/m, `net.ipv4.tcp_tw_reuse = ${value}`),
  };
}

describe("timewait-fills-port-range on sockstat and the port range", () => {
  it("fires when TIME-WAIT sockets reach the range's size, tcp_tw_reuse off", async () => {
    const r = await replay({ sockstat: ONE_DEST, sysctl: RANGE_1500 }, "errors");
    const h = hyp(r, RULE);
    expect(h?.category).toBe("ephemeral-port-exhaustion");
    expect(h?.title).toBe(
      "1500 TIME-WAIT sockets for 1500 local ports (100 %): enough to use up the port range if most go to one destination",
    );
    // 0.3, and 0.1 for tcp_tw_reuse = 0.
    expect(h?.confidence).toBeCloseTo(0.4, 5);
    const ev = h?.evidence.find((e) => e.fact === "net.tcp.time_wait_pct_of_ports");
    expect(ev).toMatchObject({ collector: "sockstat", value: 100 });
    expect(ev?.excerpt).toBe(
      "TCP: inuse 0 orphan 0 tw 1500 alloc 15 mem 0; 1500 ports in net.ipv4.ip_local_port_range",
    );
  });

  it("fires on sockets spread over destinations too when no socket table says so, and is weaker with tcp_tw_reuse on", async () => {
    // The counter cannot tell destinations apart: the same finding, at the same modest confidence.
    const spread = await replay({ sockstat: FIVE_DESTS, sysctl: RANGE_1500 }, "errors");
    expect(hyp(spread, RULE)?.confidence).toBeCloseTo(0.4, 5);
    expect(
      hyp(spread, RULE)?.evidence.find((e) => e.fact === "net.tcp.time_wait_pct_of_ports")?.value,
    ).toBe(113.33);
    const reuse = await replay({ sockstat: ONE_DEST, sysctl: twReuse(1) }, "errors");
    expect(hyp(reuse, RULE)?.confidence).toBeCloseTo(0.15, 5);
    const loopbackOnly = await replay({ sockstat: ONE_DEST, sysctl: twReuse(2) }, "errors");
    expect(hyp(loopbackOnly, RULE)?.confidence).toBeCloseTo(0.3, 5);
  });

  it("stays quiet when the socket table shows the sockets spread over destinations", async () => {
    const r = await replay(
      { sockstat: FIVE_DESTS, sysctl: RANGE_1500, "ss-tcp": TABLE_FIVE_DESTS },
      "errors",
    );
    expect(hyp(r, RULE)).toBeUndefined();
    expect(r.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    expect(hyp(r, "ephemeral-port-exhaustion")).toBeUndefined();
  });

  it("stays quiet below the range's size, and on a few hundred sockets whatever the range", async () => {
    // 1500 TIME-WAIT sockets against the default 28232 ports.
    const wide = await replay({ sockstat: ONE_DEST, sysctl: VM_SYSCTL }, "errors");
    expect(hyp(wide, RULE)).toBeUndefined();
    expect(wide.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    // 200 sockets filled a 200-port range: the narrowed range is the finding.
    const narrow = await replay({ sockstat: FEW, sysctl: RANGE_200 }, "errors");
    expect(hyp(narrow, RULE)).toBeUndefined();
    expect(narrow.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    expect(hyp(narrow, "port-range-narrow")).toBeDefined();
    const quiet = await replay({ sockstat: VM_SOCKSTAT, sysctl: VM_SYSCTL }, "errors");
    expect(hyp(quiet, RULE)).toBeUndefined();
    expect(quiet.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
  });

  it("is not evaluated without the port range", async () => {
    const r = await replay({ sockstat: ONE_DEST }, "errors");
    expect(hyp(r, RULE)).toBeUndefined();
    expect(r.checked.find((c) => c.rule === RULE)?.verdict).toBe("not-evaluated");
  });
});
