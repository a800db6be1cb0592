import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * kernel-bug on parsed outputs, replayed as small bundles: a bug signature in the kernel log
 * (each wording of ../shared/kernel-messages.md §3 and §13, composed from the format strings
 * quoted there), conntrack insertions failing while nothing was dropped for room (`conntrack -S`
 * of conntrack-tools 1.4.7 and of an older release, test/fixtures/conntrack-stats/), and the
 * kernel's "table full" message against a table that is mostly empty (nf_conntrack_count and
 * nf_conntrack_max as the Debian VM gave them, test/fixtures/conntrack/).
 */
/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
const replay = bundleReplayer();

/** A kernel log of ordinary boot lines (the Debian VM's dmesg) with `extra` lines after it. */
function dmesg(...extra: string[]): { text: string } {
  const boot = readFixture("dmesg/vm-debian12-k6.18__dmesg.txt").trimEnd();
  return { text: [boot, ...extra, ""].join("\n") };
}

/**
 * One headline per wording, with the signature the judge names it by. Versions and source
 * files as ../shared/kernel-messages.md gives them.
 */
const WORDINGS: [string, string][] = [
  // §3 kernel/softlockup.c 2.6.24–2.6.32; kernel/watchdog.c 2.6.39–3.16 (no prefix).
  ["BUG: soft lockup - CPU#1 stuck for 67s! [java:4711]", "soft-lockup"],
  // §3 kernel/watchdog.c 3.19–4.12, RHEL7 (pr_fmt "NMI watchdog: ").
  ["NMI watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [java:123]", "soft-lockup"],
  // §3 kernel/watchdog.c 4.14–6.19, RHEL8 (pr_fmt "watchdog: ").
  ["watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [kworker/0:2:8812]", "soft-lockup"],
  // §3 kernel/watchdog_hld.c 5.2–6.3 ("NMI watchdog: "), watchdog.c 6.14+ (two CPUs).
  ["NMI watchdog: Watchdog detected hard LOCKUP on cpu 5", "hard-lockup"],
  ["watchdog: CPU2: Watchdog detected hard LOCKUP on cpu 5", "hard-lockup"],
  // §3 kernel/rcu/tree.c 3.4–5.0 (no prefix), tree_stall.h 5.2+ ("rcu: ").
  ["INFO: rcu_sched detected stalls on CPUs/tasks:", "rcu-stall"],
  ["rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu-stall"],
  ["rcu: INFO: rcu_preempt self-detected stall on CPU", "rcu-stall"],
  // §13 arch/x86/mm/fault.c 2.6.32–4.15, 4.19–5.0, 5.2+.
  ["BUG: unable to handle kernel NULL pointer dereference at 0000000000000010", "oops"],
  ["BUG: unable to handle kernel paging request at ffffc90000a3e000", "oops"],
  ["BUG: kernel NULL pointer dereference, address: 0000000000000008", "oops"],
  ["BUG: unable to handle page fault for address: ffffffffc0a1b000", "oops"],
  // §13 lib/bug.c 2.6.24+.
  ["kernel BUG at mm/slub.c:305!", "bug"],
  // §13 arch/x86/kernel/dumpstack.c 4.9–6.8, traps.c 5.8+, dumpstack.c 6.12+ ("Oops: " before it).
  ["general protection fault: 0000 [#1] SMP PTI", "gpf"],
  [
    "general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI",
    "gpf",
  ],
  [
    "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN NOPTI",
    "gpf",
  ],
];

