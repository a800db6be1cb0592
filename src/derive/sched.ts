import type { PerfSchedFacts, PerfSchedTask } from "../parsers/perf-sched.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n } from "./util.js";

/**
 * Scheduler latency facts: how long runnable tasks waited for a CPU, from
 * `perf sched latency` (per task: average and maximum delay between wake-up and running)
 * and bcc `runqlat` (a histogram of run-queue waits over the window).
 *
 * Sources: perf-sched(1) and tools/perf/builtin-sched.c; bcc tools/runqlat.py;
 * Documentation/scheduler/sched-design-CFS.rst (sched_latency_ns: the period in which every
 * runnable task should run once, 6 ms × (1 + log2 CPUs), at most 24 ms by default).
 */

const provides: ModuleFactSpec[] = [
  {
    path: "sched.max_delay_ms",
    says: "{} worst scheduling delay of a task (wake-up to running)",
    type: "number",
    unit: "ms",
    from: ["perf-sched"],
    doc: "Worst scheduling delay of any task (wake-up to running).",
  },
  {
    path: "sched.max_delay_task",
    type: "string",
    from: ["perf-sched"],
    doc: "The task (comm:pid) with that delay.",
  },
  {
    path: "sched.worst_avg_delay_ms",
    says: "{} highest average scheduling delay of a task",
    type: "number",
    unit: "ms",
    from: ["perf-sched"],
    doc: "Highest average scheduling delay of a task with at least 20 switches (else of any task).",
  },
  {
    path: "sched.worst_avg_delay_task",
    type: "string",
    from: ["perf-sched"],
    doc: "The task with that average.",
  },
  {
    path: "sched.mean_delay_ms",
    type: "number",
    unit: "ms",
    from: ["perf-sched"],
    doc: "Average delay of all tasks, weighted by their switches.",
  },
  {
    path: "sched.tasks_over_10ms",
    type: "number",
    unit: "tasks",
    from: ["perf-sched"],
    doc: "Task rows whose maximum delay is 10 ms or more.",
  },
  {
    path: "sched.max_delay_switches",
    type: "number",
    unit: "switches",
    from: ["perf-sched"],
    doc: "Context switches of the task with the worst delay: the sample its maximum is taken over.",
  },
  {
    path: "sched.worst_avg_switches",
    type: "number",
    unit: "switches",
    from: ["perf-sched"],
    doc: "Context switches of the task with the highest average delay: the sample of that mean.",
  },
  {
    path: "sched.switches",
    type: "number",
    unit: "switches",
    from: ["perf-sched"],
    doc: "Context switches recorded for all tasks (`TOTAL:` line).",
  },
  {
    path: "sched.runqlat_waits",
    type: "number",
    unit: "waits",
    from: ["bcc-runqlat"],
    doc: "Run-queue waits in the runqlat histogram: the sample of its percentiles.",
  },
  {
    path: "sched.runqlat_p50_us",
    type: "number",
    unit: "µs",
    from: ["bcc-runqlat"],
    doc: "Median run-queue wait (upper bound of its power-of-two bucket).",
  },
  {
    path: "sched.runqlat_p99_us",
    says: "{} run-queue wait at the 99th percentile (runqlat)",
    type: "number",
    unit: "µs",
    from: ["bcc-runqlat"],
    doc: "99th percentile run-queue wait.",
  },
  {
    path: "sched.runqlat_max_us",
    type: "number",
    unit: "µs",
    from: ["bcc-runqlat"],
    doc: "Longest run-queue wait seen (bucket upper bound).",
  },
];

/**
 * Fewest switches behind a per-task average that is trusted; the run-queue rule declares the
 * same number as its `minSamples` (runbooks/cpu.yaml). One long wait among 19 short ones
 * (0.05 ms) still averages 0.26 ms; with fewer switches one wait is the mean.
 */
export const MEAN_MIN_SWITCHES = 20;

/**
 * The task with the highest average delay among those with at least
 * {@link MEAN_MIN_SWITCHES} switches, else the parser's worst average (whose few switches
 * then keep the rule from being evaluated).
 */
function worstAverage(ps: PerfSchedFacts): PerfSchedTask | null {
  let best: PerfSchedTask | null = null;
  for (const t of arr<PerfSchedTask>(ps.tasks)) {
    if ((n(t.switches) ?? 0) < MEAN_MIN_SWITCHES) continue;
    if ((n(t.avg_delay_ms) ?? -1) > (n(best?.avg_delay_ms) ?? -1)) best = t;
  }
  return best ?? ps.worst_avg_delay;
}

function row(t: PerfSchedTask): string {
  return `${t.task} | ${t.runtime_ms ?? "?"} ms | ${t.switches ?? "?"} | avg: ${t.avg_delay_ms ?? "?"} ms | max: ${t.max_delay_ms ?? "?"} ms`;
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const ps = factsOf(parsed, "perf-sched");
  if (ps) {
    const w = ps.worst_max_delay;
    if (w) {
      bag.set("sched.max_delay_ms", n(ps.max_delay_ms) ?? n(w.max_delay_ms), "perf-sched", row(w));
      bag.set("sched.max_delay_task", w.task, "perf-sched", row(w));
      bag.set("sched.max_delay_switches", n(w.switches), "perf-sched", row(w));
    }
    const a = worstAverage(ps);
    if (a) {
      bag.set("sched.worst_avg_delay_ms", n(a.avg_delay_ms), "perf-sched", row(a));
      bag.set("sched.worst_avg_delay_task", a.task, "perf-sched", row(a));
      bag.set("sched.worst_avg_switches", n(a.switches), "perf-sched", row(a));
    }
    bag.set("sched.mean_delay_ms", n(ps.mean_delay_ms), "perf-sched");
    bag.set("sched.switches", n(ps.total_switches), "perf-sched");
    if (Array.isArray(ps.tasks) && ps.tasks.length > 0) {
      bag.set(
        "sched.tasks_over_10ms",
        ps.tasks.filter((t) => (n(t.max_delay_ms) ?? 0) >= 10).length,
        "perf-sched",
        w ? row(w) : undefined,
      );
    }
  }
  const rq = factsOf(parsed, "bcc-runqlat");
  const sm = rq?.summary;
  if (sm && sm.count > 0) {
    const line = `runqlat: ${sm.count} waits, p50 ≤ ${sm.p50_us} µs, p99 ≤ ${sm.p99_us} µs, max ≤ ${sm.max_us} µs`;
    bag.set("sched.runqlat_waits", n(sm.count), "bcc-runqlat", line);
    bag.set("sched.runqlat_p50_us", n(sm.p50_us), "bcc-runqlat", line);
    bag.set("sched.runqlat_p99_us", n(sm.p99_us), "bcc-runqlat", line);
    bag.set("sched.runqlat_max_us", n(sm.max_us), "bcc-runqlat", line);
  }
  return bag;
}

/** The `sched` derive module (see the header comment of this file). */
export const schedModule: DeriveModule = {
  id: "sched",
  needs: ["perf-sched", "bcc-runqlat"],
  provides,
  derive,
};
