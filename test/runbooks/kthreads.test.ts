import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * The kernel-thread rules (runbooks/reclaim.yaml) on parsed top and pidstat outputs, replayed
 * as bundles of one or two files: kswapd, kcompactd and ksoftirqd busy over the window
 * (pidstat), kswapd in one top frame, and the idle threads of the real corpus and of the quiet
 * control bundle.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Replays `{ collectorId: fixture }` as a bundle and returns its report. */
async function replay(files: Record<string, string>, symptom: Symptom) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-kthreads-"));
  dirs.push(dir);
  for (const [id, fixture] of Object.entries(files)) {
    copyFileSync(fixturePath(fixture), join(dir, `${id}.out`));
  }
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

const RECLAIM_PIDSTAT = "pidstat/constructed__pidstat-udwrh-kswapd-kcompactd-busy.txt";
const SOFTIRQ_PIDSTAT = "pidstat/constructed__pidstat-udwrh-ksoftirqd-busy.txt";
const KSWAPD_TOP = "top/constructed__top-b-n1-w512-kswapd-busy.txt";

describe("reclaim threads over the window (pidstat)", () => {
  it("finds kswapd0 at its mean over the five intervals", async () => {
    const r = await replay({ pidstat: RECLAIM_PIDSTAT }, "memory");
    const h = r.hypotheses.find((x) => x.rule === "reclaim-kswapd-busy");
    // (22 + 31 + 27 + 19 + 26) / 5
    expect(h?.title).toMatch(/^kswapd0 spends 25 % of a CPU reclaiming memory/);
    const ev = h?.evidence.find((e) => e.fact === "reclaim.kswapd_cpu_pct");
    expect(ev?.excerpt).toBe("pidstat: kswapd0 (pid 98) %CPU 25 (mean of 5 intervals, peak 31)");
  });

  it("counts an interval in which pidstat did not print kcompactd0 as idle", async () => {
    const r = await replay({ pidstat: RECLAIM_PIDSTAT }, "memory");
    const h = r.hypotheses.find((x) => x.rule === "compaction-kcompactd-busy");
    // (14 + 16 + 0 + 18 + 12) / 5, not the mean of the four printed intervals (15)
    expect(h?.title).toMatch(/^kcompactd0 spends 12 % of a CPU compacting memory/);
    expect(h?.evidence[0].excerpt).toMatch(/mean of 5 intervals, peak 18/);
  });

  it("does not blame softirq work on a host whose ksoftirqd threads pidstat never saw busy", async () => {
    const r = await replay({ pidstat: RECLAIM_PIDSTAT }, "network");
    expect(r.hypotheses.map((h) => h.rule)).not.toContain("softirq-ksoftirqd-busy");
    expect(r.checked.find((c) => c.rule === "softirq-ksoftirqd-busy")?.verdict).toBe(
      "not-evaluated",
    );
  });

  it("finds the busiest ksoftirqd among the CPUs", async () => {
    const r = await replay({ pidstat: SOFTIRQ_PIDSTAT }, "network");
    const h = r.hypotheses.find((x) => x.rule === "softirq-ksoftirqd-busy");
    expect(h?.category).toBe("nic-drops-softirq");
    // ksoftirqd/2: (41 + 47 + 52 + 38 + 44) / 5; ksoftirqd/0 stays near 2 %
    expect(h?.title).toMatch(/^ksoftirqd\/2 spends 44\.4 % of a CPU on softirq work/);
    expect(r.hypotheses.map((x) => x.rule)).not.toContain("reclaim-kswapd-busy");
  });
});

describe("reclaim threads in one top frame", () => {
  it("finds kswapd0 at 93.8 % with less confidence than a window would give", async () => {
    const frame = await replay({ top: KSWAPD_TOP }, "memory");
    const h = frame.hypotheses.find((x) => x.rule === "reclaim-kswapd-busy");
    expect(h?.title).toMatch(/^kswapd0 spends 93\.8 % of a CPU/);
    expect(h?.evidence.find((e) => e.fact === "reclaim.kswapd_cpu_pct")?.excerpt).toBe(
      "top: PID 48 kswapd0 S R %CPU 93.8 TIME+ 412:36.27",
    );
    // base 0.5, +0.1 for 63 MiB of 7944 available, -0.15 for one frame
    expect(h?.confidence).toBeCloseTo(0.45, 5);
  });

  it("does not count kcompactd0 at 6.2 % in one frame", async () => {
    const r = await replay({ top: KSWAPD_TOP }, "memory");
    const c = r.checked.find((x) => x.rule === "compaction-kcompactd-busy");
    expect(c?.verdict).toBe("fine");
    expect(c?.why).toMatch(/kcompactd at 6\.2 % of one CPU/);
  });

  it("reads a thread pidstat did not print (a -p report) from top's frame", async () => {
    const r = await replay(
      { top: KSWAPD_TOP, pidstat: "pidstat/vm-debian12-k6.18__pidstat-udwrh.txt" },
      "memory",
    );
    const h = r.hypotheses.find((x) => x.rule === "reclaim-kswapd-busy");
    expect(h?.evidence.find((e) => e.fact === "reclaim.kswapd_cpu_pct")?.collector).toBe("top");
  });
});

describe("idle kernel threads", () => {
  it.each([
    ["pidstat", "pidstat/jc__centos-7.7__pidstat-hdlrsuw.out.txt"],
    ["top", "top/jc__ubuntu-20.10__top-b-n1.out.txt"],
  ])("give no finding from the corpus's %s %s", async (id, fixture) => {
    const r = await replay({ [id]: fixture }, "health");
    const rules = ["reclaim-kswapd-busy", "compaction-kcompactd-busy", "softirq-ksoftirqd-busy"];
    expect(r.hypotheses.filter((h) => rules.includes(h.rule))).toEqual([]);
    expect(r.checked.find((c) => c.rule === "reclaim-kswapd-busy")?.verdict).toBe("fine");
  });

  it.each(["memory", "network", "health"] as const)(
    "leave the quiet control bundle without a finding for %s",
    async (symptom) => {
      const bundle = fixturePath("bundles/quiet-deep-cpu-2vcpu");
      const { report } = await diagnoseBundle(bundle, "quiet", symptom, await loadRunbooks());
      expect(report.hypotheses).toEqual([]);
      for (const rule of ["reclaim-kswapd-busy", "softirq-ksoftirqd-busy"]) {
        expect(report.checked.find((c) => c.rule === rule)?.verdict).toBe("fine");
      }
    },
  );
});
