import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";
import { mpstatOutput } from "../helpers/mpstat.js";

/**
 * steal-time, cpu-throttling-cgroup and cpu-quota-below-demand replayed from bundles of
 * outputs in their documented layouts: `mpstat -P ALL 1 2` as sysstat prints it
 * (test/helpers/mpstat.ts), /proc/stat (proc(5), the
 * 8th value of a cpu line is steal, in USER_HZ ticks), and the cgroup-cpu walk of cgroup v2
 * `cpu.stat` (the keys of test/fixtures/cgroup-cpu/telegraf__cgroup__v2_cpu.stat.txt) and
 * `cpu.max` (`$MAX $PERIOD`, Documentation/admin-guide/cgroup-v2.rst).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes `{ file name: text }` as a bundle (with a bundle.json giving the window) and diagnoses it. */
async function replay(files: Record<string, string>, symptom: Symptom, windowSeconds?: number) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-cpu-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  if (windowSeconds !== undefined) {
    writeFileSync(join(dir, "bundle.json"), JSON.stringify({ window: { seconds: windowSeconds } }));
  }
  const report = (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
  const hyp = (rule: string) => report.hypotheses.find((h) => h.rule === rule);
  const verdict = (rule: string) => report.checked.find((c) => c.rule === rule);
  return { report, hyp, verdict };
}

/** mpstat of 2 CPUs, both at these shares. */
function mpstat(usr: number, sys: number, steal: number): string {
  return mpstatOutput([
    { usr, sys, steal },
    { usr, sys, steal },
  ]);
}

/**
 * /proc/stat of a 2-CPU VM (the first lines of test/fixtures/proc-stat/vm-debian12-k6.18__proc-stat.txt)
 * after `ticks` USER_HZ ticks per CPU with the given shares of user, idle and steal time.
 */
function procStat(base: number[], ticks: number, user: number, steal: number): string {
  const [u, ni, sy, id, io, irq, soft, st] = base as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const idle = 1 - user - steal;
  const cpu = (k: number) =>
    [
      u + Math.round(ticks * k * user),
      ni,
      sy,
      id + Math.round(ticks * k * idle),
      io,
      irq,
      soft,
      st + Math.round(ticks * k * steal),
      0,
      0,
    ].join(" ");
  return [
    `cpu  ${cpu(2)}`,
    `cpu0 ${cpu(1)}`,
    `cpu1 ${cpu(1)}`,
    "ctxt 1619840",
    "btime 1764509100",
    "processes 4520",
    "procs_running 2",
    "procs_blocked 0",
    "",
  ].join("\n");
}

describe("steal-time on mpstat and /proc/stat", () => {
  it("is a finding when mpstat shows a quarter of the CPU time stolen", async () => {
    const { hyp } = await replay({ "mpstat.out": mpstat(30, 5, 25) }, "latency");
    const h = hyp("steal-time");
    expect(h?.category).toBe("steal-time");
    expect(h?.title).toBe("The hypervisor takes 25 % of this VM's CPU time (steal)");
    // base 0.6, steal ≥ 20 % adds 0.2
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    const ev = h?.evidence.find((e) => e.fact === "cpu.steal_pct");
    expect(ev?.excerpt).toContain("%steal 25");
  });

  it("is a finding from two /proc/stat readings with steal ticks rising", async () => {
    const start = readFixture("proc-stat/vm-debian12-k6.18__proc-stat.start.txt");
    const base = (start.split("\n")[0] ?? "").split(/\s+/).slice(1, 9).map(Number);
    const { hyp } = await replay(
      {
        "proc-stat.start.out": procStat(base, 0, 0, 0),
        "proc-stat.out": procStat(base, 500, 0.5, 0.15),
      },
      "cpu",
      5,
    );
    const h = hyp("steal-time");
    expect(h?.category).toBe("steal-time");
    expect(h?.title).toBe("The hypervisor takes 15 % of this VM's CPU time (steal)");
    expect(h?.confidence).toBeCloseTo(0.6, 5);
  });

  it("is quiet on a VM whose hypervisor gives it its CPUs (%steal 0)", async () => {
    const { hyp, verdict } = await replay({ "mpstat.out": mpstat(40, 5, 0) }, "latency");
    expect(hyp("steal-time")).toBeUndefined();
    expect(verdict("steal-time")?.verdict).toBe("fine");
  });
});

/** The cpu.stat keys of cgroup v2 (cgroup-v2.rst), as telegraf__cgroup__v2_cpu.stat.txt prints them. */
interface CpuStat {
  usage_usec: number;
  nr_periods: number;
  nr_throttled: number;
  throttled_usec: number;
}

/** The cgroup-cpu collector's walk of one cgroup v2 with its cpu.max. */
function cgroupWalk(cgroup: string, cpuMax: string, st: CpuStat): string {
  const dir = `/sys/fs/cgroup${cgroup}`;
  return [
    "==> /sys/fs/cgroup/ <==",
    `==> ${dir}/cpu.stat <==`,
    `usage_usec ${st.usage_usec}`,
    `user_usec ${Math.round(st.usage_usec * 0.62)}`,
    `system_usec ${st.usage_usec - Math.round(st.usage_usec * 0.62)}`,
    "core_sched.force_idle_usec 0",
    `nr_periods ${st.nr_periods}`,
    `nr_throttled ${st.nr_throttled}`,
    `throttled_usec ${st.throttled_usec}`,
    "nr_bursts 0",
    "burst_usec 0",
    `==> ${dir}/cpu.max <==`,
    cpuMax,
    "",
  ].join("\n");
}

