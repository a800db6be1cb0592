import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { readFixture } from "../helpers/fixtures.js";
import { type BundleOutput, bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * conntrack-full on parsed outputs, each kind of evidence on its own: the kernel's "table
 * full, dropping packet" in every wording (net/netfilter/nf_conntrack_core.c;
 * ../shared/kernel-messages.md §6), the per-CPU statistics over the window
 * (/proc/net/stat/nf_conntrack and `conntrack -S`: early_drop, drop beyond invalid), and
 * nf_conntrack_count against net.netfilter.nf_conntrack_max (`sysctl -a`, the collector's
 * /proc/sys files). Each with the input that must stay quiet.
 */
const replayBundle = bundleReplayer();

const RULE = "conntrack-full";
const hyp = (r: Report, rule = RULE) => r.hypotheses.find((h) => h.rule === rule);

/** The conntrack rows of the kernel-message survey (test/fixtures/kernel-messages/wordings.tsv). */
const ROWS = readFixture("kernel-messages/wordings.tsv")
  .split("\n")
  .filter((l) => l.startsWith("conntrack-full\t"))
  .map((l) => l.split("\t"))
  .map((f) => ({ expectation: f[1] === "object=expectation", versions: f[3], line: f[4] }));
const TABLE_FULL = ROWS.filter((r) => !r.expectation);
const EXPECTATION = ROWS.find((r) => r.expectation)!;

/** The Debian VM's kernel log (last line at 715.95 s) with `line` logged at `t` s. */
function debianDmesg(line: string, t = 4000): { text: string } {
  const stamp = `[${t.toFixed(6).padStart(13)}]`;
  return { text: `${readFixture("dmesg/vm-debian12-k6.18__dmesg.txt")}${stamp} ${line}\n` };
}

describe("conntrack-full from the kernel log", () => {
  it("has the five table-full wordings, the doubled nf_conntrack: prefix and netns among them", () => {
    expect(TABLE_FULL).toHaveLength(5);
    expect(TABLE_FULL.map((r) => r.line)).toEqual(
      expect.arrayContaining([
        "nf_conntrack: nf_conntrack: table full, dropping packet",
        "nf_conntrack: table full, dropping packet",
        "ip_conntrack: table full, dropping packet.",
      ]),
    );
  });

  for (const { versions, line } of TABLE_FULL) {
    it(`fires on ${versions}: "${line}"`, async () => {
      const r = await replayBundle({ dmesg: debianDmesg(line) }, "network");
      const h = hyp(r);
      expect(h?.category).toBe("conntrack-full");
      expect(h?.title).toBe(
        'The conntrack table is at its limit; the kernel logged "table full, dropping packet" 1 times',
      );
      expect(h?.confidence).toBeCloseTo(0.75, 5);
      const ev = h?.evidence.find((e) => e.fact === "net.log.conntrack_full");
      expect(ev?.collector).toBe("dmesg");
      expect(ev?.excerpt).toContain(line);
    });
  }

  it("stays quiet on the expectation table (helpers), on the healthy VM's log and on an old message", async () => {
    const expect1 = await replayBundle({ dmesg: debianDmesg(EXPECTATION.line) }, "network");
    expect(hyp(expect1)).toBeUndefined();
    expect(hyp(expect1, "conntrack-full-contradiction")).toBeUndefined();
    const healthy = await replayBundle({ dmesg: "dmesg/vm-debian12-k6.18__dmesg.txt" }, "network");
    expect(hyp(healthy)).toBeUndefined();
    const old = `[  100.000000] ${TABLE_FULL[0].line}\n${debianDmesg("EXT4-fs (vda): re-mounted. Quota mode: none.").text}`;
    expect(hyp(await replayBundle({ dmesg: { text: old } }, "network"))).toBeUndefined();
  });
});

type Counts = Partial<Record<"drop" | "early_drop" | "invalid", number>>;

/**
 * /proc/net/stat/nf_conntrack as the collector reads it (the header and hexadecimal columns of
 * test/fixtures/conntrack-stats/vm-debian12-k6.18__proc-net-stat-nf_conntrack.txt), two CPUs,
 * `entries` in the table and each named counter split over the CPUs.
 */
function procStat(entries: number, counts: Counts = {}): string {
  const lines = readFixture(
    "conntrack-stats/vm-debian12-k6.18__proc-net-stat-nf_conntrack.txt",
  ).split("\n");
  const header = lines[1].trim().split(/\s+/);
  const row = (cpu: number) =>
    header
      .map((name) => {
        const total = name === "entries" ? entries : (counts[name as keyof Counts] ?? 0);
        const v =
          name === "entries" ? total : cpu === 0 ? Math.ceil(total / 2) : Math.floor(total / 2);
        return v.toString(16).padStart(8, "0");
      })
      .join(" ");
  return [lines[0], lines[1], row(0), row(1), ""].join("\n");
}

