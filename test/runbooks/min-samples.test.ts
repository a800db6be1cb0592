import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { fixturePath } from "../helpers/fixtures.js";

/** The run-queue rule against real perf sched tables, replayed as one-file bundles. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(fixture: string) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-minsamples-"));
  dirs.push(dir);
  copyFileSync(fixturePath(fixture), join(dir, "perf-sched.out"));
  const runbooks = await loadRunbooks();
  return (await diagnoseBundle(dir, "t", "cpu", runbooks)).report;
}

describe("run-queue-latency and its smallest sample", () => {
  it("is not evaluated when every task switched in once (a quiet 2-vCPU VM)", async () => {
    const r = await replay("perf-sched/vm-debian12-k6.18__perf-sched-latency.txt");
    expect(r.hypotheses).toEqual([]);
    expect(r.checked.find((c) => c.rule === "run-queue-latency")).toMatchObject({
      verdict: "not-evaluated",
      why: expect.stringMatching(
        /^too few samples: sched\.worst_avg_switches is 1 switches, the rule trusts 20 or more/,
      ),
    });
  });

  it("judges the average of a task with enough switches, not of a 3-switch sort", async () => {
    const r = await replay("perf-sched/vm-debian12-k6.18__perf-sched-latency-loaded.txt");
    const h = r.hypotheses.find((x) => x.rule === "run-queue-latency");
    expect(h?.title).toBe("Runnable tasks wait for a CPU: up to 76.01 ms (node:(21))");
    const avg = h?.evidence.find((e) => e.fact === "sched.worst_avg_delay_ms");
    expect(avg?.excerpt).toMatch(/^node:\(21\) .*\| 1960 \|/);
  });
});

/**
 * A control recorded on a quiet 2-vCPU VM (load average 0.48, 6.18 kernel) with
 * `diagbot diagnose local cpu --deep --window 3 --save`: its perf sched table holds a `sort`
 * that waited 3.804 ms on its only switch, the shape that once ranked "Runnable tasks wait
 * for a CPU" first on an idle machine. Replayed on every run, not only when the machine is quiet.
 */
describe("a quiet machine recorded with --deep --window 3", () => {
  const bundle = fixturePath("bundles/quiet-deep-cpu-2vcpu");

  it.each(["cpu", "latency", "health"] as const)("has no finding for %s", async (symptom) => {
    const runbooks = await loadRunbooks();
    const { report } = await diagnoseBundle(bundle, "quiet", symptom, runbooks);
    expect(report.hypotheses).toEqual([]);
    const runQueue = report.checked.find((c) => c.rule === "run-queue-latency");
    expect(runQueue?.verdict).toBe("fine");
    expect(runQueue?.why).toMatch(/0\.162 ms highest average scheduling delay of a task/);
  });
});
