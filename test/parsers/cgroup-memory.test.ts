import { describe, expect, it } from "vitest";
import { parseCgroupMemory } from "../../src/parsers/cgroup-memory.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const one = (file: string) => {
  const { facts, problems } = parseFixture(parseCgroupMemory, `cgroup-memory/${file}`);
  expect(problems).toEqual([]);
  expect(facts.rows).toHaveLength(1);
  return { facts, row: facts.rows[0] };
};

describe("cgroup-memory parser", () => {
  it("reads the collector's walk of a v1 memory hierarchy (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseCgroupMemory,
      "cgroup-memory/vm-debian12-k6.18__cgroup-memory-walk.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.hierarchies).toEqual([{ path: "/sys/fs/cgroup/memory", version: 1 }]);
    expect(facts.rows).toHaveLength(13);
    expect(facts.rows[0]).toEqual({
      path: "/sys/fs/cgroup/memory",
      cgroup: "/",
      version: 1,
      oom_kill_disable: 0,
      under_oom: 0,
      oom_kill: 0,
      failcnt: 0,
      limit_bytes: null,
      usage_bytes: 2489978880,
      max_usage_bytes: 3194003456,
    });
    const child = facts.rows.find((r) => r.cgroup === "/agentd/00b2ffaafcf2b09cca7cda41913a8b65")!;
    expect([child.usage_bytes, child.max_usage_bytes, child.limit_bytes]).toEqual([
      177602560,
      308645888,
      null,
    ]);
    expect(facts.rows[1].usage_bytes).toBe(2586324992);
    expect(facts.oom_killed_cgroups).toBe(0);
    expect(facts.worst_usage).toBeUndefined();
  });

  it("reads memory.events with kills (elastic docker scope, kernel without oom_group_kill)", () => {
    const { facts, row } = one("elastic-asm__docker.zip__docker-scope_memory.events.txt");
    expect(row.events).toEqual({ low: 10, high: 3, max: 2, oom: 1, oom_kill: 1 });
    expect(row.oom_kill).toBe(1);
    expect(row.version).toBe(2);
    expect(facts.oom_killed_cgroups).toBe(1);
    expect(facts.worst_oom).toBe(row);
  });

  it.each([
    "elastic-asm__docker2.zip__session-520.scope_memory.events.txt",
    "elastic-asm__docker2.zip__session-520.scope_memory.events.local.txt",
  ])("reads memory.events with oom_group_kill (elastic docker2): %s", (file) => {
    const { row } = one(file);
    expect(row.events).toEqual({ low: 0, high: 0, max: 0, oom: 0, oom_kill: 0, oom_group_kill: 0 });
    expect(row.oom_kill).toBe(0);
    expect(row.path).toBe("");
  });

  it("reads an unmarked memory.stat of a newer kernel (elastic docker2)", () => {
    const { row } = one("elastic-asm__docker2.zip__session-520.scope_memory.stat.txt");
    expect(Object.keys(row.stat!)).toHaveLength(53);
    expect(row.stat?.anon).toBe(1411100672);
    expect(row.stat?.file).toBe(8621432832);
    expect(row.stat?.pgmajfault).toBe(14299);
    expect(row.stat?.thp_collapse_alloc).toBe(1022);
    expect(row.version).toBeNull();
  });

  it("reads an unmarked memory.stat of an older kernel (oomd)", () => {
    const { row } = one("oomd__fixtures_cgroup_system.slice_memory.stat.txt");
    expect(row.stat?.anon).toBe(1294168064);
    expect(row.stat?.file_writeback).toBe(811008);
    expect(row.stat?.workingset_refault).toBe(510510);
  });

  it("joins v2 files per cgroup, picks the deepest of equal kill counts, and the fullest cgroup", () => {
    const text = [
      "==> /sys/fs/cgroup/ <==",
      "==> /sys/fs/cgroup/app.slice/memory.events <==",
      "low 0",
      "high 0",
      "max 40",
      "oom 3",
      "oom_kill 3",
      "oom_group_kill 0",
      "==> /sys/fs/cgroup/app.slice/memory.max <==",
      "max",
      "==> /sys/fs/cgroup/app.slice/web.service/memory.events <==",
      "low 0",
      "high 0",
      "max 40",
      "oom 3",
      "oom_kill 3",
      "oom_group_kill 0",
      "==> /sys/fs/cgroup/app.slice/web.service/memory.max <==",
      "536870912",
      "==> /sys/fs/cgroup/app.slice/web.service/memory.high <==",
      "max",
      "==> /sys/fs/cgroup/app.slice/web.service/memory.current <==",
      "536813568",
      "==> /sys/fs/cgroup/app.slice/web.service/memory.peak <==",
      "536870912",
    ].join("\n");
    const { facts, problems } = parseText(parseCgroupMemory, text);
    expect(problems).toEqual([]);
    expect(facts.oom_killed_cgroups).toBe(2);
    expect(facts.worst_oom?.cgroup).toBe("/app.slice/web.service");
    expect(facts.worst_usage).toMatchObject({
      cgroup: "/app.slice/web.service",
      limit_bytes: 536870912,
      high_bytes: null,
      usage_bytes: 536813568,
      max_usage_bytes: 536870912,
      usage_pct: 99.99,
    });
    expect(facts.rows[0].limit_bytes).toBeNull();
  });

  it("records prompts, lone unmarked values and foreign files", () => {
    const text = [
      "# cat memory.oom_control",
      "oom_kill_disable 0",
      "under_oom 1",
      "oom_kill 7",
      "==> /sys/fs/cgroup/memory/db/memory.swappiness <==",
      "60",
    ].join("\n");
    const { facts, problems } = parseText(parseCgroupMemory, text);
    expect(facts.rows[0]).toMatchObject({ version: 1, under_oom: 1, oom_kill: 7 });
    expect(problems.map((p) => p.line)).toEqual([1, 5]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseCgroupMemory, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseCgroupMemory, "\u0000\u00ff garbage\n12345\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
