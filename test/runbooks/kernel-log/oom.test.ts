import { describe, expect, it } from "vitest";
import { oom } from "../../../src/derive/kernel-log/oom.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { ALLOC_FAILURE, killLine, summary } from "./lines.js";

describe("oom judge (mm/oom_kill.c, mm/memcontrol.c, mm/page_alloc.c)", () => {
  it("names the victim with its resident size in kB, anon + file + shmem (scenario 11)", () => {
    const bag = judgeWith(oom, bundleDmesg("11-oom-db-engine-leak-loop-queries"));
    const killed =
      "[1942275.993934] Out of memory: Killed process 3466589 (mo-service) total-vm:95320364kB, anon-rss:77996632kB, file-rss:88kB, shmem-rss:0kB, UID:1028 pgtables:170544kB oom_score_adj:0";
    expect(found(bag)).toMatchObject({
      "oom.events": 1,
      "oom.kills": 1,
      "oom.victim": "mo-service",
      "oom.victim_pid": 3466589,
      "oom.victim_rss_kb": 77996632 + 88 + 0,
      "oom.constraint": "global",
      "oom.memcg": "/user.slice/user-1028.slice/session-414.scope",
      "oom.repeat_kills": 1,
    });
    expect(bag.values.get("oom.at_cgroup_limit")).toBe(false);
    // One kill: no program killed again and again.
    expect(bag.values.has("oom.repeat_command")).toBe(false);
    for (const path of ["oom.kills", "oom.victim", "oom.victim_rss_kb"]) {
      expect(bag.excerpts.get(path)).toBe(killed);
      expect(bag.sources.get(path)).toBe("dmesg");
    }
  });

  it("adds the one task the excerpt's dump lists to the victim for the holders (scenario 11)", () => {
    const bag = judgeWith(oom, bundleDmesg("11-oom-db-engine-leak-loop-queries"), {
      memTotalKb: 131_072_000,
    });
    // The dump lists mysql with rss 245 pages (4 kB each); the victim is not in the excerpt's dump.
    const victimKb = 77996632 + 88;
    expect(bag.values.get("oom.top_task")).toBe("mo-service");
    expect(bag.values.get("oom.top_task_kb")).toBe(victimKb);
    expect(bag.values.get("oom.top_task_share_pct")).toBe(
      Math.round((victimKb / (victimKb + 245 * 4)) * 10000) / 100,
    );
    expect(bag.values.get("oom.victim_pct_of_ram")).toBe(
      Math.round((victimKb / 131_072_000) * 10000) / 100,
    );
    expect(bag.sources.get("oom.victim_pct_of_ram")).toBe("meminfo");
  });

  it("gives the last victim's share of MemTotal when an earlier report printed the task table", () => {
    // Scenario 11's report (with its dump), then a later kill whose report printed none.
    const later = killLine(1942400, 3470001, "mo-service", 40_000_000, 12);
    const bag = judgeWith(
      oom,
      [...bundleDmesg("11-oom-db-engine-leak-loop-queries").split("\n"), later],
      { memTotalKb: 131_072_000 },
    );
    expect(bag.values.get("oom.victim_pid")).toBe(3470001);
    expect(bag.values.get("oom.victim_pct_of_ram")).toBe(
      Math.round(((40_000_000 + 12) / 131_072_000) * 10000) / 100,
    );
    expect(bag.excerpts.get("oom.victim_pct_of_ram")).toBe(later);
    // The holders are still read from the last dump, scenario 11's.
    expect(bag.values.get("oom.top_task_kb")).toBe(77996632 + 88);
  });

  it("reads the task dump in pages of 4 kB, processes of one name added (scenario 09)", () => {
    const bag = judgeWith(oom, bundleDmesg("09-oom-memory-leak-tickrs"));
    // rss and swapents columns of the three tickrs rows, in pages: what mm/oom_kill.c
    // oom_badness counts (rss + swap), the largest row being 707631 + 475771 pages.
    const kb = (705854 + 421501 + 730901 + 434922 + 707631 + 475771) * 4;
    expect(found(bag)).toEqual({
      "oom.events": 1,
      "oom.top_task": "tickrs",
      "oom.top_task_kb": kb,
      "oom.top_task_share_pct": 100,
      "oom.top_task_processes": 3,
      "oom.table_tasks": 3,
      "oom.largest_process_share_pct": Math.round((((707631 + 475771) * 4) / kb) * 10000) / 100,
    });
    expect(bag.excerpts.get("oom.top_task")).toBe(
      `OOM task dump: tickrs ×3 hold ${kb} kB (resident + swap) of ${kb} kB in 3 tasks listed ([2275331] rss 730901 pages, swapents 434922 pages tickrs)`,
    );
  });

  it("follows one program's kills through the whole log, history included, to see it grow", () => {
    const log = [
      summary(1000, 101, "app", "/system.slice/app.service"),
      killLine(1000.1, 101, "app", 1_000_000),
      summary(9000, 202, "app", "/system.slice/app.service"),
      killLine(9000.1, 202, "app", 1_200_000),
      summary(9500, 303, "app", "/system.slice/app.service"),
      killLine(9500.1, 303, "app", 1_500_000, 4),
    ];
    const bag = judgeWith(oom, log, { uptimeS: 10_000 });
    // The first kill is 9000 s old: history, not counted as a current kill, yet part of the trend.
    expect(bag.values.get("oom.kills")).toBe(2);
    expect(bag.values.get("oom.victim_pid")).toBe(303);
    expect(bag.values.get("oom.victim_rss_kb")).toBe(1_500_004);
    expect(bag.values.get("oom.repeat_kills")).toBe(3);
    expect(bag.values.get("oom.repeat_command")).toBe("app");
    expect(bag.values.get("oom.repeat_rss_rising")).toBe(true);
    expect(bag.values.get("oom.repeat_rss_growth_pct")).toBe(50);
    expect(bag.excerpts.get("oom.repeat_kills")).toBe(
      "3 OOM kills of app in /system.slice/app.service: resident 1000000 kB → 1200000 kB → 1500004 kB",
    );
  });

  it("tells a kill at a cgroup's limit from the whole machine running out", () => {
    const memcg = "/kubepods/burstable/pod1234/abcd";
    const bag = judgeWith(oom, [
      summary(500, 77, "java", memcg, "CONSTRAINT_MEMCG"),
      killLine(500.1, 77, "java", 2_000_000).replace(
        "Out of memory:",
        "Memory cgroup out of memory:",
      ),
    ]);
    expect(bag.values.get("oom.at_cgroup_limit")).toBe(true);
    expect(bag.values.get("oom.constraint")).toBe("memcg");
    expect(bag.values.get("oom.memcg")).toBe(memcg);
  });

  it("counts page allocation failures (mm/page_alloc.c warn_alloc)", () => {
    const bag = judgeWith(oom, [ALLOC_FAILURE]);
    expect(found(bag)).toEqual({ "mem.alloc_failures": 1 });
    expect(bag.excerpts.get("mem.alloc_failures")).toBe(ALLOC_FAILURE);
  });

  it("sets nothing of its own for a kill older than the look-back, nor for another family's line", () => {
    const old = judgeWith(oom, [summary(100, 9, "app", "/a"), killLine(100.1, 9, "app", 1000)], {
      uptimeS: 100 + 3600 + 60,
    });
    expect(found(old)).toEqual({});
    expect(old.values.has("oom.victim")).toBe(false);
    const other = judgeWith(oom, ["[ 4716.5] nf_conntrack: table full, dropping packet"]);
    expect(found(other)).toEqual({});
    expect(other.excerpts.size).toBe(0);
  });
});
