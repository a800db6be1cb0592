import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exited, firstLine, TestCgroup } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * An OOM kill at a cgroup's memory limit: a 64 MiB cgroup (v1 memory.limit_in_bytes here, v2
 * memory.max elsewhere) and a python that touches 256 MiB. The charge fails at the limit, the
 * memcg OOM killer picks the python (the only task) and logs `oom-kill:constraint=
 * CONSTRAINT_MEMCG … task_memcg=/<cgroup>` and `Memory cgroup out of memory: Killed process
 * <pid>` (mm/oom_kill.c, mm/memcontrol.c). The kernel log of this VM may hold OOM reports of
 * earlier runs, so the assertions name this run's victim pid and cgroup.
 * The control runs a python that stays well under the limit.
 */
const LIMIT = 64 << 20;

function allocator(mib: number): string[] {
  // bytes * n writes every page (calloc-style zero pages would not be charged).
  return [
    "-c",
    `import time\nb = b"x" * (${mib} << 20)\nprint("allocated", flush=True)\ntime.sleep(60)`,
  ];
}

describe("fault: OOM kill in a memory-limited cgroup", () => {
  let cg: TestCgroup;

  beforeAll(() => {
    cg = new TestCgroup("memory", "oom");
    cg.limitMemory(LIMIT);
  });

  afterAll(async () => {
    await cg?.destroy();
  });

  it("control: a process under the limit gives no OOM finding for the cgroup", async () => {
    const small = cg.spawn("python3", allocator(16), "pipe");
    try {
      await firstLine(small);
      const report = await diagnoseLocal("memory");
      const mine = report.hypotheses.filter(
        (h: any) =>
          h.category === "memory-oom" &&
          (evidenceText(h).includes(cg.name) || evidenceText(h).includes(`pid ${small.pid}`)),
      );
      expect(mine).toEqual([]);
    } finally {
      if (small.pid) process.kill(-small.pid, "SIGKILL");
      await exited(small);
    }
  });

  it("names memory-oom first, citing the killed process and the cgroup", async () => {
    const big = cg.spawn("python3", allocator(256), "pipe");
    const end = await Promise.race([
      exited(big),
      new Promise<undefined>((r) => setTimeout(r, 30_000)),
    ]);
    expect(end?.signal, "the allocator was not OOM-killed").toBe("SIGKILL");
    const report = await diagnoseFault("memory-oom", "memory", {
      category: "memory-oom",
      keep: ["dmesg", "cgroup-memory", "meminfo", "free", "pressure-memory", "vmstat", "pidstat"],
    });
    const titles = JSON.stringify(report.hypotheses.map((h: any) => h.title));
    expect(categories(report)[0], titles).toBe("memory-oom");
    expect(evidenceText(report.hypotheses[0])).toContain(`pid ${big.pid}`);
    const cgroupNamed = report.hypotheses.some(
      (h: any) => h.category === "memory-oom" && evidenceText(h).includes(cg.name),
    );
    expect(cgroupNamed, titles).toBe(true);
  });
});