/** telegraf__cgroup__v2_cpu.stat.txt's counters: the start of the window. */
const START: CpuStat = {
  usage_usec: 98701325189,
  nr_periods: 3936904,
  nr_throttled: 6004,
  throttled_usec: 19175137007,
};

/**
 * A window of `seconds` at the default period of 100 ms (sched-bwc.rst): `seconds × 10`
 * periods, `throttled` of them throttled, `usedCpus` CPUs used on average.
 */
function windowEnd(seconds: number, throttled: number, usedCpus: number): CpuStat {
  return {
    usage_usec: START.usage_usec + Math.round(usedCpus * seconds * 1e6),
    nr_periods: START.nr_periods + seconds * 10,
    nr_throttled: START.nr_throttled + throttled,
    throttled_usec: START.throttled_usec + throttled * 50_000,
  };
}

const APP = "/system.slice/app.service";

async function throttled(cpuMax: string, end: CpuStat, idle: number) {
  return replay(
    {
      "cgroup-cpu.start.out": cgroupWalk(APP, cpuMax, START),
      "cgroup-cpu.out": cgroupWalk(APP, cpuMax, end),
      "mpstat.out": mpstat(100 - idle - 5, 5, 0),
    },
    "latency",
    5,
  );
}

describe("a cgroup throttled by its CPU quota (cgroup v2 cpu.stat, cpu.max)", () => {
  it("is cpu-throttling-cgroup over the window", async () => {
    // 50000 100000: half a CPU per 100 ms period; 40 of 50 periods throttled.
    const { hyp, report } = await throttled("50000 100000", windowEnd(5, 40, 0.5), 70);
    const h = hyp("cpu-throttling-cgroup");
    expect(h?.category).toBe("cpu-throttling-cgroup");
    expect(h?.title).toBe(
      "cgroup /system.slice/app.service is throttled by its CPU quota in 80 % of periods",
    );
    // base 0.65, ≥ 50 % of periods adds 0.15
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    const ev = h?.evidence.find((e) => e.fact === "cgroup.cpu.worst.throttled_pct");
    expect(ev?.excerpt).toContain("nr_throttled +40 of nr_periods +50 over the window");
    expect(report.hypotheses[0]?.category).toBe("cpu-throttling-cgroup");
  });

  it("is cpu-quota-below-demand when the quota is all used and the host's CPUs are idle", async () => {
    const { hyp } = await throttled("50000 100000", windowEnd(5, 40, 0.5), 70);
    const h = hyp("cpu-quota-below-demand");
    expect(h?.category).toBe("cpu-throttling-cgroup");
    expect(h?.title).toBe(
      "cgroup /system.slice/app.service is held to its quota of 0.5 of 2 CPUs: throttled in 80 % of periods while the host's CPUs are 70 % idle",
    );
    // base 0.7; throttled in ≥ 50 % of periods and quota used ≥ 90 % (0.5 of 0.5 CPUs) add 0.1 each
    expect(h?.confidence).toBeCloseTo(0.9, 5);
    const used = h?.evidence.find((e) => e.fact === "cgroup.cpu.worst.quota_cpus");
    expect(used?.excerpt).toContain("/system.slice/app.service");
    const idle = h?.evidence.find((e) => e.fact === "cpu.idle_pct");
    expect(idle?.excerpt).toContain("%idle 70");
  });

  it("stays at its base when throttled in 30 % of periods with 0.3 of 0.5 CPUs used", async () => {
    const { hyp } = await throttled("50000 100000", windowEnd(5, 15, 0.3), 70);
    expect(hyp("cpu-quota-below-demand")?.confidence).toBeCloseTo(0.7, 5);
    expect(hyp("cpu-throttling-cgroup")?.confidence).toBeCloseTo(0.65, 5);
  });

  it("is not cpu-quota-below-demand when the host's CPUs are busy too", async () => {
    const { hyp, verdict } = await throttled("50000 100000", windowEnd(5, 40, 0.5), 8);
    expect(hyp("cpu-throttling-cgroup")).toBeDefined();
    expect(hyp("cpu-quota-below-demand")).toBeUndefined();
    expect(verdict("cpu-quota-below-demand")?.verdict).toBe("fine");
  });

  it("is not cpu-quota-below-demand when the quota is the whole host (4 CPUs of 2)", async () => {
    const { hyp } = await throttled("400000 100000", windowEnd(5, 40, 1.8), 10);
    expect(hyp("cpu-quota-below-demand")).toBeUndefined();
  });

  it("is quiet on a cgroup throttled in a few of its periods", async () => {
    const { hyp, verdict } = await throttled("50000 100000", windowEnd(5, 2, 0.3), 70);
    expect(hyp("cpu-throttling-cgroup")).toBeUndefined();
    expect(hyp("cpu-quota-below-demand")).toBeUndefined();
    expect(verdict("cpu-throttling-cgroup")?.verdict).toBe("fine");
  });

  it("is quiet on telegraf's cgroup v2 since creation (6004 of 3936904 periods)", async () => {
    const { hyp } = await replay(
      {
        "cgroup-cpu.out": `==> /sys/fs/cgroup${APP}/cpu.stat <==\n${readFixture("cgroup-cpu/telegraf__cgroup__v2_cpu.stat.txt")}==> /sys/fs/cgroup${APP}/cpu.max <==\n50000 100000\n`,
        "mpstat.out": mpstat(20, 5, 0),
      },
      "cpu",
    );
    expect(hyp("cpu-throttling-cgroup")).toBeUndefined();
    expect(hyp("cpu-quota-below-demand")).toBeUndefined();
  });
});
