import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cgroupCpu } from "../../src/collectors/cgroup-cpu.js";
import { cgroupMemory } from "../../src/collectors/cgroup-memory.js";
import { cgroupPids } from "../../src/collectors/cgroup-pids.js";
import { cgroupWalkScript } from "../../src/collectors/cgroup-walk.js";
import { parseCgroupCpu } from "../../src/parsers/cgroup-cpu.js";
import { parseCgroupPids } from "../../src/parsers/cgroup-pids.js";
import { linesOf } from "../../src/parsers/lines.js";
import { loadParser } from "../../src/sources/index.js";

const ctx = { windowSeconds: 5, pids: [], sudo: false, root: false };
const root = mkdtempSync(join(tmpdir(), "diagbot-cgroup-walk-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, text: string) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

/** Runs a walk script against a fake mount table instead of /proc/self/mounts. */
function run(script: string, mounts: string): string {
  const table = join(root, `mounts-${Math.random().toString(36).slice(2)}`);
  writeFileSync(table, mounts);
  return execFileSync("sh", ["-c", script.replace("/proc/self/mounts", table)], {
    encoding: "utf8",
  });
}

describe("cgroup hierarchy walk", () => {
  it("walks a pure v2 hierarchy with the controller, to depth 4, root first", () => {
    const v2 = join(root, "v2");
    file(join(v2, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    file(join(v2, "cpu.stat"), "usage_usec 1\n");
    file(
      join(v2, "kubepods.slice/cpu.stat"),
      "usage_usec 2\nnr_periods 10\nnr_throttled 5\nthrottled_usec 7\n",
    );
    file(join(v2, "kubepods.slice/cpu.max"), "50000 100000\n");
    file(join(v2, "a/b/c/d/cpu.stat"), "usage_usec 4\n");
    file(join(v2, "a/b/c/d/e/cpu.stat"), "usage_usec 5\n"); // depth 5: not walked
    const out = run(
      cgroupCpu.command(ctx)!.script!,
      `cgroup2 ${v2} cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n`,
    );
    const facts = parseCgroupCpu(linesOf(out)).facts;
    expect(facts.hierarchies.map((h) => h.path)).toEqual([v2]);
    expect(facts.rows.map((r) => [r.path.slice(v2.length) || "/", r.usage_us])).toEqual([
      ["/", 1],
      ["/kubepods.slice", 2],
      ["/a/b/c/d", 4],
    ]);
    expect(facts.rows[1]).toMatchObject({ nr_throttled: 5, quota_cpus: 0.5 });
  });

  it("skips a v2 mount without the controller and walks the v1 one that has it", () => {
    const unified = join(root, "hybrid/unified");
    const pids = join(root, "hybrid/pids");
    file(join(unified, "cgroup.controllers"), "\n");
    file(join(unified, "pids.max"), "max\n");
    file(join(pids, "docker/x/pids.max"), "100\n");
    file(join(pids, "docker/x/pids.current"), "100\n");
    file(join(pids, "docker/x/pids.events"), "max 9\n");
    const mounts =
      `cgroup2 ${unified} cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n` +
      `cgroup ${join(root, "hybrid/cpu")} cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0\n` +
      `cgroup ${pids} cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0\n`;
    const out = run(cgroupPids.command(ctx)!.script!, mounts);
    const facts = parseCgroupPids(linesOf(out)).facts;
    expect(facts.hierarchies.map((h) => h.path)).toEqual([pids]);
    expect(facts.rows).toEqual([
      expect.objectContaining({
        path: join(pids, "docker/x"),
        max: 100,
        current: 100,
        events_max: 9,
        usage_pct: 100,
      }),
    ]);
  });

  it("stops at the cap with a note on stderr", () => {
    const v2 = join(root, "cap");
    file(join(v2, "cgroup.controllers"), "pids\n");
    for (let i = 0; i < 5; i++) file(join(v2, `s${i}/pids.current`), `${i}\n`);
    const script = cgroupWalkScript({
      v1Controller: "pids",
      v2Controller: "pids",
      v1Files: ["pids.current"],
      v2Files: ["pids.current"],
      maxCgroups: 3,
    });
    const table = join(root, "cap-mounts");
    writeFileSync(table, `cgroup2 ${v2} cgroup2 rw 0 0\n`);
    const r = spawnSync("sh", ["-c", script.replace("/proc/self/mounts", table)], {
      encoding: "utf8",
    });
    expect(r.stdout.match(/pids\.current <==/g)).toHaveLength(3);
    expect(r.stderr).toContain("cgroup walk stopped at 3 cgroups");
  });

  it("exits 1 with a note when no hierarchy has the controller (the collector is then absent)", () => {
    const r = spawnSync(
      "sh",
      ["-c", cgroupMemory.command(ctx)!.script!.replace("/proc/self/mounts", "/dev/null")],
      { encoding: "utf8" },
    );
    expect([r.status, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toMatch(cgroupMemory.absent!.stderr);
  });

  it("refuses names that are not plain control-file names", () => {
    expect(() =>
      cgroupWalkScript({
        v1Controller: "cpu",
        v2Controller: "cpu",
        v1Files: ["cpu.stat; rm -rf /"],
        v2Files: [],
      }),
    ).toThrow(/not a plain name/);
  });

  it("runs on this machine and its output parses", async () => {
    for (const c of [cgroupCpu, cgroupMemory, cgroupPids]) {
      const r = spawnSync("sh", ["-c", c.command(ctx)!.script!], { encoding: "utf8" });
      if (r.status === 1 && c.absent?.stderr.test(r.stderr)) continue; // no such hierarchy here
      expect(r.status).toBe(0);
      const parse = (await loadParser(c.id))!;
      expect(() => parse(linesOf(r.stdout))).not.toThrow();
    }
  });
});
