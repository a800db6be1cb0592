import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type {
  ClocksourceEvent,
  DiskEvent,
  DmesgEvent,
  DmesgFacts,
  FsErrorEvent,
  HungTaskEvent,
  MceEvent,
  OomKillEvent,
  SimpleEvent,
  TraceEvent,
} from "../../src/parsers/dmesg.js";
import { parseDmesg } from "../../src/parsers/dmesg.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const fx = (name: string) => parseFixture(parseDmesg, `dmesg/${name}`);
const kinds = (f: DmesgFacts) => f.events.map((e) => e.kind);
const only = <E extends DmesgEvent>(f: DmesgFacts, kind: E["kind"]): E[] =>
  f.events.filter((e) => e.kind === kind) as E[];

describe("dmesg parser: upstream fixtures (formats)", () => {
  it("reads collapsed `[ 0.000000]` stamps and keeps `WARNING: BIOS bug` out of kernel bugs (fwts klog)", () => {
    const { facts, problems } = fx("fwts__fwts-test_arg-log-format-0001_klog.txt");
    expect(facts.lines).toBe(18);
    expect(facts.time_basis).toBe("monotonic");
    expect(facts.newest_t_s).toBe(0.042222);
    expect(facts.events).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("reads a mostly unstamped RHEL 6 log with one stray stamp (insights MSGINFO)", () => {
    const { facts, problems } = fx("insights-core__test_dmesg__MSGINFO.txt");
    expect(facts.lines).toBe(17);
    expect(facts.newest_t_s).toBe(8.687252);
    // 1 stamped line of 17: the log as a whole has no time basis
    expect(facts.time_basis).toBe("none");
    expect(facts.events).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("reads a RHEL 7 boot with an empty line; `mce: CPU supports 9 MCE banks` is no machine check (insights TS_MSGINFO)", () => {
    const { facts, problems } = fx("insights-core__test_dmesg__TS_MSGINFO.txt");
    expect(facts.lines).toBe(35);
    expect(facts.newest_t_s).toBe(10424.756954);
    expect(facts.counts).toEqual({});
    expect(problems).toEqual([]);
  });

  it("reads `dmesg --decode` with caller ids and counts the boot banner (util-linux cid-kmsg-decode)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_cid-kmsg-decode.txt");
    expect(facts.lines).toBe(59);
    expect(facts.boots).toBe(1);
    expect(facts.newest_t_s).toBe(207.987439);
    expect(facts.time_basis).toBe("monotonic");
    expect(problems).toEqual([]);
  });

  it("reads `dmesg --show-delta` with caller ids (util-linux cid-kmsg-delta)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_cid-kmsg-delta.txt");
    expect(facts.lines).toBe(59);
    expect(facts.newest_t_s).toBe(207.987439);
    expect(facts.boots).toBe(1);
    expect(problems).toEqual([]);
  });

  it("removes colour escapes and reads every facility of `--decode` (util-linux colors)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_colors.txt");
    expect(facts.lines).toBe(106);
    expect(facts.newest_t_s).toBe(4557523);
    expect(facts.time_basis).toBe("monotonic");
    expect(problems).toEqual([]);
  });

  it("reads several concatenated runs and a foreign message line (util-linux console-levels)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_console-levels.txt");
    expect(facts.lines).toBe(253);
    expect(facts.newest_t_s).toBe(4557523);
    expect(facts.events).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("reads `[  s.us <  delta>]` stamps (util-linux delta)", () => {
    const { facts } = fx("util-linux__expected_dmesg_delta.txt");
    expect(facts.lines).toBe(106);
    expect(facts.newest_t_s).toBe(4557523);
    expect(facts.time_basis).toBe("monotonic");
  });

  it("reads `--reltime` headers followed by ctime-with-delta stamps (util-linux delta-ctime)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_timestamp-format-delta-ctime.txt");
    expect(facts.lines).toBe(106);
    expect(facts.time_basis).toBe("wallclock");
    expect(facts.newest_wallclock).toBe("2009-04-07T17:30:13");
    expect(facts.newest_t_s).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it("reads `--time-format iso` with a decimal comma and delta (util-linux delta)", () => {
    const { facts, problems } = fx("util-linux__expected_dmesg_timestamp-format-delta.txt");
    expect(facts.lines).toBe(106);
    expect(facts.time_basis).toBe("wallclock");
    expect(facts.newest_wallclock).toBe("2009-04-07T17:30:13.123456+00:00");
    expect(problems).toEqual([]);
  });

  it("reads this machine's own dmesg (Debian 12 VM, kernel 6.18)", () => {
    const { facts, problems } = fx("vm-debian12-k6.18__dmesg.txt");
    expect(facts.lines).toBe(335);
    expect(facts.boots).toBe(1);
    expect(facts.newest_t_s).toBe(715.952944);
    // `rcu: Preemptible hierarchical RCU implementation.`, `NMI watchdog: … disabled`: no events
    expect(facts.events).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe("dmesg parser: scenario fixtures (real incidents)", () => {
  it("05: NFS server not responding, then a hung objcopy with an ARM `from` trace ending in nfs_file_fsync", () => {
    const { facts } = fx("scenario-05-hung-task-nfs-nic-offload-bug.txt");
    expect(facts.counts).toEqual({ "nfs-not-responding": 4, "hung-task": 1 });
    const nfs = only<SimpleEvent>(facts, "nfs-not-responding");
    expect(nfs.map((e) => [e.server, e.status])).toEqual([
      ["host-b", "not responding"],
      ["host-b", "not responding"],
      ["host-b", "OK"],
      ["host-b", "OK"],
    ]);
    const [h] = only<HungTaskEvent>(facts, "hung-task");
    expect(h).toMatchObject({ task: "objcopy", pid: 24916, blocked_s: 120, t_s: 3438.580109 });
    expect(h.line).toBe(8);
    expect(h.end_line).toBe(17);
    expect(h.state).toBe("D");
    expect(h.trace).toEqual([
      "__schedule",
      "schedule",
      "io_schedule",
      "wait_on_page_bit",
      "__filemap_fdatawait_range",
      "filemap_write_and_wait_range",
      "nfs_file_fsync",
    ]);
  });

  it("06: one corrected memory error on a DIMM (syslog stamps without a host)", () => {
    const { facts } = fx("scenario-06-mce-corrected-dimm-errors-replaced-ram.txt");
    expect(facts.time_basis).toBe("wallclock");
    expect(facts.counts).toEqual({ mce: 1 });
    const [m] = only<MceEvent>(facts, "mce");
    expect(m.corrected).toBe(true);
    expect(m.count).toBe(1);
    expect(m.dimm).toBe("CPU_SrcID#1_Ha#0_Chan#0_DIMM#0");
    expect(m.mc).toBe(1);
    expect([m.cpu, m.bank, m.status]).toEqual([1, 11, "8c00004f000800c2"]);
    expect(m.wallclock).toBe("--02-23T03:28:16");
    expect(m.end_line).toBe(8);
    expect(facts.mce_by_location).toEqual({
      "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0": { corrected: 1, uncorrected: 0 },
    });
  });

  it("09: an OOM task table alone: three tickrs processes, no kill line", () => {
    const { facts } = fx("scenario-09-oom-memory-leak-tickrs.txt");
    expect(facts.counts).toEqual({ "oom-kill": 1 });
    const [o] = only<OomKillEvent>(facts, "oom-kill");
    expect(o.process).toBeUndefined();
    expect(o.tasks_total).toBe(3);
    expect(o.tasks?.map((t) => [t.pid, t.rss_pages, t.name])).toEqual([
      [2275331, 730901, "tickrs"],
      [2275401, 707631, "tickrs"],
      [2275268, 705854, "tickrs"],
    ]);
    expect(o.tasks?.[2]).toMatchObject({ total_vm_pages: 2001555, swapents_pages: 421501 });
    // Added over every row: 705854 + 730901 + 707631 rss, 421501 + 434922 + 475771 swapents.
    expect([o.tasks_rss_pages, o.tasks_swapents_pages]).toEqual([2144386, 1332194]);
    expect(facts.oom_kills_by_process).toEqual({});
  });

  it("11: the mo-service kill with its summary line and reaper; the trailing prompt is a problem", () => {
    const { facts, problems } = fx("scenario-11-oom-db-engine-leak-loop-queries.txt");
    expect(facts.counts).toEqual({ "oom-kill": 1 });
    const [o] = only<OomKillEvent>(facts, "oom-kill");
    expect(o).toMatchObject({
      process: "mo-service",
      pid: 3466589,
      uid: 1028,
      total_vm_kb: 95320364,
      anon_rss_kb: 77996632,
      file_rss_kb: 88,
      shmem_rss_kb: 0,
      pgtables_kb: 170544,
      constraint: "none",
      memcg: "/user.slice/user-1028.slice/session-414.scope",
      reaped: true,
    });
    expect(o.tasks?.[0]).toMatchObject({ pid: 3486277, name: "mysql", rss_pages: 245 });
    expect(facts.oom_kills_by_process).toEqual({
      "mo-service": { count: 1, anon_rss_kb: [77996632] },
    });
    expect(problems).toEqual([
      {
        line: 5,
        text: "[user1@host-a matrixone]$ ",
        reason: "shell prompt, not kernel log output",
      },
    ]);
  });

  it("12: `dmesg -T` OOM kill of mo-service", () => {
    const { facts } = fx("scenario-12-oom-query-plan-wrong-join-order.txt");
    const [o] = only<OomKillEvent>(facts, "oom-kill");
    expect(o.wallclock).toBe("2023-01-31T22:48:54");
    expect(o).toMatchObject({
      process: "mo-service",
      pid: 1519467,
      anon_rss_kb: 238800340,
      total_vm_kb: 267661244,
      uid: 1030,
      constraint: "none",
    });
    expect(o.text).toContain("Out of memory: Killed process 1519467 (mo-service)");
    expect(facts.oom_kills_by_process["mo-service"]).toEqual({
      count: 1,
      anon_rss_kb: [238800340],
    });
  });

  it("18: three SCSI medium-error reports on sdb, each one event", () => {
    const { facts } = fx("scenario-18-disk-medium-errors-unrecovered-read.txt");
    expect(facts.counts).toEqual({ "medium-error": 3 });
    const ev = only<DiskEvent>(facts, "medium-error");
    expect(ev.map((e) => [e.line, e.end_line])).toEqual([
      [1, 5],
      [6, 10],
      [11, 14],
    ]);
    expect(ev[0]).toMatchObject({
      device: "sdb",
      sector: 4136641792,
      sense: "Unrecovered read error",
      operation: "READ",
      t_s: 104802.137128,
    });
    expect(ev[2].sector).toBeUndefined();
  });

  it("20: tsc marked unstable by the hpet watchdog, switched to hpet; a late timer interrupt", () => {
    const { facts } = fx("scenario-20-tsc-unstable-hpet-clock-gettime-overhead.txt");
    expect(facts.counts).toEqual({ "clocksource-unstable": 1, "hrtimer-slow": 1 });
    expect(only(facts, "hrtimer-slow")[0]).toMatchObject({ took_ns: 6663395, line: 9 });
    const [c] = only<ClocksourceEvent>(facts, "clocksource-unstable");
    expect(c).toMatchObject({
      clocksource: "tsc",
      watchdog: "hpet",
      switched_to: "hpet",
      t_s: 335323.734091,
      line: 2,
    });
    expect(facts.newest_t_s).toBe(335538.326632);
  });

  it("29: kern.log hung jbd2 task; the only frame is unreliable", () => {
    const { facts } = fx("scenario-29-hung-task-jbd2-dirty-writeback-slow-storage.txt");
    const [h] = only<HungTaskEvent>(facts, "hung-task");
    expect(h).toMatchObject({ task: "jbd2/xvda2-8", pid: 103, blocked_s: 120, state: "D" });
    expect(h.t_s).toBe(5359680.372082);
    expect(h.wallclock).toBe("--09-07T16:36:18");
    expect(h.trace).toEqual([]);
    expect(h.trace_unreliable).toEqual(["lock_page"]);
    expect(facts.time_basis).toBe("monotonic");
  });
});

/** A 5.15 global OOM report (mm/oom_kill.c dump_header, show_mem, dump_tasks), then a second kill. */
const OOM_515 = `[ 5012.123456] java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0
[ 5012.123470] CPU: 2 PID: 4242 Comm: java Not tainted 5.15.0-91-generic #101-Ubuntu
[ 5012.123475] Hardware name: Amazon EC2 m5.large/, BIOS 1.0 10/16/2017
[ 5012.123477] Call Trace:
[ 5012.123479]  <TASK>
[ 5012.123482]  dump_stack_lvl+0x4a/0x63
[ 5012.123490]  dump_header+0x4a/0x1f4
[ 5012.123494]  oom_kill_process.cold+0xb/0x10
[ 5012.123497]  out_of_memory+0x106/0x2e0
[ 5012.123510]  ? filemap_get_pages+0x9a/0x3c0
[ 5012.123520]  </TASK>
[ 5012.123522] Mem-Info:
[ 5012.123527] active_anon:1890 inactive_anon:1901234 isolated_anon:0
                active_file:12 inactive_file:30 isolated_file:0
[ 5012.123530] Node 0 active_anon:7560kB inactive_anon:7604936kB active_file:48kB
[ 5012.123536] lowmem_reserve[]: 0 2951 7814 7814 7814
[ 5012.123545] 1234 total pagecache pages
[ 5012.123547] Swap cache stats: add 0, delete 0, find 0/0
[ 5012.123548] Free swap  = 0kB
[ 5012.123548] Total swap = 0kB
[ 5012.123549] 2097053 pages RAM
[ 5012.123552] Tasks state (memory values in pages):
[ 5012.123553] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
[ 5012.123560] [    412]     0   412    12380      402   102400        0          -250 systemd-journal
[ 5012.123563] [   4242]  1000  4242  2960120  1903311 16035840        0           100 java
[ 5012.123570] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=4242,uid=1000
[ 5012.123600] Out of memory: Killed process 4242 (java) total-vm:11840480kB, anon-rss:7613244kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15660kB oom_score_adj:100
[ 5012.301000] oom_reaper: reaped process 4242 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
[ 6100.000001] java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0
[ 6100.000200] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=5150,uid=1000
[ 6100.000300] Out of memory: Killed process 5150 (java) total-vm:11900000kB, anon-rss:7700100kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15700kB oom_score_adj:100
`;

describe("dmesg parser: OOM reports", () => {
  it("groups a whole 5.15 report into one event and tracks repeated kills", () => {
    const { facts, problems } = parseText(parseDmesg, OOM_515);
    expect(problems).toEqual([]);
    expect(facts.counts).toEqual({ "oom-kill": 2 });
    const [a, b] = only<OomKillEvent>(facts, "oom-kill");
    expect(a).toMatchObject({
      line: 1,
      end_line: 28,
      invoked_by: "java",
      gfp_mask: "0x100cca(GFP_HIGHUSER_MOVABLE)",
      order: 0,
      invoked_by_oom_score_adj: 0,
      oom_score_adj: 100,
      constraint: "none",
      memcg: "/system.slice/app.service",
      process: "java",
      pid: 4242,
      anon_rss_kb: 7613244,
      reaped: true,
      tasks_total: 2,
    });
    expect(a.tasks?.map((t) => t.name)).toEqual(["java", "systemd-journal"]);
    expect(a.tasks?.[1].oom_score_adj).toBe(-250);
    expect(a.text).toBe(
      "[ 5012.123600] Out of memory: Killed process 4242 (java) total-vm:11840480kB, anon-rss:7613244kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15660kB oom_score_adj:100",
    );
    expect(b).toMatchObject({ line: 29, pid: 5150, anon_rss_kb: 7700100 });
    expect(facts.oom_kills_by_process).toEqual({
      java: { count: 2, anon_rss_kb: [7613244, 7700100] },
    });
  });

  it("reads a cgroup v2 memcg OOM (6.x task table with rss_anon/rss_file/rss_shmem)", () => {
    const text = `[12001.000100] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=999
[12001.000200] memory: usage 524288kB, limit 524288kB, failcnt 153
[12001.000201] swap: usage 0kB, limit 0kB, failcnt 0
[12001.000202] Memory cgroup stats for /kubepods.slice/pod-a.scope:
[12001.000230] anon 532480000
[12001.000231] file 12288
[12001.000300] Tasks state (memory values in pages):
[12001.000301] [  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name
[12001.000302] [    900]  1000   900   300000   130000   129990       10        0  1200000        7           999 node
[12001.000310] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=pod-a.scope,mems_allowed=0,oom_memcg=/kubepods.slice,task_memcg=/kubepods.slice/pod-a.scope,task=node,pid=900,uid=1000
[12001.000320] Memory cgroup out of memory: Killed process 900 (node) total-vm:1200000kB, anon-rss:519960kB, file-rss:40kB, shmem-rss:0kB, UID:1000 pgtables:1172kB oom_score_adj:999
`;
    const [o] = only<OomKillEvent>(parseText(parseDmesg, text).facts, "oom-kill");
    expect(o).toMatchObject({
      constraint: "memcg",
      memcg: "/kubepods.slice",
      task_memcg: "/kubepods.slice/pod-a.scope",
      process: "node",
      anon_rss_kb: 519960,
      end_line: 11,
    });
    expect(o.tasks?.[0]).toMatchObject({
      rss_pages: 130000,
      swapents_pages: 7,
      oom_score_adj: 999,
    });
  });

  it("reads a RHEL 6 report from /var/log/messages (`Kill process … or sacrifice child`, `Killed process N, UID N, (comm)`)", () => {
    const text = `Apr  2 03:14:07 db1 kernel: mysqld invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0
Apr  2 03:14:07 db1 kernel: mysqld cpuset=/ mems_allowed=0
Apr  2 03:14:07 db1 kernel: Pid: 2207, comm: mysqld Not tainted 2.6.32-431.el6.x86_64 #1
Apr  2 03:14:07 db1 kernel: Call Trace:
Apr  2 03:14:07 db1 kernel: [<ffffffff81122960>] ? dump_header+0x90/0x1b0
Apr  2 03:14:07 db1 kernel: Node 0 DMA per-cpu:
Apr  2 03:14:07 db1 kernel: CPU    0: hi:    0, btch:   1 usd:   0
Apr  2 03:14:07 db1 kernel: [ pid ]   uid  tgid total_vm      rss cpu oom_adj oom_score_adj name
Apr  2 03:14:07 db1 kernel: [ 2207]    27  2207  1634012   970311   0       0             0 mysqld
Apr  2 03:14:07 db1 postfix/qmgr[1888]: 3F2A1: removed
Apr  2 03:14:07 db1 kernel: Out of memory: Kill process 2207 (mysqld) score 940 or sacrifice child
Apr  2 03:14:07 db1 kernel: Killed process 2207, UID 27, (mysqld) total-vm:6536048kB, anon-rss:3881236kB, file-rss:8kB
`;
    const { facts, problems } = parseText(parseDmesg, text);
    expect(problems).toEqual([]);
    expect(facts.counts).toEqual({ "oom-kill": 1 });
    const [o] = only<OomKillEvent>(facts, "oom-kill");
    expect(o).toMatchObject({
      process: "mysqld",
      pid: 2207,
      uid: 27,
      anon_rss_kb: 3881236,
      file_rss_kb: 8,
      total_vm_kb: 6536048,
      end_line: 12,
      wallclock: "--04-02T03:14:07",
    });
  });

  it("completes a report whose kill line comes after unrelated kernel lines", () => {
    const text = `[  10.000001] a.out invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[  10.000002] Mem-Info:
[  10.000003] usb 1-1: reset high-speed USB device number 2 using xhci_hcd
[  10.000004] Out of memory: Killed process 77 (a.out) total-vm:2000kB, anon-rss:1500kB, file-rss:0kB, shmem-rss:0kB
`;
    const { facts } = parseText(parseDmesg, text);
    expect(facts.counts).toEqual({ "oom-kill": 1 });
    const [o] = only<OomKillEvent>(facts, "oom-kill");
    expect(o).toMatchObject({ invoked_by: "a.out", process: "a.out", pid: 77, anon_rss_kb: 1500 });
    expect(facts.oom_kills_by_process["a.out"].count).toBe(1);
  });

  it("marks an OOM panic", () => {
    const { facts } = parseText(
      parseDmesg,
      "[  900.000001] Kernel panic - not syncing: Out of memory and no killable processes...\n",
    );
    expect(facts.events).toEqual([
      expect.objectContaining({ kind: "oom-kill", panic: true, line: 1, t_s: 900.000001 }),
    ]);
  });

  it("reads a page allocation failure with its trace", () => {
    const text = `[  50.000001] kworker/0:1: page allocation failure: order:4, mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null),cpuset=/,mems_allowed=0
[  50.000002] CPU: 0 PID: 12 Comm: kworker/0:1 Not tainted 5.10.0-21-amd64 #1 Debian 5.10.162-1
[  50.000003] Call Trace:
[  50.000004]  dump_stack+0x6b/0x83
[  50.000005]  warn_alloc.cold+0x7b/0xdf
[  50.000006]  __alloc_pages_slowpath.constprop.0+0xd1d/0xd50
[  50.000007]  kmalloc_large_node+0x3b/0xa0
[  50.000008] Mem-Info:
[  50.000009] Node 0 Normal free:21000kB min:22000kB low:27000kB high:33000kB
`;
    const [e] = only<TraceEvent>(parseText(parseDmesg, text).facts, "page-allocation-failure");
    expect(e).toMatchObject({
      task: "kworker/0:1",
      order: 4,
      mode: "0x40cc0(GFP_KERNEL|__GFP_COMP)",
    });
    expect(e.trace).toContain("warn_alloc.cold");
    expect(e.end_line).toBe(9);
  });
});

describe("dmesg parser: hung tasks, lockups, stalls, bugs", () => {
  it("reads 5.x hung-task reports (`task:… state:D`, `<TASK>`, module suffixes)", () => {
    const text = `[ 1209.347121] INFO: task kworker/u16:2:3111 blocked for more than 122 seconds.
[ 1209.347135]       Not tainted 5.15.0-91-generic #101-Ubuntu
[ 1209.347140] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[ 1209.347143] task:kworker/u16:2   state:D stack:    0 pid: 3111 ppid:     2 flags:0x00004000
[ 1209.347152] Workqueue: writeback wb_workfn (flush-8:0)
[ 1209.347158] Call Trace:
[ 1209.347161]  <TASK>
[ 1209.347165]  __schedule+0x24e/0x590
[ 1209.347180]  io_schedule+0x46/0x80
[ 1209.347185]  ? wbt_cleanup_cb+0x20/0x20
[ 1209.347190]  rq_qos_wait+0xd0/0x170
[ 1209.347230]  ext4_writepages+0x2d5/0x3b0 [ext4]
[ 1209.347250]  </TASK>
[ 1209.347260] INFO: task mount.nfs:4100 blocked for more than 241 seconds.
[ 1209.347261]       Tainted: G           OE     5.15.0-91-generic #101-Ubuntu
[ 1209.347265] Call Trace:
[ 1209.347267]  __schedule+0x24e/0x590
[ 1209.347269]  rpc_wait_bit_killable+0x1e/0x90 [sunrpc]
[ 1209.347272]  nfs4_proc_get_root+0x27/0x60 [nfsv4]
[ 1209.347280] usb 1-1: new high-speed USB device number 3 using xhci_hcd
`;
    const { facts } = parseText(parseDmesg, text);
    const [a, b] = only<HungTaskEvent>(facts, "hung-task");
    expect(a).toMatchObject({
      task: "kworker/u16:2",
      pid: 3111,
      blocked_s: 122,
      state: "D",
      end_line: 13,
    });
    expect(a.trace).toEqual(["__schedule", "io_schedule", "rq_qos_wait", "ext4_writepages"]);
    expect(a.trace_unreliable).toEqual(["wbt_cleanup_cb"]);
    expect(b).toMatchObject({ task: "mount.nfs", pid: 4100, blocked_s: 241, end_line: 19 });
    expect(b.trace).toEqual(["__schedule", "rpc_wait_bit_killable", "nfs4_proc_get_root"]);
  });

  it("reads the 6.15 blocker line", () => {
    const text = `[  99.1] INFO: task cat:515 blocked for more than 30 seconds.
[  99.2] INFO: task cat:515 is blocked on a mutex likely owned by task cat:514.
`;
    const [h] = only<HungTaskEvent>(parseText(parseDmesg, text).facts, "hung-task");
    expect(h).toMatchObject({ blocked_on: "mutex", blocker_task: "cat", blocker_pid: 514 });
  });

  it("reads a soft lockup, an RCU stall, an oops, a WARNING, a BUG with panic and a hard lockup", () => {
    const text = `[  301.000001] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:1234]
[  301.000010] Modules linked in: nfsd auth_rpcgss xt_conntrack
[  301.000020] CPU: 3 PID: 1234 Comm: kworker/3:1 Tainted: G             L    5.4.0-150-generic #167-Ubuntu
[  301.000040] RIP: 0010:native_queued_spin_lock_slowpath+0x17b/0x1e0
[  301.000060] RSP: 0018:ffffb0a4c0ec3d58 EFLAGS: 00000202 ORIG_RAX: ffffffffffffff13
[  301.000080] Call Trace:
[  301.000090]  _raw_spin_lock+0x1e/0x20
[  301.000100]  nfsd_file_lru_cb+0x2a/0x130 [nfsd]
[  400.100000] rcu: INFO: rcu_sched self-detected stall on CPU
[  400.100010] rcu: 	1-....: (14997 ticks this GP) idle=a9e/1/0x4000000000000002 softirq=10237/10237 fqs=7477
[  400.100020] 	(t=15000 jiffies g=52521 q=1420)
[  400.100030] NMI backtrace for cpu 1
[  400.200000] rcu: rcu_sched kthread starved for 10502 jiffies! g52521 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1
[  512.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008
[  512.000010] #PF: supervisor read access in kernel mode
[  512.000030] PGD 0 P4D 0 
[  512.000040] Oops: 0000 [#1] SMP PTI
[  512.000050] CPU: 7 PID: 8812 Comm: ip Not tainted 5.10.0-21-amd64 #1 Debian 5.10.162-1
[  512.000060] RIP: 0010:mlx5e_xdp_set+0x1a/0x2c0 [mlx5_core]
[  512.000070] Call Trace:
[  512.000080]  dev_xdp_install+0x4f/0x70
[  600.000001] ------------[ cut here ]------------
[  600.000010] WARNING: CPU: 0 PID: 0 at net/sched/sch_generic.c:467 dev_watchdog+0x20f/0x250
[  600.000030] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 5.4.0-42-generic #46-Ubuntu
[  700.000001] kernel BUG at mm/slub.c:4009!
[  700.000010] invalid opcode: 0000 [#2] SMP NOPTI
[  700.000020] CPU: 1 PID: 77 Comm: kswapd0 Tainted: G      D           4.19.0-6-amd64 #1 Debian 4.19.67-2
[  700.000030] RIP: 0010:kfree+0x15a/0x170
[  701.000001] Kernel panic - not syncing: Fatal exception
[  800.000001] NMI watchdog: Watchdog detected hard LOCKUP on cpu 5
`;
    const { facts } = parseText(parseDmesg, text);
    expect(kinds(facts)).toEqual([
      "soft-lockup",
      "rcu-stall",
      "kernel-bug",
      "kernel-bug",
      "kernel-bug",
      "hard-lockup",
    ]);
    const [soft, rcu, oops, warn, bug, hard] = facts.events as TraceEvent[];
    expect(soft).toMatchObject({ cpu: 3, stuck_s: 23, task: "kworker/3:1", pid: 1234 });
    expect(soft.function).toBe("native_queued_spin_lock_slowpath");
    expect(soft.trace).toEqual(["_raw_spin_lock", "nfsd_file_lru_cb"]);
    expect(rcu).toMatchObject({ flavour: "rcu_sched", starved_jiffies: 10502, end_line: 13 });
    expect(oops).toMatchObject({ bug: "kernel NULL pointer dereference", task: "ip", pid: 8812 });
    expect(oops.function).toBe("mlx5e_xdp_set");
    expect(oops.trace).toEqual(["dev_xdp_install"]);
    expect(warn).toMatchObject({
      bug: "WARNING",
      location: "net/sched/sch_generic.c:467",
      function: "dev_watchdog",
      cpu: 0,
    });
    expect(bug).toMatchObject({
      bug: "kernel BUG at mm/slub.c:4009",
      panic: true,
      task: "kswapd0",
    });
    expect(bug.tainted).toBe("G      D           4.19.0-6-amd64 #1 Debian 4.19.67-2");
    expect(hard).toMatchObject({ cpu: 5 });
  });

  it("keeps a NETDEV WATCHDOG and its WARNING as one tx-timeout event", () => {
    const text = `[ 77.000001] NETDEV WATCHDOG: enp3s0f0 (ixgbe): transmit queue 7 timed out 5440 ms
[ 77.000002] WARNING: CPU: 2 PID: 0 at net/sched/sch_generic.c:525 dev_watchdog+0x21f/0x230
[ 77.000003] Call Trace:
[ 77.000004]  call_timer_fn+0x29/0x100
[ 88.000001] unregister_netdevice: waiting for veth1a2b to become free. Usage count = 1
`;
    const { facts } = parseText(parseDmesg, text);
    expect(kinds(facts)).toEqual(["nic-link", "kernel-bug"]);
    const nic = facts.events[0] as SimpleEvent;
    expect(nic).toMatchObject({
      interface: "enp3s0f0",
      driver: "ixgbe",
      queue: 7,
      state: "tx-timeout",
    });
    expect(nic.trace).toEqual(["call_timer_fn"]);
    expect((facts.events[1] as TraceEvent).bug).toBe("unregister_netdevice: waiting for veth1a2b");
  });
});

describe("dmesg parser: disks and filesystems", () => {
  it("reads ATA error handling, SCSI sense and the block layer's line", () => {
    const text = `[ 1000.000001] ata3.00: exception Emask 0x0 SAct 0x800000 SErr 0x0 action 0x0
[ 1000.000003] ata3.00: failed command: READ FPDMA QUEUED
[ 1000.000004] ata3.00: cmd 60/08:b8:68:55:a3/00:00:2c:00:00/40 tag 23 ncq dma 4096 in
                        res 41/40:00:68:55:a3/00:00:2c:00:00/40 Emask 0x409 (media error) <F>
[ 1000.000005] ata3.00: status: { DRDY ERR }
[ 1000.000006] ata3.00: error: { UNC }
[ 1000.000008] sd 2:0:0:0: [sdc] tag#23 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE cmd_age=3s
[ 1000.000009] sd 2:0:0:0: [sdc] tag#23 Sense Key : Medium Error [current]
[ 1000.000010] sd 2:0:0:0: [sdc] tag#23 Add. Sense: Unrecovered read error - auto reallocate failed
[ 1000.000012] I/O error, dev sdc, sector 748902760 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0
[ 1000.000013] ata3: EH complete
[ 1100.000001] ata1.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen
[ 1100.000002] ata1.00: failed command: FLUSH CACHE EXT
[ 1100.000005] ata1: hard resetting link
[ 1100.600000] ata1: EH complete
[ 1200.000001] nvme nvme0: I/O 123 QID 4 timeout, aborting
[ 1200.000002] nvme nvme0: Abort status: 0x0
[ 1300.000001] blk_update_request: I/O error, dev nvme0n1, sector 2048 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0
[ 1300.000002] Buffer I/O error on dev nvme0n1p1, logical block 0, lost async page write
[ 1400.000001] nvme0n1: Read(0x2) @ LBA 5488, 8 blocks, Unrecovered Read Error (sct 0x2 / sc 0x81) DNR 
[ 1700.000001] end_request: I/O error, dev sdd, sector 1953525100
[ 1700.000003] SCSI error: return code = 0x08000002
`;
    const { facts } = parseText(parseDmesg, text);
    expect(kinds(facts)).toEqual([
      "medium-error",
      "medium-error",
      "disk-timeout-reset",
      "disk-timeout-reset",
      "io-error",
      "io-error",
      "medium-error",
      "io-error",
      "disk-timeout-reset",
    ]);
    const d = facts.events as DiskEvent[];
    expect(d[0]).toMatchObject({
      device: "ata3.00",
      error: "UNC",
      operation: "READ FPDMA QUEUED",
      end_line: 6,
    });
    expect(d[1]).toMatchObject({
      device: "sdc",
      sector: 748902760,
      operation: "READ",
      end_line: 10,
    });
    expect(d[2]).toMatchObject({ device: "ata1.00", operation: "FLUSH CACHE EXT", end_line: 15 });
    // `Abort status` belongs to the timeout, not a second event
    expect(d[3]).toMatchObject({ device: "nvme0", line: 16 });
    expect(d[4]).toMatchObject({
      device: "nvme0n1",
      sector: 2048,
      operation: "WRITE",
      error: "I/O",
    });
    expect(d[5]).toMatchObject({ device: "nvme0n1p1", logical_block: 0, operation: "WRITE" });
    expect(d[6]).toMatchObject({
      device: "nvme0n1",
      sector: 5488,
      error: "Unrecovered Read Error",
    });
    expect(d[7]).toMatchObject({ device: "sdd", sector: 1953525100 });
  });

  it("reads ext4, jbd2, XFS and btrfs errors", () => {
    const text = `[ 1500.000001] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0
[ 1500.000002] EXT4-fs (sda1): Remounting filesystem read-only
[ 1500.000003] Aborting journal on device sda1-8.
[ 1600.000001] XFS (dm-0): Metadata corruption detected at xfs_buf_ioend+0x51/0x1f0 [xfs], xfs_inode block 0x1234 xfs_inode_buf_verify
[ 1600.000002] XFS (dm-0): Unmount and run xfs_repair
[ 1600.000005] XFS (dm-0): Corruption of in-memory data detected.  Shutting down filesystem
[ 1800.000001] BTRFS error (device sdb1): bdev /dev/sdb1 errs: wr 0, rd 3, flush 0, corrupt 0, gen 0
`;
    const fs = only<FsErrorEvent>(parseText(parseDmesg, text).facts, "fs-error");
    expect(fs.map((e) => [e.fs, e.device])).toEqual([
      ["ext4", "sda1"],
      ["ext4", "sda1"],
      ["jbd2", "sda1-8"],
      ["xfs", "dm-0"],
      ["btrfs", "sdb1"],
    ]);
    expect(fs[1].read_only).toBe(true);
    expect(fs[3]).toMatchObject({ corruption: true, shutdown: true, end_line: 6 });
  });
});

describe("dmesg parser: machine checks, clocks, network, limits, GPUs", () => {
  it("decodes MCi_STATUS and EDAC UE / GHES corrected errors", () => {
    const text = `[ 3100.000001] mce: [Hardware Error]: Machine check events logged
[ 3100.000002] mce: [Hardware Error]: CPU 4: Machine Check: 0 Bank 8: be00000000800400
[ 3100.000003] mce: [Hardware Error]: TSC 0 ADDR 1f2a3b4c5000 MISC 90000c0009004e8c
[ 3200.000001] {1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0
[ 3200.000003] {1}[Hardware Error]: event severity: corrected
[ 3200.000006] {1}[Hardware Error]:   DIMM location: CPU0_DIMM_A1
[ 3300.000001] EDAC MC0: 2 UE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x1f2a3b4)
`;
    const { facts } = parseText(parseDmesg, text);
    const m = only<MceEvent>(facts, "mce");
    expect(m).toHaveLength(3);
    expect(m[0]).toMatchObject({
      cpu: 4,
      bank: 8,
      status: "be00000000800400",
      corrected: false,
      address: "1f2a3b4c5000",
    });
    expect(m[1]).toMatchObject({ corrected: true, dimm: "CPU0_DIMM_A1" });
    expect(m[2]).toMatchObject({
      corrected: false,
      count: 2,
      mc: 0,
      dimm: "CPU_SrcID#0_MC#0_Chan#1_DIMM#0",
    });
    expect(facts.mce_by_location).toEqual({
      "bank 8": { corrected: 0, uncorrected: 1 },
      CPU0_DIMM_A1: { corrected: 1, uncorrected: 0 },
      "CPU_SrcID#0_MC#0_Chan#1_DIMM#0": { corrected: 0, uncorrected: 2 },
    });
  });

  it("reads the 6.x clocksource watchdog report", () => {
    const text = `[ 3000.000001] clocksource: timekeeping watchdog on CPU3: Marking clocksource 'tsc' as unstable because the skew is too large:
[ 3000.000002] clocksource:                       'hpet' wd_nsec: 503999678 wd_now: 3a5f0c4 wd_last: 2a8d7e6 mask: ffffffff
[ 3000.000003] clocksource:                       'tsc' cs_nsec: 504523180 cs_now: 2b1c3a4b5c cs_last: 2a1b2c3d4e mask: ffffffffffffffff
[ 3000.000005] tsc: Marking TSC unstable due to clocksource watchdog
[ 3000.000006] clocksource: Switched to clocksource hpet
[ 3000.000007] clocksource: Switched to clocksource tsc
`;
    const { facts } = parseText(parseDmesg, text);
    expect(only<ClocksourceEvent>(facts, "clocksource-unstable")).toEqual([
      expect.objectContaining({
        clocksource: "tsc",
        watchdog: "hpet",
        switched_to: "tsc",
        end_line: 6,
      }),
    ]);
  });

  it("keeps why the TSC was marked unstable (here the tsc=unstable boot parameter)", () => {
    const text = `[    0.076180] tsc: Marking TSC unstable due to boot parameter
[    0.270684] clocksource: Switched to clocksource kvm-clock
`;
    const { facts } = parseText(parseDmesg, text);
    expect(only<ClocksourceEvent>(facts, "clocksource-unstable")).toEqual([
      expect.objectContaining({ clocksource: "tsc", reason: "boot parameter", line: 1 }),
    ]);
  });

  it("reads conntrack, SYN flood, TCP memory, link, NFS, pids, Xid, mlx5, segfault and file-max lines", () => {
    const text = `[ 2000.000001] nf_conntrack: nf_conntrack: table full, dropping packet
[ 2000.000002] nf_conntrack: table full, dropping packet
[ 2000.000003] net_ratelimit: 1745 callbacks suppressed
[ 2100.000001] TCP: request_sock_TCP: Possible SYN flooding on port 80. Sending cookies.  Check SNMP counters.
[ 2100.000002] TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.
[ 2200.000001] TCP: out of memory -- consider tuning tcp_mem
[ 2200.000002] TCP: too many orphaned sockets
[ 2300.000001] e1000e: eth0 NIC Link is Down
[ 2300.000002] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx
[ 2300.000004] mlx5_core 0000:3b:00.0 ens1f0: Link down
[ 2300.000005] bond0: link status definitely down for interface eth1, disabling it
[ 2400.000001] nfs: server nas01 not responding, still trying
[ 2400.000003] nfs: server nas01 OK
[ 2500.000001] cgroup: fork rejected by pids controller in /system.slice/docker.service
[ 2600.000001] NVRM: Xid (PCI:0000:3b:00): 79, pid=2317, GPU has fallen off the bus.
[ 2700.000001] mlx5_core 0000:5e:00.0: wait_func:1164:(pid 1231): CREATE_MKEY(0x200) timeout. Will cause a leak of a command resource
[ 2800.000001] python3[31337]: segfault at 0 ip 00007f1c2a3b4c5d sp 00007ffd0e1f2a30 error 4 in libc.so.6[7f1c2a2a0000+195000]
[ 2800.000002] traps: node[4141] general protection fault ip:55d1e2c3b4a5 sp:7ffc1a2b3c40 error:0 in node[55d1e0000000+4a00000]
[ 2900.000001] VFS: file-max limit 1048576 reached
`;
    const { facts } = parseText(parseDmesg, text);
    expect(facts.counts).toEqual({
      "conntrack-full": 2,
      "syn-flood": 2,
      "tcp-oom": 2,
      "nic-link": 4,
      "nfs-not-responding": 2,
      "pids-limit": 1,
      "gpu-xid": 1,
      "rdma-error": 1,
      segfault: 2,
      "file-max": 1,
    });
    const e = facts.events as SimpleEvent[];
    expect(e[2]).toMatchObject({ kind: "syn-flood", port: 80, action: "cookies" });
    expect(e[3]).toMatchObject({
      kind: "syn-flood",
      port: 443,
      address: "[::]",
      action: "dropping",
    });
    expect(e.slice(4, 6).map((x) => x.reason)).toEqual(["tcp_mem", "orphans"]);
    expect(e.slice(6, 10).map((x) => [x.interface, x.state])).toEqual([
      ["eth0", "down"],
      ["eth0", "up"],
      ["ens1f0", "down"],
      ["eth1", "down"],
    ]);
    expect(e[12]).toMatchObject({ kind: "pids-limit", cgroup: "/system.slice/docker.service" });
    expect(e[13]).toMatchObject({ kind: "gpu-xid", xid: 79, pci: "0000:3b:00", pid: 2317 });
    expect(e[14]).toMatchObject({
      kind: "rdma-error",
      device: "0000:5e:00.0",
      detail: "command timeout",
    });
    expect(e[15]).toMatchObject({
      process: "python3",
      pid: 31337,
      fault_address: "0",
      object: "libc.so.6",
    });
    expect(e[16]).toMatchObject({ process: "node", pid: 4141, detail: "general protection fault" });
    expect(e[17]).toMatchObject({ kind: "file-max", limit: 1048576 });
  });
});

describe("dmesg parser: line formats", () => {
  it("reads journalctl -k with boots, and counts but does not classify other programs' lines", () => {
    const text = `-- Logs begin at Mon 2026-11-30 08:00:01 UTC, end at Mon 2026-11-30 10:05:00 UTC. --
Nov 30 10:00:00 web-1 kernel: Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP
Nov 30 10:00:05 web-1 kernel: nf_conntrack: table full, dropping packet
Nov 30 10:00:06 web-1 systemd[1]: Out of memory: Killed process 1 (fake) total-vm:1kB, anon-rss:1kB
-- Boot 5a3c2e1f0b9d4e7a8c6b5a4d3e2f1a0b --
Nov 30 10:04:00 web-1 kernel: Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP
Nov 30 10:04:59 web-1 kernel: TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.
`;
    const { facts, problems } = parseText(parseDmesg, text);
    expect(problems).toEqual([]);
    expect(facts.boots).toBe(2);
    expect(facts.time_basis).toBe("wallclock");
    expect(facts.events).toEqual([
      expect.objectContaining({
        kind: "conntrack-full",
        previous_boot: true,
        wallclock: "--11-30T10:00:05",
      }),
      expect.objectContaining({ kind: "syn-flood", port: 443, wallclock: "--11-30T10:04:59" }),
    ]);
    expect(facts.events[1]).not.toHaveProperty("previous_boot");
  });

  it("reads short-iso, rsyslog ISO, short-precise and short-monotonic prefixes", () => {
    const text = `2026-11-30T10:00:00+0000 web-1 kernel: VFS: file-max limit 65536 reached
2026-11-30T10:00:02.000001+01:00 web-1 kernel: [ 4711.123456] nfs: server nas2 not responding, still trying
Nov 30 10:00:00.123456 web-1 kernel: TCP: too many orphaned sockets
[ 4700.000001] web-1 kernel: TCP: out of memory -- consider tuning tcp_mem
`;
    const { facts } = parseText(parseDmesg, text);
    expect(facts.events.map((e) => [e.kind, e.t_s, e.wallclock])).toEqual([
      ["file-max", undefined, "2026-11-30T10:00:00+00:00"],
      ["nfs-not-responding", 4711.123456, "2026-11-30T10:00:02.000001+01:00"],
      ["tcp-oom", undefined, "--11-30T10:00:00.123456"],
      ["tcp-oom", 4700.000001, undefined],
    ]);
  });

  it("reads kmsg records, raw priorities, decode prefixes, caller ids, ctime, iso, reltime, delta and no stamp", () => {
    const text = `6,1234,4711123456,-;nf_conntrack: table full, dropping packet
<4>[ 4712.000001] nf_conntrack: table full, dropping packet
<3>nf_conntrack: table full, dropping packet
kern  :err   : [ 4713.000002] [  T123] nf_conntrack: table full, dropping packet
[ 4714.000003][    C2] nf_conntrack: table full, dropping packet
[Mon Nov 30 10:00:00 2026] nf_conntrack: table full, dropping packet
2026-11-30T10:00:00,123456+00:00 nf_conntrack: table full, dropping packet
[Nov30 10:01] nf_conntrack: table full, dropping packet
[  +0.000123] nf_conntrack: table full, dropping packet
[ 4715.000001 <    0.000010>] nf_conntrack: table full, dropping packet
[<    0.000010>] nf_conntrack: table full, dropping packet
\u001b[32m[ 4716.5] \u001b[0mnf_conntrack: table full, dropping packet
nf_conntrack: table full, dropping packet
`;
    const { facts, problems } = parseText(parseDmesg, text);
    expect(problems).toEqual([]);
    expect(facts.counts).toEqual({ "conntrack-full": 13 });
    expect(facts.events.map((e) => e.t_s)).toEqual([
      4711.123456,
      4712.000001,
      undefined,
      4713.000002,
      4714.000003,
      undefined,
      undefined,
      undefined,
      undefined,
      4715.000001,
      undefined,
      4716.5,
      undefined,
    ]);
    expect(facts.events.map((e) => e.level)).toEqual([
      "info",
      "warn",
      "err",
      "err",
      ...Array(9).fill(undefined),
    ]);
    expect(facts.events[5].wallclock).toBe("2026-11-30T10:00:00");
    expect(facts.events[6].wallclock).toBe("2026-11-30T10:00:00.123456+00:00");
    expect(facts.events[7].wallclock).toBe("--11-30T10:01:00");
    expect(facts.events[11].text).toBe("[ 4716.5] nf_conntrack: table full, dropping packet");
  });

  it("recognises an unstamped log (`dmesg -t`) by the kernel's banner alone", () => {
    // Found by test/properties: `Linux version …` without a stamp was "no kernel log line".
    const { facts, problems } = parseText(
      parseDmesg,
      "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1\n",
    );
    expect(problems).toEqual([]);
    expect(facts).toMatchObject({ lines: 1, boots: 1, time_basis: "none", events: [] });
  });
});

describe("dmesg parser: shapes seen in pasted incident reports", () => {
  it("reads metalog's `[kernel]` tag, shipper stamps in brackets and syslog lines pasted without a date", () => {
    const text = `Sep 12 12:36:45 [kernel] [  150.539498][ T1018] nvme nvme0: I/O 335 (I/O Cmd) QID 1 timeout, aborting
[2023-06-22 21:55:31.352446][5975153.878190] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (xxx xxx)
kernel: [  299.949355] [Hardware Error]: Machine check events logged
2026-11-30T10:00:00Z nf_conntrack: table full, dropping packet
`;
    const { facts } = parseText(parseDmesg, text);
    expect(facts.events.map((e) => [e.kind, e.t_s, e.wallclock])).toEqual([
      ["disk-timeout-reset", 150.539498, "--09-12T12:36:45"],
      ["mce", 5975153.87819, "2023-06-22T21:55:31.352446"],
      ["mce", 299.949355, undefined],
      ["conntrack-full", undefined, "2026-11-30T10:00:00Z"],
    ]);
    expect((facts.events[1] as MceEvent).dimm).toBe("CPU_SrcID#0_MC#0_Chan#1_DIMM#0");
  });

  it("leaves `unknown` EDAC labels and `DIMM location: not present` without a DIMM", () => {
    const text = `May 13 15:05:20 hisilicon11 kernel: EDAC MC0: 1 CE reserved error (16) on unknown label (node:0 rank:0 bank:0 row:0 col:0 page:0x400000 offset:0x300 grain:0 syndrome:0x0)
[  375.938411] EDAC MC0: 1 CE single-symbol chipkill ECC on unknown memory (node: 0 card: 0 rank: 0 bank: 513 DIMM location: not present. DMI handle: 0x0000 page:0x898b86)
`;
    const { facts } = parseText(parseDmesg, text);
    const m = only<MceEvent>(facts, "mce");
    expect(m.map((e) => [e.corrected, e.count, e.dimm, e.error])).toEqual([
      [true, 1, undefined, "reserved error (16)"],
      [true, 1, undefined, "single-symbol chipkill ECC"],
    ]);
    expect(facts.mce_by_location).toEqual({ MC0: { corrected: 2, uncorrected: 0 } });
  });

  it("reads a kill line wrapped onto the next line", () => {
    const text = `Memory cgroup out of memory: Killed process 918703 (rs_cam_gui)
  total-vm:23870700kB, anon-rss:16736460kB
`;
    const [o] = only<OomKillEvent>(parseText(parseDmesg, text).facts, "oom-kill");
    expect(o).toMatchObject({
      process: "rs_cam_gui",
      pid: 918703,
      total_vm_kb: 23870700,
      anon_rss_kb: 16736460,
    });
    expect(o.constraint).toBe("memcg");
  });

  it("reads the 6.16 WARNING line and arm64 `(P)` frame marks", () => {
    const text = `[   21.858578] ------------[ cut here ]------------
[   21.858745] WARNING: kernel/workqueue.c:2338 at __queue_work+0x5e0/0x790, CPU#2: kworker/2:2/116
[   21.859251] Call trace:
[   21.859255]  __queue_work+0x5e0/0x790 (P)
[   21.859265]  queue_work_on+0x6c/0xf0
[   21.859270]  qcom_slim_ngd_ssr_pdr_notify+0x30/0x60 [slim_qcom_ngd_ctrl]
`;
    const [w] = only<TraceEvent>(parseText(parseDmesg, text).facts, "kernel-bug");
    expect(w).toMatchObject({
      bug: "WARNING",
      location: "kernel/workqueue.c:2338",
      function: "__queue_work",
      cpu: 2,
      task: "kworker/2:2",
      pid: 116,
      end_line: 6,
    });
    expect(w.trace).toEqual(["__queue_work", "queue_work_on", "qcom_slim_ngd_ssr_pdr_notify"]);
  });

  it("reads SCSI timeouts: a failed cache flush, a custom time-only syslog template, an offline device", () => {
    const text = `[  532.864536] sd 15:0:0:0: [sdb] Synchronize Cache(10) failed: Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK
14:05:22 raisin kernel: sd 10:0:0:0: [sdc] tag#0 FAILED Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK cmd_age=41s
14:05:22 raisin kernel: sd 10:0:0:0: [sdc] tag#0 CDB: Read(10) 28 00 07 7f ff fc 00 00 01 00
14:05:22 raisin kernel: blk_update_request: I/O error, dev sdc, sector 125829116 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0
[ 1926.640180] sd 5:0:0:0: rejecting I/O to offline device
`;
    const d = parseText(parseDmesg, text).facts.events as DiskEvent[];
    expect(d.map((e) => [e.kind, e.device, e.hostbyte, e.sector])).toEqual([
      ["disk-timeout-reset", "sdb", "DID_TIME_OUT", undefined],
      ["disk-timeout-reset", "sdc", "DID_TIME_OUT", 125829116],
      ["disk-timeout-reset", "5:0:0:0", undefined, undefined],
    ]);
    expect(d[1].end_line).toBe(4);
  });

  it("keeps an RDMA work-completion error and its CQE dump as one event", () => {
    const text = `[  408.372201] infiniband mlx5_0: mlx5_handle_error_cqe:332:(pid 0): WC error: 4, Message: local protection error
[  408.380181] infiniband mlx5_0: dump_cqe:272:(pid 0): dump error cqe
[  408.380187] 00000000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
[  408.380189] 00000010: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
[  500.300000] mlx5_core 0000:5e:00.0: cmd_work_handler:877:(pid 0): cmd[3]: CREATE_MKEY(0x200) Async, timeout. Will cause a leak of a command resource
`;
    const r = only<SimpleEvent>(parseText(parseDmesg, text).facts, "rdma-error");
    expect(r.map((e) => [e.device, e.detail, e.line, e.end_line])).toEqual([
      ["mlx5_0", "WC error: local protection error", 1, 4],
      ["0000:5e:00.0", "command timeout", 5, undefined],
    ]);
  });

  it("reads `dmesg -T` under a Russian locale as stamped lines", () => {
    const text =
      "[Ср мар 10 20:19:39 2021] TCP: request_sock_TCPv6: Possible SYN flooding on port 34391. Dropping request.  Check SNMP counters.\n";
    const { facts, problems } = parseText(parseDmesg, text);
    expect(problems).toEqual([]);
    expect(facts.events).toEqual([
      expect.objectContaining({ kind: "syn-flood", port: 34391, action: "dropping", line: 1 }),
    ]);
    expect(facts.events[0].wallclock).toBeUndefined();
  });

  it("reads the 2.6 `Out of socket memory` as TCP memory pressure", () => {
    const { facts } = parseText(parseDmesg, "Jan  5 03:00:01 lb1 kernel: Out of socket memory\n");
    expect(facts.events).toEqual([expect.objectContaining({ kind: "tcp-oom", reason: "tcp_mem" })]);
  });

  it("reads a task name with a blank, an arm64 trace and a hung-task panic", () => {
    const text = `[  99.000001] INFO: task DataXceiver for:7494 blocked for more than 120 seconds.
[  99.000002] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[  99.000003] task:DataXceiver for state:D stack:0     pid:7494  ppid:1      flags:0x00000200
[  99.000004] Call trace:
[  99.000005]  __switch_to+0x14c/0x240
[  99.000006]  io_schedule+0x24/0xa0
[  99.000007]  __folio_lock+0x130/0x300
[  99.000008]  ext4_file_splice_read+0x2c/0x48 [ext4]
[  99.000009] Kernel panic - not syncing: hung_task: blocked tasks
`;
    const { facts } = parseText(parseDmesg, text);
    expect(facts.counts).toEqual({ "hung-task": 1 });
    const [h] = only<HungTaskEvent>(facts, "hung-task");
    expect(h).toMatchObject({
      task: "DataXceiver for",
      pid: 7494,
      state: "D",
      panic: true,
      end_line: 9,
    });
    expect(h.trace).toEqual([
      "__switch_to",
      "io_schedule",
      "__folio_lock",
      "ext4_file_splice_read",
    ]);
  });
});

describe("dmesg parser: odd input", () => {
  it("rejects empty input and binary garbage with the documented error", () => {
    expect(() => parseText(parseDmesg, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseDmesg, "\n\n")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseDmesg, "\u0000\u00ff\u0001garbage\n\ufffd\ufffd\n")).toThrow(
      UnrecognisedOutputError,
    );
  });

  it("never throws anything else on random bytes", () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 50; round++) {
      let s = "";
      for (let i = 0; i < 400; i++) s += String.fromCharCode(rnd() % 256);
      try {
        parseText(parseDmesg, s);
      } catch (err) {
        expect(err).toBeInstanceOf(UnrecognisedOutputError);
      }
    }
  });

  it("records pasted prompts and elisions as problems and keeps going", () => {
    const text = `$ dmesg -T | tail -3
[Mon Nov 30 10:00:00 2026] VFS: file-max limit 100 reached
...
root@web-1:~# 
[Mon Nov 30 10:00:09 2026] VFS: file-max limit 100 reached
`;
    const { facts, problems } = parseText(parseDmesg, text);
    expect(facts.counts).toEqual({ "file-max": 2 });
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [1, "shell prompt, not kernel log output"],
      [3, "elision, not kernel log output"],
      [4, "shell prompt, not kernel log output"],
    ]);
  });

  it("accepts a log without stamps in the kernel's `subsystem: message` style", () => {
    const { facts } = parseText(parseDmesg, "e1000e: eth0 NIC Link is Down\nbnx2: eth1 up\n");
    expect(facts.time_basis).toBe("none");
    expect(facts.events).toEqual([
      expect.objectContaining({ kind: "nic-link", interface: "eth0", state: "down", line: 1 }),
    ]);
  });
});