describe("a bug signature in the kernel log (kernel-bug-signature)", () => {
  it.each(WORDINGS)("%s is a kernel-bug finding", async (line, sig) => {
    const logged = `[ 4182.336410] ${line}`;
    const r = await replay({ dmesg: dmesg(logged) }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "kernel-bug-signature");
    expect(h?.category).toBe("kernel-bug");
    expect(h?.title).toBe(`The kernel logged a bug signature (${sig})`);
    // The newest line of the log is "now" when /proc/uptime was not read.
    expect(h?.evidence.find((e) => e.fact === "kernel.bug_events")?.excerpt).toBe(
      `${logged}  (0 s ago)`,
    );
  });

  it("weighs an oops above a soft lockup, and both above a WARNING", async () => {
    const conf = async (line: string) =>
      (await replay({ dmesg: dmesg(`[ 4182.336410] ${line}`) }, "errors")).hypotheses.find(
        (x) => x.rule === "kernel-bug-signature",
      )?.confidence;
    const oops = await conf("BUG: kernel NULL pointer dereference, address: 0000000000000008");
    const lockup = await conf(
      "watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [kworker/0:2:8812]",
    );
    // kernel/panic.c 4.9–6.18: `WARNING: CPU: %d PID: %d at %s:%d %pS`.
    const warn = await conf(
      "WARNING: CPU: 1 PID: 412 at net/core/dev.c:4567 __dev_queue_xmit+0x8a1/0xb90",
    );
    expect(oops).toBeCloseTo(0.7, 5);
    expect(lockup).toBeCloseTo(0.6, 5);
    expect(warn).toBeCloseTo(0.45, 5);
  });

  it("is quiet on a clean boot log, and on a signature older than the look-back", async () => {
    const clean = await replay({ dmesg: dmesg() }, "errors");
    expect(clean.hypotheses.find((x) => x.rule === "kernel-bug-signature")).toBeUndefined();
    expect(clean.checked.find((c) => c.rule === "kernel-bug-signature")?.verdict).toBe("fine");
    // /proc/uptime two hours after the oops: history, not the current cause.
    const old = await replay(
      {
        dmesg: dmesg(
          "[ 4182.336410] BUG: kernel NULL pointer dereference, address: 0000000000000008",
        ),
        uptime: { text: "11382.55 22100.10\n" },
      },
      "errors",
    );
    expect(old.hypotheses.find((x) => x.rule === "kernel-bug-signature")).toBeUndefined();
  });
});

/** conntrack-tools 1.4.7 `conntrack -S` (the Debian VM's) with these per-CPU counters. */
function conntrackS(perCpu: { insert_failed: number; drop: number; early_drop: number }[]) {
  const text = perCpu
    .map(
      (c, cpu) =>
        `cpu=${cpu}   \tfound=0 invalid=12 insert=0 insert_failed=${c.insert_failed} drop=${c.drop} early_drop=${c.early_drop} error=0 search_restart=0 clash_resolve=31 chaintoolong=0 `,
    )
    .join("\n");
  return { text: `${text}\n` };
}

/** nf_conntrack_count and nf_conntrack_max in the collector's `==> path <==` layout. */
function conntrackCount(count: number, max: number) {
  const text = readFixture("conntrack/vm-debian12-k6.18__conntrack.txt")
    .replace(/(nf_conntrack_count <==\n)\d+/, `$1${count}`)
    .replace(/(nf_conntrack_max <==\n)\d+/, `$1${max}`);
  expect(text).toContain(`\n${count}\n`);
  return { text };
}

