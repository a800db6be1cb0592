import { describe, expect, it } from "vitest";
import { limits } from "../../../src/derive/kernel-log/limits.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { FILE_MAX, PIDS_A, PIDS_B } from "./lines.js";

describe("limits judge (kernel/cgroup/pids.c, fs/file_table.c)", () => {
  it("counts refused forks and names the cgroup of the newest refusal", () => {
    const bag = judgeWith(limits, [PIDS_A, PIDS_B, FILE_MAX]);
    expect(found(bag)).toEqual({
      "pids.log.fork_rejected": 2,
      "pids.log.cgroup": "/kubepods/burstable/pod1234",
      "fd.log.file_max": 1,
    });
    expect(bag.excerpts.get("pids.log.fork_rejected")).toBe(PIDS_B);
    expect(bag.excerpts.get("pids.log.cgroup")).toBe(PIDS_B);
    expect(bag.excerpts.get("fd.log.file_max")).toBe(FILE_MAX);
    expect(bag.sources.get("pids.log.cgroup")).toBe("dmesg");
  });

  it("sets nothing of its own for a clocksource report, nor for refusals older than the look-back", () => {
    const clock = judgeWith(limits, bundleDmesg("20-tsc-unstable-hpet-clock-gettime-overhead"));
    expect(found(clock)).toEqual({});
    expect(clock.excerpts.size).toBe(0);
    const old = judgeWith(limits, [PIDS_A, FILE_MAX], { uptimeS: 978.3 + 3601 });
    expect(found(old)).toEqual({});
    expect(old.values.has("pids.log.cgroup")).toBe(false);
  });
});
