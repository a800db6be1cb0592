import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { exited, firstLine } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * A process at its soft RLIMIT_NOFILE: python under `prlimit --nofile=256:4096` opens
 * /dev/null until open(2) fails with EMFILE (getrlimit(2)), then holds every descriptor and
 * sleeps. diagbot reads its fds and limits through `proc-fds` (and `proc-limits` for the
 * `--pid` target). The control holds 16 descriptors under the same limits.
 */
function holder(count: number | "all"): ChildProcess {
  const code = [
    "import os, time",
    "fds = []",
    "try:",
    `    while ${count === "all" ? "True" : `len(fds) < ${count}`}:`,
    '        fds.append(os.open("/dev/null", os.O_RDONLY))',
    "except OSError as e:",
    "    pass",
    'print("holding", len(fds), flush=True)',
    "time.sleep(60)",
  ].join("\n");
  // prlimit execs the command: the pid is python's.
  return spawn("prlimit", ["--nofile=256:4096", "python3", "-c", code], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
}

describe("fault: fd exhaustion (a process at its soft open-files limit)", () => {
  const running: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of running.splice(0)) {
      try {
        if (c.pid) process.kill(-c.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exited(c);
    }
  });

  const names = (h: any, pid: number) => new RegExp(`pid ${pid}\\b`).test(evidenceText(h));

  it("control: a process far from its limit gives no fd finding for it", async () => {
    const p = holder(16);
    running.push(p);
    await firstLine(p);
    const report = await diagnoseLocal("errors", ["--pid", String(p.pid)]);
    const mine = report.hypotheses.filter(
      (h: any) => h.category === "fd-exhaustion" && names(h, p.pid!),
    );
    expect(mine).toEqual([]);
  });

  it("names fd-exhaustion first, citing the pid", async () => {
    const p = holder("all");
    running.push(p);
    expect(await firstLine(p)).toMatch(/^holding 25\d$/);
    const report = await diagnoseFault(
      "fd-exhaustion",
      "errors",
      {
        category: "fd-exhaustion",
        keep: ["proc-fds", "proc-limits", "sysctl", "file-nr"],
      },
      ["--pid", String(p.pid)],
    );
    expect(categories(report)[0], JSON.stringify(report.hypotheses.map((h: any) => h.title))).toBe(
      "fd-exhaustion",
    );
    expect(names(report.hypotheses[0], p.pid!)).toBe(true);
  });
});
