import { describe, expect, it } from "vitest";
import { JUDGES } from "../../../src/derive/kernel-log.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import {
  ALLOC_FAILURE,
  AUDIT_BACKLOG,
  CONNTRACK,
  EXT4_ENOSPC,
  FILE_MAX,
  killLine,
  LOCK_WAIT,
  ORPHANS,
  PIDS_A,
  RT_THROTTLING,
  SIGNATURES,
  SYN,
  summary,
  TCP_OOM,
} from "./lines.js";

/** The scenario bundles with a kernel log (../shared/scenarios/bundles/<name>/dmesg.out). */
const BUNDLES = [
  "05-hung-task-nfs-nic-offload-bug",
  "06-mce-corrected-dimm-errors-replaced-ram",
  "09-oom-memory-leak-tickrs",
  "11-oom-db-engine-leak-loop-queries",
  "18-disk-medium-errors-unrecovered-read",
  "20-tsc-unstable-hpet-clock-gettime-overhead",
  "29-hung-task-jbd2-dirty-writeback-slow-storage",
];

/** A log holding every family's lines: the bundles, then the composed lines of the others. */
const EVERY_FAMILY = [
  ...BUNDLES.flatMap((b) => bundleDmesg(b).split("\n")),
  summary(9000, 202, "app", "/system.slice/app.service", "CONSTRAINT_MEMCG"),
  killLine(9000.1, 202, "app", 1_200_000),
  summary(9500, 303, "app", "/system.slice/app.service", "CONSTRAINT_MEMCG"),
  killLine(9500.1, 303, "app", 1_500_000),
  ALLOC_FAILURE,
  ...SYN,
  TCP_OOM,
  ORPHANS,
  CONNTRACK,
  PIDS_A,
  FILE_MAX,
  RT_THROTTLING,
  EXT4_ENOSPC,
  ...SIGNATURES.map(([line]) => line),
  ...LOCK_WAIT,
  ...AUDIT_BACKLOG,
];

/** Set outside the judges, from sysfs, by the module (src/derive/kernel-log/clock.ts clockNow). */
const SET_BY_CLOCK_NOW = ["clock.current", "clock.slow", "clock.tsc_available"];

describe("the kernel-log judges' provides (src/derive/kernel-log.ts JUDGES)", () => {
  // Every event is current: the bundles' stamps are of different hosts and boots.
  const bags = JUDGES.map((j) => ({
    judge: j,
    bag: judgeWith(j, EVERY_FAMILY, {
      lookbackSeconds: Number.POSITIVE_INFINITY,
      memTotalKb: 16_000_000,
    }),
  }));

  it("declare every fact their judge sets, on a log holding every family's lines", () => {
    for (const { judge, bag } of bags) {
      expect(Object.keys(found(bag)).length, judge.name).toBeGreaterThan(0);
      const declared = new Set(judge.provides.map((p) => p.path));
      const undeclared = [...bag.values.keys()].filter((path) => !declared.has(path));
      expect({ judge: judge.name, undeclared }).toEqual({ judge: judge.name, undeclared: [] });
    }
  });

  it("are each set by that log, but the clocksource facts the module reads from sysfs", () => {
    for (const { judge, bag } of bags) {
      const unset = judge.provides
        .map((p) => p.path)
        .filter((path) => !bag.values.has(path) && !SET_BY_CLOCK_NOW.includes(path));
      expect({ judge: judge.name, unset }).toEqual({ judge: judge.name, unset: [] });
    }
  });

  it("name each path in one judge only", () => {
    const paths = JUDGES.flatMap((j) => j.provides.map((p) => p.path));
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
  });
});
