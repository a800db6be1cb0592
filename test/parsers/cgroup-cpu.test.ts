import { describe, expect, it } from "vitest";
import { cgroupCpuDelta, parseCgroupCpu } from "../../src/parsers/cgroup-cpu.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

const one = (file: string) => {
  const { facts, problems } = parseFixture(parseCgroupCpu, `cgroup-cpu/${file}`);
  expect(problems).toEqual([]);
  expect(facts.rows).toHaveLength(1);
  return { facts, row: facts.rows[0] };
};

describe("cgroup-cpu parser", () => {
  it("reads the collector's walk of a v1 cpu hierarchy (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseCgroupCpu,
      "cgroup-cpu/vm-debian12-k6.18__cgroup-cpu-walk.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.hierarchies).toEqual([{ path: "/sys/fs/cgroup/cpu", version: 1 }]);
    expect(facts.rows).toEqual([
      {
        path: "/sys/fs/cgroup/cpu",
        cgroup: "/",
        version: 1,
        nr_periods: 0,
        nr_throttled: 0,
        throttled_us: 0,
        nr_bursts: 0,
        burst_us: 0,
        quota_us: null,
        period_us: 100000,
        quota_cpus: null,
      },
    ]);
    expect(facts.throttled_cgroups).toBe(0);
  });

  it("reads v1 cpu.stat with throttled_time in ns (elastic docker container)", () => {
    const { facts, row } = one("elastic-asm__docker.zip__cpu_docker_CONTAINER_cpu.stat.txt");
    expect(row).toMatchObject({
      version: 1,
      nr_periods: 769021,
      nr_throttled: 1046,
      throttled_us: 352597023,
    });
    expect(row.throttled_pct).toBe(0.14);
    expect(facts.worst).toBe(row);
  });

  it("reads v2 cpu.stat of a docker scope (elastic docker)", () => {
    const { row } = one("elastic-asm__docker.zip__docker-scope_cpu.stat.txt");
    expect(row).toMatchObject({
      version: 2,
      usage_us: 26772130245,
      user_us: 20979069928,
      system_us: 5793060316,
      nr_periods: 1,
      nr_throttled: 4,
      throttled_us: 10,
    });
  });

  it("reads a newer v2 cpu.stat with bursts and core scheduling (elastic docker2)", () => {
    const { facts, row } = one("elastic-asm__docker2.zip__session-520.scope_cpu.stat.txt");
    expect(row).toMatchObject({
      usage_us: 3611347518,
      user_us: 2915072455,
      system_us: 696275063,
      core_sched_force_idle_us: 0,
      nr_bursts: 0,
      burst_us: 0,
      nr_periods: 0,
    });
    expect(row.throttled_pct).toBeUndefined();
    expect(facts.worst).toBeUndefined();
  });

  it("reads an unmarked cpu.stat.local as a throttled_usec (elastic docker2)", () => {
    const { row } = one("elastic-asm__docker2.zip__session-520.scope_cpu.stat.local.txt");
    expect(row).toEqual({ path: "", cgroup: null, version: 2, throttled_us: 0 });
  });

  it("reads a cpu.stat without the cpu controller: usage only (elastic ubuntu1804 unified, telegraf)", () => {
    expect(
      one("elastic-asm__ubuntu1804.zip__unified_networkd-dispatcher_cpu.stat.txt").row,
    ).toEqual({
      path: "",
      cgroup: null,
      version: 2,
      usage_us: 184713,
      user_us: 120465,
      system_us: 64248,
    });
    const t = one("telegraf__cgroup__cpu_cpu.stat.txt").row;
    expect([t.usage_us, t.user_us, t.system_us, t.nr_periods]).toEqual([
      614953149468,
      511415566817,
      103537582650,
      undefined,
    ]);
  });

  it("reads a throttled v2 group (telegraf v2)", () => {
    const { facts, row } = one("telegraf__cgroup__v2_cpu.stat.txt");
    expect(row).toMatchObject({
      nr_periods: 3936904,
      nr_throttled: 6004,
      throttled_us: 19175137007,
    });
    expect(row.throttled_pct).toBe(0.15);
    expect(facts.throttled_cgroups).toBe(1);
  });

  it("groups marked v2 files per cgroup with their quota", () => {
    const text = [
      "==> /sys/fs/cgroup/ <==",
      "==> /sys/fs/cgroup/cpu.stat <==",
      "usage_usec 100",
      "==> /sys/fs/cgroup/kubepods.slice/pod1/cpu.stat <==",
      "usage_usec 5000",
      "nr_periods 200",
      "nr_throttled 150",
      "throttled_usec 9000000",
      "==> /sys/fs/cgroup/kubepods.slice/pod1/cpu.max <==",
      "50000 100000",
      "==> /sys/fs/cgroup/system.slice/cpu.max <==",
      "max 100000",
    ].join("\n");
    const { facts, problems } = parseText(parseCgroupCpu, text);
    expect(problems).toEqual([]);
    expect(facts.hierarchies).toEqual([{ path: "/sys/fs/cgroup", version: 2 }]);
    expect(facts.rows.map((r) => [r.cgroup, r.version, r.quota_cpus])).toEqual([
      ["/", 2, undefined],
      ["/kubepods.slice/pod1", 2, 0.5],
      ["/system.slice", 2, null],
    ]);
    expect(facts.worst).toMatchObject({ cgroup: "/kubepods.slice/pod1", throttled_pct: 75 });
  });

  it("reads v1 quota files and records foreign files and prompts", () => {
    const text = [
      "$ tail -n +1 cpu.stat cpu.cfs_quota_us",
      "==> /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.stat <==",
      "nr_periods 10",
      "nr_throttled 1",
      "throttled_time 5000",
      "==> /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us <==",
      "200000",
      "==> /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us <==",
      "100000",
      "==> /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.shares <==",
      "1024",
    ].join("\n");
    const { facts, problems } = parseText(parseCgroupCpu, text);
    expect(facts.rows[0]).toMatchObject({
      cgroup: "/docker/abc",
      version: 1,
      throttled_us: 5,
      quota_cpus: 2,
    });
    expect(problems.map((p) => p.line)).toEqual([1, 10]);
  });

  it("gives throttling over the window", () => {
    const read = (p: number, t: number, us: number, usage: number) =>
      parseText(
        parseCgroupCpu,
        `==> /sys/fs/cgroup/app/cpu.stat <==\nusage_usec ${usage}\nnr_periods ${p}\nnr_throttled ${t}\nthrottled_usec ${us}\n==> /sys/fs/cgroup/app/cpu.max <==\n100000 100000\n`,
      ).facts;
    const d = cgroupCpuDelta(read(1000, 10, 500, 0), read(1050, 40, 2500, 5000000), 5);
    expect(d.rows).toEqual([
      {
        path: "/sys/fs/cgroup/app",
        cgroup: "/app",
        nr_periods: 50,
        nr_throttled: 30,
        throttled_us: 2000,
        quota_cpus: 1,
        throttled_pct: 60,
        usage_cpus: 1,
      },
    ]);
    expect(d.worst?.throttled_pct).toBe(60);
    // a recreated cgroup (counters went down) gives no row
    expect(cgroupCpuDelta(read(1050, 40, 2500, 0), read(5, 0, 0, 0)).rows).toEqual([]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseCgroupCpu, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseCgroupCpu, "\u0000\u00ff garbage\nnot a key value\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