describe("conntrack insertions fail with room left (conntrack-insert-race)", () => {
  it("an older conntrack -S with insert_failed 92 + 107 and no drop is the clash race", async () => {
    const r = await replay(
      { "conntrack-stats": "conntrack-stats/scenario-32__weave-issue-3287__conntrack-S.txt" },
      "latency",
    );
    const h = r.hypotheses.find((x) => x.rule === "conntrack-insert-race");
    expect(h?.category).toBe("kernel-bug");
    expect(h?.title).toBe(
      "conntrack insertions fail (199 insert_failed) although the table is not full: the conntrack clash race",
    );
    // Counted since the module loaded: a little less sure than over a window.
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    expect(r.hypotheses.some((x) => x.rule === "conntrack-full")).toBe(false);
  });

  it("with the table count read too, a table at 1 % makes it surer", async () => {
    const r = await replay(
      {
        "conntrack-stats": conntrackS([
          { insert_failed: 250, drop: 0, early_drop: 0 },
          { insert_failed: 180, drop: 0, early_drop: 0 },
        ]),
        conntrack: conntrackCount(2100, 262144),
      },
      "latency",
    );
    const h = r.hypotheses.find((x) => x.rule === "conntrack-insert-race");
    expect(h?.title).toMatch(/^conntrack insertions fail \(430 insert_failed\)/);
    // 0.5 + 0.1 (≥ 100) + 0.1 (table under half full) − 0.1 (since the module loaded).
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(r.hypotheses[0].rule).toBe("conntrack-insert-race");
  });

  it("is not the race when entries were dropped for lack of room, nor on a healthy host", async () => {
    const full = await replay(
      {
        "conntrack-stats": conntrackS([
          { insert_failed: 40, drop: 900, early_drop: 3000 },
          { insert_failed: 35, drop: 850, early_drop: 2800 },
        ]),
        conntrack: conntrackCount(262000, 262144),
      },
      "latency",
    );
    expect(full.checked.find((c) => c.rule === "conntrack-insert-race")?.verdict).toBe("fine");
    expect(full.hypotheses[0].rule).toBe("conntrack-full");
    const quiet = await replay(
      {
        "conntrack-stats": "conntrack-stats/vm-debian12-k6.18__conntrack-S.txt",
        conntrack: "conntrack/vm-debian12-k6.18__conntrack.txt",
      },
      "latency",
    );
    expect(quiet.hypotheses.filter((h) => h.category === "kernel-bug")).toEqual([]);
  });
});

/** ../shared/kernel-messages.md §6: nf_conntrack_core.c 4.9+ doubles the prefix (pr_fmt). */
const TABLE_FULL = "nf_conntrack: nf_conntrack: table full, dropping packet";

describe("the kernel says the conntrack table is full while it is not (conntrack-full-contradiction)", () => {
  it("five table-full messages with 800 of 262144 entries contradict the resource story", async () => {
    const lines = [0, 1, 2, 3, 4].map((i) => `[ 5120.00000${i}] ${TABLE_FULL}`);
    const r = await replay(
      { dmesg: dmesg(...lines), conntrack: conntrackCount(800, 262144) },
      "network",
    );
    const h = r.hypotheses.find((x) => x.rule === "conntrack-full-contradiction");
    expect(h?.category).toBe("kernel-bug");
    expect(h?.title).toBe(
      "The kernel reports the conntrack table full while it holds 800 of 262144 entries",
    );
    expect(h?.evidence.find((e) => e.fact === "net.log.conntrack_full")?.excerpt).toBe(
      `${lines[0]}  (0 s ago)`,
    );
    // The resource story loses weight: full "with a table that is mostly empty".
    const full = r.hypotheses.find((x) => x.rule === "conntrack-full");
    expect(full?.confidence).toBeLessThan(0.6);
  });

  it("the older wordings count too (2.6.18–3.4 with a full stop; 3.10–4.4 without the doubled prefix)", async () => {
    for (const line of [
      "nf_conntrack: table full, dropping packet.",
      "nf_conntrack: table full, dropping packet",
    ]) {
      const r = await replay(
        { dmesg: dmesg(`[ 5120.000001] ${line}`), conntrack: conntrackCount(800, 262144) },
        "network",
      );
      expect(r.hypotheses.map((h) => h.rule)).toContain("conntrack-full-contradiction");
    }
  });

  it("is the plain full table when the table is full", async () => {
    const r = await replay(
      {
        dmesg: dmesg(`[ 5120.000001] ${TABLE_FULL}`),
        conntrack: conntrackCount(262144, 262144),
      },
      "network",
    );
    expect(r.checked.find((c) => c.rule === "conntrack-full-contradiction")?.verdict).toBe("fine");
    expect(r.hypotheses[0].rule).toBe("conntrack-full");
    expect(r.hypotheses[0].category).toBe("conntrack-full");
  });
});
