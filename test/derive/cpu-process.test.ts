import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { pidstat, scopedPids } from "../../src/collectors/pidstat.js";
import { derive } from "../../src/derive/index.js";
import { parseOutputs } from "../../src/engine/parse-outputs.js";
import type { CollectedOutput } from "../../src/model/collected.js";
import { factAt, renderTemplate } from "../../src/runbooks/evaluate.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

/**
 * `--process NAME` scopes pidstat to that process's PIDs (`-p`), so pidstat's busiest row is the
 * scope itself. Real outputs of one moment on a 2-vCPU Debian 12 VM (test/fixtures/MANIFEST.tsv):
 * `python3` (PID 5488) in a busy loop and `sleep` (PID 5489); pidstat scoped to `sleep` prints
 * the capture's header and the rows of PID 5489 only.
 */
const PIDSTAT = new URL(
  "../fixtures/pidstat/vm-debian12-k6.18__pidstat-udwrh.txt",
  import.meta.url,
);
const TOP = new URL("../fixtures/top/vm-debian12-k6.18__top-b-n1-w512-p.txt", import.meta.url);

/** The capture as `pidstat -p <pids>` prints it: the banner, headers and those PIDs' rows. */
async function pidstatOf(pids: number[]): Promise<string> {
  const lines = (await readFile(PIDSTAT, "utf8")).split("\n");
  return lines
    .filter((l) => {
      const pid = /^\d\d:\d\d:\d\d\s+\d+\s+(\d+)\s/.exec(l)?.[1];
      return pid === undefined || pids.includes(Number(pid));
    })
    .join("\n");
}

/** Outputs as a run scoped to `pids` records them (the command line pidstat's collector writes). */
async function outputs(pids: number[]): Promise<CollectedOutput[]> {
  const cmd = pidstat.command({ pids, windowSeconds: 2, sudo: false, root: true });
  if (!cmd) throw new Error("pidstat has no command line");
  const argv = cmd.argv;
  return [
    {
      id: "pidstat",
      status: "ok",
      out: Buffer.from(await pidstatOf(pids)),
      command: `timeout -s INT -k 2 12 env LC_ALL=C ${argv.join(" ")}`,
      durationMs: 2000,
    },
    {
      id: "top",
      status: "ok",
      out: await readFile(TOP),
      command: "top -b -n 1 -w 512",
      durationMs: 300,
    },
  ];
}

async function factsFor(pids: number[]) {
  const out = await outputs(pids);
  const { parsed } = await parseOutputs(out);
  const scopePids = scopedPids(out[0].command);
  return derive(parsed, { windowSeconds: 2, scopePids }).tree;
}

/** The title template of runbooks/cpu.yaml's CPU saturation finding, as loaded. */
async function saturationTitle(): Promise<string> {
  const found = (await loadRunbooks()).find((r) => r.category === "cpu-saturation");
  if (!found) throw new Error("runbooks/cpu.yaml has no CPU saturation entry");
  return found.title;
}

describe("cpu facts with a process scope", () => {
  it("reads the scope from pidstat's recorded -p arguments", () => {
    expect(scopedPids("timeout 12 env LC_ALL=C /usr/bin/pidstat -u -h -p 5489 -p 77 1 2")).toEqual([
      5489, 77,
    ]);
    expect(scopedPids("/usr/bin/pidstat -u -d -w -r -h 1 2")).toEqual([]);
    expect(scopedPids(undefined)).toEqual([]);
  });

  it("--process sleep: the scoped share is sleep's own; the busiest on the host is python3, not sleep", async () => {
    const tree = await factsFor([5489]);
    expect(factAt(tree, "proc.scope.command")).toBe("sleep");
    expect(factAt(tree, "proc.scope.cpu_pct")).toBe(0);
    expect(factAt(tree, "proc.scope.busiest")).toBe(false);
    expect(factAt(tree, "proc.top_cpu.command")).toBe("python3");
    expect(factAt(tree, "proc.top_cpu.pid")).toBe(5488);
    // The largest RSS pidstat saw is the scope's own: not named as the host's largest.
    expect(factAt(tree, "proc.top_rss.command")).toBeUndefined();
    const view = { ...tree, cpu: { runnable: 3, idle_pct: 4 } };
    const title = renderTemplate(await saturationTitle(), view);
    expect(title).toContain("%CPU of sleep: 0 % of 2 CPUs");
    expect(title).toContain("busiest: python3 (100 % of a CPU)");
    expect(title).not.toContain("busiest: sleep");
  });

  it("--process python3: its share over the window, said to be the busiest, and no other named", async () => {
    const tree = await factsFor([5488]);
    expect(factAt(tree, "proc.scope.command")).toBe("python3");
    const rows = (await pidstatOf([5488])).split("\n").filter((l) => /python3$/.test(l));
    const mean = rows.reduce((t, l) => t + Number(l.trim().split(/\s+/)[7]), 0) / rows.length;
    expect(factAt(tree, "proc.scope.cpu_pct")).toBeCloseTo(mean, 1);
    expect(factAt(tree, "proc.scope.busiest")).toBe(true);
    expect(factAt(tree, "proc.top_cpu.command")).toBeUndefined();
    const title = renderTemplate(await saturationTitle(), tree);
    expect(title).toMatch(/%CPU of python3: [\d.]+ % of 2 CPUs, the busiest on the host$/);
  });

  it("without a scope, the busiest is pidstat's as before", async () => {
    const out = await outputs([]);
    out[0].out = Buffer.from(await readFile(PIDSTAT, "utf8"));
    const { parsed } = await parseOutputs(out);
    const tree = derive(parsed, { windowSeconds: 2, scopePids: scopedPids(out[0].command) }).tree;
    expect(factAt(tree, "proc.top_cpu.command")).toBe("python3");
    expect(factAt(tree, "proc.scope.command")).toBeUndefined();
    expect(factAt(tree, "proc.top_rss.command")).toBe("python3");
  });
});
