import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstLine, TestCgroup } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * A cgroup at its task limit: pids.max = 16 (the same file in v1 and v2) and a python that
 * forks children until fork(2) fails with EAGAIN; the pids controller refuses the fork and
 * counts it in pids.events `max` (Documentation/admin-guide/cgroup-v2.rst, PID controller).
 * The control runs 4 children in the same cgroup.
 */
const MAX = 16;

function forker(limit: number | "all"): string[] {
  return [
    "-c",
    [
      "import os, time",
      "kids = 0",
      `while ${limit === "all" ? "True" : `kids < ${limit}`}:`,
      "    try:",
      "        pid = os.fork()",
      "    except OSError:",
      "        break",
      "    if pid == 0:",
      "        time.sleep(60)",
      "        os._exit(0)",
      "    kids += 1",
      'print("children", kids, flush=True)',
      "time.sleep(60)",
    ].join("\n"),
  ];
}

describe("fault: pids exhaustion (a cgroup at pids.max)", () => {
  let cg: TestCgroup;

  beforeAll(() => {
    cg = new TestCgroup("pids", "pids");
    cg.limitPids(MAX);
  });

  afterAll(async () => {
    await cg?.destroy();
  });

  it("control: a few tasks under pids.max give no pids finding for the cgroup", async () => {
    const few = cg.spawn("python3", forker(4), "pipe");
    try {
      await firstLine(few);
      const report = await diagnoseLocal("errors");
      const mine = report.hypotheses.filter(
        (h: any) => h.category === "pids-exhaustion" && evidenceText(h).includes(cg.name),
      );
      expect(mine).toEqual([]);
    } finally {
      if (few.pid) process.kill(-few.pid, "SIGKILL");
    }
  });

  it("names pids-exhaustion first, citing the cgroup", async () => {
    // Killed tasks count against pids.max until they are reaped.
    await waitFor(() => cg.read("pids.current").trim() === "0");
    const many = cg.spawn("python3", forker("all"), "pipe");
    expect(await firstLine(many)).toBe(`children ${MAX - 1}`);
    const report = await diagnoseFault("pids-exhaustion", "errors", {
      category: "pids-exhaustion",
      keep: ["cgroup-pids", "dmesg", "uptime", "sysctl"],
    });
    expect(categories(report)[0], JSON.stringify(report.hypotheses.map((h: any) => h.title))).toBe(
      "pids-exhaustion",
    );
    expect(evidenceText(report.hypotheses[0])).toContain(cg.name);
  });
});

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