describe("dmesg parser: bounded facts on a huge log", () => {
  it("parses 1M generated lines from a lazy generator, keeping the first 50 and last 450 events per kind", () => {
    function* huge(): Generator<string> {
      for (let i = 0; i < 1_000_000; i++) {
        const t = (i / 100).toFixed(6).padStart(13, " ");
        if (i % 1000 === 0) yield `[${t}] nf_conntrack: table full, dropping packet`;
        else if (i % 5000 === 1)
          yield `[${t}] Out of memory: Killed process ${i} (worker) total-vm:9000kB, anon-rss:${i}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:10kB oom_score_adj:0`;
        else yield `[${t}] usb 1-1: new high-speed USB device number ${i % 100} using xhci_hcd`;
      }
    }
    const { facts, problems } = parseDmesg(huge());
    expect(problems).toEqual([]);
    expect(facts.lines).toBe(1_000_000);
    expect(facts.counts).toEqual({ "conntrack-full": 1000, "oom-kill": 200 });
    const ct = facts.events.filter((e) => e.kind === "conntrack-full");
    expect(ct).toHaveLength(500);
    expect(ct[0].line).toBe(1);
    expect(ct[49].line).toBe(49_001);
    expect(ct[50].line).toBe(550_001);
    expect(ct[499].line).toBe(999_001);
    expect(facts.events.filter((e) => e.kind === "oom-kill")).toHaveLength(200);
    expect(facts.dropped_events).toBe(500);
    expect(facts.newest_t_s).toBe(9999.99);
    const worker = facts.oom_kills_by_process.worker;
    expect(worker.count).toBe(200);
    expect(worker.anon_rss_kb[0]).toBe(1);
    expect(worker.anon_rss_kb[199]).toBe(995_001);
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";
const MONTH = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

describe("dmesg parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(
    `agrees with jc --syslog-bsd on each event line's date and printk stamp${jcNote}`,
    () => {
      const messages = `Apr  2 03:14:07 db1 kernel: Out of memory: Kill process 2207 (mysqld) score 940 or sacrifice child
Apr  2 03:14:07 db1 kernel: Killed process 2207, UID 27, (mysqld) total-vm:6536048kB, anon-rss:3881236kB, file-rss:8kB
Apr  2 03:15:00 db1 postfix/qmgr[1888]: 3F2A1: removed
Apr 12 23:59:59 db1 kernel: [ 8812.000002] nfs: server nas01 not responding, still trying
`;
      for (const raw of [
        readFixture("dmesg/scenario-29-hung-task-jbd2-dirty-writeback-slow-storage.txt"),
        readFixture("dmesg/scenario-06-mce-corrected-dimm-errors-replaced-ram.txt"),
        messages,
      ]) {
        const rows = JSON.parse(execFileSync(JC, ["--syslog-bsd"], { input: raw }).toString()) as {
          date: string;
          content: string;
        }[];
        const { facts } = parseText(parseDmesg, raw);
        expect(facts.events.length).toBeGreaterThan(0);
        for (const e of facts.events) {
          const row = rows[e.line - 1];
          const [mon, day, time] = row.date.split(/\s+/);
          const iso = `--${String(MONTH[mon as keyof typeof MONTH]).padStart(2, "0")}-${day.padStart(2, "0")}T${time}`;
          expect(e.wallclock).toBe(iso);
          const stamp = /^\[\s*(\d+\.\d+)\]/.exec(row.content);
          expect(e.t_s).toBe(stamp ? Number(stamp[1]) : undefined);
        }
      }
    },
  );
});
