import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * The NIC rules of runbooks/network.yaml that read the kernel log and mpstat, replayed as
 * bundles: transmit-queue timeouts (net/sched/sch_generic.c dev_watchdog, every wording the
 * kernel printed from 2.6.9 to 6.19) and one CPU saturated by softirq work (mpstat -P ALL).
 */
/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
const replay = bundleReplayer();

/**
 * The dev_watchdog message in each wording of net/sched/sch_generic.c (the rows of
 * test/fixtures/kernel-messages/wordings.tsv): 2.6.9–2.6.24 (`%s: transmit timed out`),
 * 2.6.32–6.3 (`%s (%s): transmit queue %u timed out`, WARN_ONCE), 6.5 (`… timed out %u ms`)
 * and 6.8+ (netdev_crit with the `<driver> <bus-id> <ifname>: ` prefix, no WARN block).
 */
const WORDINGS = [
  {
    line: "NETDEV WATCHDOG: eth0: transmit timed out",
    title:
      /^eth0 stopped transmitting: the kernel's watchdog timed out its transmit queue \(NETDEV WATCHDOG messages: 1\)/,
  },
  {
    line: "NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out",
    title:
      /^eth0 \(ixgbe\) stopped transmitting: the kernel's watchdog timed out transmit queue 3 \(NETDEV WATCHDOG messages: 1\)/,
  },
  {
    line: "NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out 5120 ms",
    title:
      /^eth0 \(ixgbe\) stopped transmitting: the kernel's watchdog timed out transmit queue 3 /,
  },
  {
    line: "ixgbe 0000:03:00.0 eth0: NETDEV WATCHDOG: CPU: 2: transmit queue 3 timed out 5120 ms",
    title:
      /^eth0 \(ixgbe\) stopped transmitting: the kernel's watchdog timed out transmit queue 3 /,
  },
];

/** A healthy boot's NIC lines (drivers/net/ethernet/intel/ixgbe link messages). */
const LINK_UP =
  "[    5.100000] ixgbe 0000:03:00.0 eth0: NIC Link is Up 10 Gbps, Flow Control: RX/TX\n";

describe("nic-tx-timeout: a transmit queue the watchdog timed out (dmesg)", () => {
  for (const { line, title } of WORDINGS) {
    it(`reads "${line.slice(0, 60)}…"`, async () => {
      const r = await replay({ dmesg: { text: `${LINK_UP}[ 3000.000001] ${line}\n` } }, "network");
      const h = r.hypotheses.find((x) => x.rule === "nic-tx-timeout");
      expect(h?.category).toBe("nic-drops-softirq");
      expect(h?.title).toMatch(title);
      expect(h?.confidence).toBeCloseTo(0.6, 5);
      expect(h?.evidence.find((e) => e.fact === "net.log.tx_timeouts")?.excerpt).toContain(line);
      // The same line is a kernel-bug signature; the NIC finding is the more specific cause.
      expect(r.hypotheses[0].rule).toBe("nic-tx-timeout");
    });
  }

  it("keeps the WARN_ONCE block with its message and counts repeated timeouts", async () => {
    const text = `${LINK_UP}[ 3000.000001] NETDEV WATCHDOG: enp3s0f0 (ixgbe): transmit queue 7 timed out 5440 ms
[ 3000.000002] WARNING: CPU: 2 PID: 0 at net/sched/sch_generic.c:525 dev_watchdog+0x21f/0x230
[ 3000.000003] Call Trace:
[ 3000.000004]  call_timer_fn+0x29/0x100
[ 3060.000001] ixgbe 0000:03:00.0 enp3s0f0: NETDEV WATCHDOG: CPU: 2: transmit queue 7 timed out 5120 ms
`;
    const r = await replay({ dmesg: { text } }, "network");
    const h = r.hypotheses.find((x) => x.rule === "nic-tx-timeout");
    expect(h?.title).toMatch(
      /^enp3s0f0 \(ixgbe\) stopped transmitting: the kernel's watchdog timed out transmit queue 7 \(NETDEV WATCHDOG messages: 2\)/,
    );
    expect(h?.confidence).toBeCloseTo(0.7, 5);
    expect(h?.key).toBe("t/nic-tx-timeout/enp3s0f0");
  });

  it("stays quiet on link messages, and on a timeout older than the look-back", async () => {
    const healthy = await replay({ dmesg: { text: LINK_UP } }, "network");
    expect(healthy.hypotheses.map((h) => h.rule)).not.toContain("nic-tx-timeout");
    expect(healthy.checked.find((c) => c.rule === "nic-tx-timeout")?.verdict).toBe("fine");
    const old = await replay(
      {
        dmesg: { text: `${LINK_UP}[ 3000.000001] ${WORDINGS[1].line}\n` },
        // /proc/uptime two hours after the message: history, not the current cause.
        uptime: { text: "10200.00 20000.00\n" },
      },
      "network",
    );
    expect(old.hypotheses.map((h) => h.rule)).not.toContain("nic-tx-timeout");
  });
});

/**
 * The Debian VM's `mpstat -P ALL 1 1` (2 CPUs, idle) with CPU 1's rows replaced by the given
 * %soft and the rest idle, the `all` rows by the mean of the two CPUs: sysstat's column layout.
 */
function mpstatSoft(soft: number): { text: string } {
  const text = readFixture("mpstat/vm-debian12-k6.18__mpstat.txt");
  const row = (label: string, cpu: string, s: number) =>
    `${label} ${cpu.padStart(7)}    0.00    0.00    0.00    0.00    0.00 ${s.toFixed(2).padStart(7)}    0.00    0.00    0.00 ${(100 - s).toFixed(2).padStart(7)}`;
  let out = text;
  for (const label of ["13:29:06", "Average:"]) {
    const re = (cpu: string) => new RegExp(`^${label} +${cpu} .*$`, "m");
    expect(out).toMatch(re("1"));
    out = out
      .replace(re("1"), row(label, "1", soft))
      .replace(re("all"), row(label, "all", soft / 2));
  }
  return { text: out };
}

describe("softirq-cpu-saturated: one CPU busy in softirq (mpstat -P ALL)", () => {
  it("names the CPU and its softirq share", async () => {
    const r = await replay({ mpstat: mpstatSoft(94.5) }, "network");
    const h = r.hypotheses.find((x) => x.rule === "softirq-cpu-saturated");
    expect(h?.category).toBe("nic-drops-softirq");
    expect(h?.title).toBe(
      "CPU 1 spends 94.5 % of its time in softirq (network receive processing)",
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
    expect(h?.evidence[0].excerpt).toMatch(/softirq 94\.5 % on one CPU \(all CPUs: 47\.25 %\)/);
  });

  it("stays quiet on the idle VM and below 90 % softirq", async () => {
    const idle = await replay({ mpstat: "mpstat/vm-debian12-k6.18__mpstat.txt" }, "network");
    expect(idle.hypotheses.map((h) => h.rule)).not.toContain("softirq-cpu-saturated");
    expect(idle.checked.find((c) => c.rule === "softirq-cpu-saturated")?.verdict).toBe("fine");
    const busy = await replay({ mpstat: mpstatSoft(60) }, "network");
    expect(busy.hypotheses.map((h) => h.rule)).not.toContain("softirq-cpu-saturated");
  });
});
