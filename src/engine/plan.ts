import type { Collector } from "../collectors/types.js";
import type { Symptom } from "../model/report.js";

/**
 * Which collectors a symptom runs. Every cheap collector runs for every symptom (they cost a
 * read of /proc or a quick command, and a cause often shows where the symptom does not
 * point). Sampling collectors run for the symptoms they inform; intrusive ones only with
 * `--deep`, and those that attach to a process only with `--pid`/`--process`.
 */
const SAMPLING: Readonly<Record<Symptom, readonly string[]>> = {
  health: ["iostat", "vmstat", "mpstat"],
  latency: ["iostat", "vmstat", "mpstat", "pidstat", "perf-stat", "sar"],
  cpu: ["vmstat", "mpstat", "pidstat", "perf-stat", "sar"],
  memory: ["vmstat", "pidstat", "sar"],
  disk: ["iostat", "vmstat", "pidstat", "iotop", "sar"],
  network: ["netstat-s", "conntrack-stats", "ethtool-stats", "sar"],
  errors: ["deleted-open-files", "conntrack-stats", "ethtool-stats", "netstat-s"],
  hang: ["iostat", "vmstat", "pidstat", "deleted-open-files"],
};

const DEEP: Readonly<Record<Symptom, readonly string[]>> = {
  health: [],
  latency: ["perf-sched", "strace", "bcc-runqlat", "bcc-biolatency"],
  cpu: ["perf-sched", "perf-report", "strace", "bcc-runqlat"],
  memory: ["open-files"],
  disk: ["bcc-biolatency", "open-files"],
  network: ["bcc-tcpretrans", "strace"],
  errors: ["strace", "open-files", "bcc-execsnoop"],
  hang: ["perf-sched", "strace"],
};

export interface PlanOptions {
  deep: boolean;
  /** True when target processes were given (`--pid`/`--process`). */
  hasPids: boolean;
}

/** The collectors to run for a symptom, in registry order. */
export function plan(
  all: readonly Collector[],
  symptom: Symptom,
  options: PlanOptions,
): Collector[] {
  const wanted = new Set([...SAMPLING[symptom], ...(options.deep ? DEEP[symptom] : [])]);
  return all.filter((c) => {
    if (c.needsPid && !options.hasPids) return false;
    if (c.cost === "cheap") return true;
    if (c.cost === "intrusive" && !options.deep) return false;
    return wanted.has(c.id) || (c.needsPid && options.hasPids && options.deep);
  });
}

/** Every collector id a plan names, for the registry check in the tests. */
export function plannedIds(): string[] {
  return [...new Set([...Object.values(SAMPLING).flat(), ...Object.values(DEEP).flat()])];
}
