import { describe, expect, it } from "vitest";
import { parseCgroupPids } from "../../src/parsers/cgroup-pids.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("cgroup-pids parser", () => {
  it("reads a walk that found the hierarchy but no limited cgroup (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseCgroupPids,
      "cgroup-pids/vm-debian12-k6.18__cgroup-pids-walk.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.hierarchies).toEqual([{ path: "/sys/fs/cgroup/pids", version: 1 }]);
    expect(facts.rows).toEqual([]);
    expect(facts.at_limit_cgroups).toBe(0);
    expect(facts.worst).toBeUndefined();
  });

  it("reads a v2 service at its TasksMax with refused forks", () => {
    const text = [
      "==> /sys/fs/cgroup/ <==",
      "==> /sys/fs/cgroup/system.slice/docker.service/pids.max <==",
      "4915",
      "==> /sys/fs/cgroup/system.slice/docker.service/pids.current <==",
      "4915",
      "==> /sys/fs/cgroup/system.slice/docker.service/pids.events <==",
      "max 1630",
      "==> /sys/fs/cgroup/user.slice/pids.max <==",
      "max",
      "==> /sys/fs/cgroup/user.slice/pids.current <==",
      "12",
      "==> /sys/fs/cgroup/user.slice/pids.events <==",
      "max 0",
      "max.imposed 0",
    ].join("\n");
    const { facts, problems } = parseText(parseCgroupPids, text);
    expect(problems).toEqual([]);
    expect(facts.rows[0]).toEqual({
      path: "/sys/fs/cgroup/system.slice/docker.service",
      cgroup: "/system.slice/docker.service",
      version: 2,
      max: 4915,
      current: 4915,
      events: { max: 1630 },
      events_max: 1630,
      usage_pct: 100,
    });
    expect(facts.rows[1]).toMatchObject({
      max: null,
      current: 12,
      events: { max: 0, "max.imposed": 0 },
    });
    expect(facts.rows[1].usage_pct).toBeUndefined();
    expect(facts.at_limit_cgroups).toBe(1);
    expect(facts.worst?.cgroup).toBe("/system.slice/docker.service");
  });

  it("reads a pasted pids.events and records lone values and prompts", () => {
    const { facts, problems } = parseText(parseCgroupPids, "$ cat pids.events\nmax 3\n");
    expect(facts.rows).toEqual([
      { path: "", cgroup: null, version: null, events: { max: 3 }, events_max: 3 },
    ]);
    expect(facts.at_limit_cgroups).toBe(1);
    expect(problems.map((p) => p.line)).toEqual([1]);
    expect(() => parseText(parseCgroupPids, "4915\n")).toThrow(UnrecognisedOutputError);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseCgroupPids, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseCgroupPids, "\u0000\u00ff garbage\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