/** The Debian VM's `conntrack -S` (two CPUs) with counters set on cpu=0. */
function conntrackS(counts: Counts = {}): string {
  let text = readFixture("conntrack-stats/vm-debian12-k6.18__conntrack-S.txt");
  for (const [name, v] of Object.entries(counts))
    text = text.replace(new RegExp(`^(cpu=0\\s.*?\\b${name}=)0\\b`, "m"), `$1${v}`);
  return text;
}

describe("conntrack-full from the statistics over the window", () => {
  it("fires on entries evicted early to make room (/proc/net/stat/nf_conntrack)", async () => {
    const r = await replayBundle(
      {
        "conntrack-stats": {
          text: procStat(65536, { early_drop: 812 }),
          start: procStat(65530),
        },
        sysctl: "sysctl/jc__centos-7.7__sysctl-a.out.txt",
      },
      "network",
      10,
    );
    const h = hyp(r);
    expect(h?.title).toBe(
      "The conntrack table is at its limit: 65536 of 65536 entries; 812 entries evicted to make room",
    );
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    const ev = h?.evidence.find((e) => e.fact === "conntrack.early_drop");
    expect(ev).toMatchObject({ collector: "conntrack-stats", value: 812 });
    expect(ev?.excerpt).toMatch(/over 10 s: .*early_drop=812/);
  });

  it("fires on packets dropped for want of an entry (conntrack -S), not counting the trackers' drops", async () => {
    const r = await replayBundle(
      {
        "conntrack-stats": { text: conntrackS({ drop: 420, invalid: 20 }), start: conntrackS() },
      },
      "network",
      10,
    );
    const h = hyp(r);
    expect(h?.title).toBe(
      "The conntrack table is at its limit; 400 packets dropped for want of an entry",
    );
    expect(h?.evidence.find((e) => e.fact === "conntrack.drop_no_entry")?.value).toBe(400);
  });

  it("stays quiet on drops a protocol tracker made, on totals read once, and on unchanged counters", async () => {
    // Each tracker drop is counted as invalid too (nf_conntrack_in).
    const tracker = await replayBundle(
      {
        "conntrack-stats": { text: conntrackS({ drop: 35, invalid: 35 }), start: conntrackS() },
      },
      "network",
      10,
    );
    expect(hyp(tracker)).toBeUndefined();
    const once = await replayBundle(
      { "conntrack-stats": { text: procStat(1200, { drop: 900, early_drop: 4000 }) } },
      "network",
    );
    expect(hyp(once)).toBeUndefined();
    const quiet = await replayBundle(
      { "conntrack-stats": { text: procStat(1200), start: procStat(1100) } },
      "network",
      10,
    );
    expect(hyp(quiet)).toBeUndefined();
    expect(quiet.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
  });
});

/** CentOS 7.7's `sysctl -a` (nf_conntrack_max 65536) with nf_conntrack_count set. */
function centosSysctl(count: number): { text: string } {
  const text = readFixture("sysctl/jc__centos-7.7__sysctl-a.out.txt");
  expect(text).toMatch(/^net\.netfilter\.nf_conntrack_count = 2$/m);
  return {
    text: text.replace(
      /^net\.netfilter\.nf_conntrack_count = 2$/m,
      `net.netfilter.nf_conntrack_count = ${count}`,
    ),
  };
}

/** The collector's /proc/sys files as read on the Debian VM (nf_conntrack_max 262144), count set. */
function procSys(count: number): { text: string } {
  const text = readFixture("conntrack/vm-debian12-k6.18__conntrack.txt");
  return { text: text.replace(/(nf_conntrack_count <==\n)0\n/, `$1${count}\n`) };
}

describe("conntrack-full from nf_conntrack_count against nf_conntrack_max", () => {
  it("fires on sysctl -a with the count at the limit", async () => {
    const r = await replayBundle({ sysctl: centosSysctl(64880) }, "network");
    const h = hyp(r);
    expect(h?.title).toBe("The conntrack table is at its limit: 64880 of 65536 entries");
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    const ev = h?.evidence.find((e) => e.fact === "conntrack.used_pct");
    expect(ev).toMatchObject({ collector: "sysctl", value: 99 });
    expect(ev?.excerpt).toBe("nf_conntrack_count 64880 / nf_conntrack_max 65536");
  });

  it("fires on the /proc/sys files at 92 % of the limit", async () => {
    const r = await replayBundle({ conntrack: procSys(241200) }, "network");
    const h = hyp(r);
    expect(h?.title).toBe("The conntrack table is at its limit: 241200 of 262144 entries");
    expect(h?.confidence).toBeCloseTo(0.6, 5);
  });

  it("stays quiet well below the limit (the hosts as read), and at 85 %", async () => {
    const bundles: Record<string, BundleOutput>[] = [
      { sysctl: "sysctl/jc__centos-7.7__sysctl-a.out.txt" },
      { conntrack: "conntrack/vm-debian12-k6.18__conntrack.txt" },
      { conntrack: procSys(222822) },
    ];
    for (const files of bundles) {
      const r = await replayBundle(files, "network");
      expect(hyp(r)).toBeUndefined();
      expect(r.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    }
  });
});
