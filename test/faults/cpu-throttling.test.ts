import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCgroup } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * CFS bandwidth control: a cgroup with a quota of 10 % of a CPU (v1 cpu.cfs_quota_us =
 * 10000 per 100000 µs period here, v2 cpu.max "10000 100000" elsewhere) and a busy loop in
 * it. The loop uses its quota early in every period and is throttled for the rest, so
 * nr_throttled rises with nr_periods (Documentation/scheduler/sched-bwc.rst).
 * The control runs the same cgroup with a process that sleeps: no period is throttled.
 */
const BUSY = "while :; do :; done";

describe("fault: cgroup CPU throttling (a busy loop under a 10 % quota)", () => {
  let cg: TestCgroup;

  beforeAll(() => {
    cg = new TestCgroup("cpu", "throttle");
    cg.limitCpu(0.1);
  });

  afterAll(async () => {
    await cg?.destroy();
  });

  it("control: an idle process under the quota gives no throttling finding for the cgroup", async () => {
    const idle = cg.spawn("sleep", ["60"]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const report = await diagnoseLocal("cpu");
      const mine = report.hypotheses.filter(
        (h: any) => h.category === "cpu-throttling-cgroup" && evidenceText(h).includes(cg.name),
      );
      expect(mine).toEqual([]);
    } finally {
      if (idle.pid) process.kill(-idle.pid, "SIGKILL");
    }
  });

  it("names cpu-throttling-cgroup first, citing the cgroup", async () => {
    cg.spawn("/bin/sh", ["-c", BUSY]);
    await new Promise((r) => setTimeout(r, 1500));
    const report = await diagnoseFault("cpu-throttling-cgroup", "cpu", {
      category: "cpu-throttling-cgroup",
      keep: ["cgroup-cpu", "mpstat", "vmstat", "proc-stat", "pressure-cpu", "uptime"],
    });
    expect(categories(report)[0], JSON.stringify(report.hypotheses.map((h: any) => h.title))).toBe(
      "cpu-throttling-cgroup",
    );
    expect(evidenceText(report.hypotheses[0])).toContain(cg.name);
  });
});
