import { beforeAll, describe, expect, it } from "vitest";
import { FACT_CATALOGUE } from "../../src/derive/index.js";
import type { DerivedFacts, FactTree, FactValue } from "../../src/derive/types.js";
import type { RankedHypothesis } from "../../src/engine/rank.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import { CATEGORIES, type Symptom } from "../../src/model/report.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import { comparisonsOf, isFactRef, type Runbook } from "../../src/runbooks/schema.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * Each packaged rule on small fact sets: what makes it fire, what keeps it quiet, and how its
 * confidence and precedence move. Facts are given flat (`path: value`); every collector is
 * taken as present unless a test says otherwise.
 */

let runbooks: Runbook[];
const ALL_COLLECTORS = new Set(FACT_CATALOGUE.flatMap((f) => f.from));

beforeAll(() => {
  const result = lintRunbooks(fixturePath("../../runbooks"));
  expect(result.issues).toEqual([]);
  runbooks = result.runbooks;
});

function derivedOf(flat: Record<string, FactValue>): DerivedFacts {
  const tree: FactTree = {};
  const sources = new Map<string, string>();
  const from = new Map(FACT_CATALOGUE.map((f) => [f.path, f.from[0] ?? "derived"]));
  for (const [path, value] of Object.entries(flat)) {
    expect(from.has(path), `${path} is not in the catalogue`).toBe(true);
    const keys = path.split(".");
    let node = tree;
    for (const k of keys.slice(0, -1)) {
      node[k] ??= {};
      node = node[k] as FactTree;
    }
    node[keys[keys.length - 1]] = value;
    sources.set(path, from.get(path) as string);
  }
  return { tree, excerpts: new Map(), sources, mode: "window", notes: [] };
}

function run(
  flat: Record<string, FactValue>,
  symptom: Symptom = "health",
  present: ReadonlySet<string> = ALL_COLLECTORS,
) {
  return evaluateRunbooks(runbooks, derivedOf(flat), present, symptom);
}

function hyp(
  flat: Record<string, FactValue>,
  rule: string,
  symptom: Symptom = "health",
): RankedHypothesis | undefined {
  return run(flat, symptom).hypotheses.find((h) => h.rule === rule);
}

function verdict(flat: Record<string, FactValue>, rule: string): string | undefined {
  const r = run(flat);
  if (r.hypotheses.some((h) => h.rule === rule)) return "fired";
  return r.checked.find((c) => c.rule === rule)?.verdict;
}

describe("the rule set", () => {
  it("covers every category", () => {
    const covered = new Set(runbooks.map((r) => r.category));
    expect(CATEGORIES.filter((c) => !covered.has(c))).toEqual([]);
  });

  it("gives every rule its source, remediation and next commands", () => {
    for (const r of runbooks) {
      expect(r.source.length, r.id).toBeGreaterThan(5);
      expect(r.remediation.length, r.id).toBeGreaterThan(0);
      expect(r.next.length, r.id).toBeGreaterThan(0);
    }
  });

  it("finds nothing on a healthy host", () => {
    const r = run({
      "host.cpus": 8,
      "cpu.idle_pct": 80,
      "cpu.runnable_per_cpu": 0.3,
      "cpu.steal_pct": 0,
      "disk.worst.util_pct": 12,
      "disk.worst.aqu_sz": 0.1,
      "disk.worst.await_ms": 2,
      "mem.available_pct": 60,
      "fs.worst.use_pct": 40,
      "fs.worst_inodes.iuse_pct": 5,
      "oom.events": 0,
      "hung.tasks": 0,
      "ioerr.events": 0,
      "mce.events": 0,
      "kernel.bug_events": 0,
      "net.listen.worst.queue_pct": 0,
      "net.sockets.syn_recv": 1,
      "net.sockets.syn_recv_peers": 1,
      "net.sockets.syn_recv_pct": 1,
    });
    expect(r.hypotheses).toEqual([]);
  });
});

describe("disk", () => {
  const busy = {
    "disk.worst.device": "sda",
    "disk.worst.util_pct": 99,
    "disk.worst.aqu_sz": 8,
    "disk.worst.await_ms": 45,
  };

  it("disk-saturation needs a queue, not %util alone", () => {
    expect(hyp(busy, "disk-saturation")?.title).toMatch(/^sda is saturated/);
    expect(verdict({ ...busy, "disk.worst.aqu_sz": 0.4 }, "disk-saturation")).toBe("fine");
    expect(
      verdict(
        { ...busy, "disk.worst.await_ms": 1, "disk.worst.queue_ratio": 1.2 },
        "disk-saturation",
      ),
    ).toBe("fine");
  });

  it("disk-saturation trusts since-boot averages less and PSI more", () => {
    const base = hyp(busy, "disk-saturation")?.confidence ?? 0;
    expect(hyp({ ...busy, "disk.since_boot": true }, "disk-saturation")?.confidence).toBeLessThan(
      base,
    );
    expect(
      hyp({ ...busy, "psi.io.some_avg10": 40 }, "disk-saturation")?.confidence,
    ).toBeGreaterThan(base);
  });

  it("disk-errors-hardware names the device and the medium errors", () => {
    const h = hyp(
      { "ioerr.events": 4, "ioerr.device": "sdb", "ioerr.medium": 2 },
      "disk-errors-hardware",
    );
    expect(h?.title).toBe("sdb reports I/O errors (2 medium errors: unreadable sectors)");
    expect(h?.confidence).toBeCloseTo(0.8);
  });
});

describe("cpu", () => {
  const saturated = {
    "host.cpus": 4,
    "cpu.idle_pct": 2,
    "cpu.runnable": 12,
    "cpu.runnable_per_cpu": 3,
  };

  it("cpu-saturation needs both little idle and a queue", () => {
    expect(hyp(saturated, "cpu-saturation")).toBeDefined();
    expect(verdict({ ...saturated, "cpu.idle_pct": 40 }, "cpu-saturation")).toBe("fine");
    expect(verdict({ ...saturated, "cpu.runnable_per_cpu": 0.9 }, "cpu-saturation")).toBe("fine");
  });

  it("steal-time explains busy CPUs on a VM", () => {
    const r = run({ ...saturated, "cpu.steal_pct": 35 }, "cpu");
    expect(r.hypotheses[0].rule).toBe("steal-time");
    const sat = r.hypotheses.find((h) => h.rule === "cpu-saturation");
    expect(sat?.explainedBy).toBe("steal-time");
  });

  it("cpu-throttling-cgroup", () => {
    const f = {
      "cgroup.cpu.worst.cgroup": "/kubepods/pod1",
      "cgroup.cpu.worst.throttled_pct": 60,
      "cgroup.cpu.worst.nr_throttled": 300,
      "cgroup.cpu.worst.nr_periods": 500,
    };
    expect(hyp(f, "cpu-throttling-cgroup")?.confidence).toBeCloseTo(0.8);
    expect(
      hyp({ ...f, "cgroup.cpu.since_boot": true }, "cpu-throttling-cgroup")?.confidence,
    ).toBeCloseTo(0.55);
    expect(verdict({ ...f, "cgroup.cpu.worst.throttled_pct": 3 }, "cpu-throttling-cgroup")).toBe(
      "fine",
    );
  });

  it("run-queue-latency is weaker when the CPUs are all busy", () => {
    const f = { "sched.max_delay_ms": 30, "sched.max_delay_task": "app:1" };
    const idle = hyp({ ...f, "cpu.idle_pct": 50 }, "run-queue-latency")?.confidence ?? 0;
    const busy = hyp({ ...f, "cpu.idle_pct": 1 }, "run-queue-latency")?.confidence ?? 0;
    expect(busy).toBeLessThan(idle);
    expect(
      verdict({ "sched.max_delay_ms": 2, "sched.worst_avg_delay_ms": 0.1 }, "run-queue-latency"),
    ).toBe("fine");
    expect(hyp({ "sched.runqlat_p99_us": 32767 }, "run-queue-latency")?.title).toMatch(
      /99 % of waits under 32767 µs/,
    );
  });
});

describe("system calls", () => {
  const trace = {
    "strace.total_calls": 5000,
    "strace.dominant.share_pct": 85,
    "strace.dominant.by": "time",
  };

  it("syscall-heavy ignores calls that only wait", () => {
    expect(
      hyp(
        { ...trace, "strace.dominant.syscall": "getppid", "strace.dominant.blocking": false },
        "syscall-heavy",
      ),
    ).toBeDefined();
    expect(
      verdict(
        { ...trace, "strace.dominant.syscall": "epoll_wait", "strace.dominant.blocking": true },
        "syscall-heavy",
      ),
    ).toBe("fine");
  });

  // A loop of rt_sigprocmask that never waits, as strace -c reports it.
  const spin = {
    "strace.source": "summary",
    "strace.total_calls": 56700,
    "strace.dominant.syscall": "rt_sigprocmask",
    "strace.dominant.share_pct": 100,
    "strace.dominant.by": "time",
    "strace.dominant.calls": 56700,
    "strace.dominant.blocking": false,
    "strace.dominant.returns_at_once": true,
    "strace.dominant.usecs_per_call": 2,
    "strace.waits": 0,
  };

  it("cpu-busy-loop: calls that return at once and never a wait are a spin, and explain the syscall count", () => {
    const r = run(spin, "cpu");
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["cpu-busy-loop", "syscall-heavy"]);
    expect(r.hypotheses[0].category).toBe("cpu-saturation");
    expect(r.hypotheses[1].explainedBy).toBe("cpu-busy-loop");
    expect(hyp({ ...spin, "proc.top_cpu.cpu_pct": 99 }, "cpu-busy-loop")?.confidence).toBeCloseTo(
      0.65,
    );
    // More system time than user time: the kernel takes the CPU, the spin is less likely.
    expect(
      hyp({ ...spin, "cpu.sys_pct": 60, "cpu.usr_pct": 20 }, "cpu-busy-loop")?.confidence,
    ).toBeCloseTo(0.35);
  });

  it("cpu-busy-loop: a call that costs time in the kernel, or a trace with waits, stays syscall-heavy", () => {
    const costly = {
      ...spin,
      "strace.dominant.syscall": "getrandom",
      "strace.dominant.returns_at_once": false,
      "strace.dominant.usecs_per_call": 1781,
    };
    expect(run(costly, "cpu").hypotheses.map((h) => h.rule)).toEqual(["syscall-heavy"]);
    expect(verdict(costly, "cpu-busy-loop")).toBe("fine");
    // A cheap call measured slow per call is doing work in the kernel.
    expect(verdict({ ...spin, "strace.dominant.usecs_per_call": 40 }, "cpu-busy-loop")).toBe(
      "fine",
    );
    // The process sleeps in wait4 between rounds: not a spin.
    expect(verdict({ ...spin, "strace.waits": 70 }, "cpu-busy-loop")).toBe("fine");
  });

  it("lock-contention needs failed futex waits, not futex time alone", () => {
    expect(
      verdict(
        {
          "strace.futex_pct": 90,
          "strace.futex_error_pct": 1,
          "perf.spinlock_pct": 0,
          "perf.futex_pct": 0,
          "perf.lock_pct": 0,
        },
        "lock-contention",
      ),
    ).toBe("fine");
    expect(
      hyp({ "strace.futex_pct": 90, "strace.futex_error_pct": 40 }, "lock-contention"),
    ).toBeDefined();
    expect(hyp({ "perf.spinlock_pct": 30, "perf.lock_pct": 34 }, "lock-contention")?.title).toMatch(
      /lock code takes 34 %/,
    );
  });

  it("lock-contention adds lock code up across kernel and user space", () => {
    // No single lock symbol dominates, but spin-lock slow path, futex code and the
    // allocator's lock functions together take a quarter of the samples.
    const f = {
      "perf.spinlock_pct": 8.4,
      "perf.futex_pct": 5.5,
      "perf.lock_pct": 25,
      "perf.kernel_pct": 54,
    };
    expect(hyp(f, "lock-contention")?.confidence).toBeCloseTo(0.6);
    expect(verdict({ ...f, "perf.lock_pct": 12 }, "lock-contention")).toBe("fine");
  });
});

describe("memory", () => {
  it("memory-oom on any OOM report, stronger with a kill", () => {
    const report = hyp({ "oom.events": 1, "oom.kills": 0 }, "memory-oom");
    expect(report?.title).toBe("The OOM killer ran");
    const kill = hyp(
      {
        "oom.events": 1,
        "oom.kills": 1,
        "oom.victim": "java",
        "oom.victim_pid": 7,
        "oom.victim_rss_kb": 900,
      },
      "memory-oom",
    );
    expect(kill?.title).toBe("The OOM killer ran and killed java (pid 7, 900 kB resident)");
    expect(kill?.confidence).toBeGreaterThan(report?.confidence ?? 1);
  });

  it("memory-leak needs growth across kills, and then explains the OOM", () => {
    const f = {
      "oom.events": 3,
      "oom.kills": 3,
      "oom.victim": "app",
      "oom.repeat_kills": 3,
      "oom.repeat_command": "app",
    };
    const r = run(
      { ...f, "oom.repeat_rss_rising": true, "oom.repeat_rss_growth_pct": 40 },
      "memory",
    );
    expect(r.hypotheses[0].category).toBe("memory-leak");
    expect(r.hypotheses.find((h) => h.rule === "memory-oom")?.explainedBy).toBe(
      "memory-leak-repeated-kills",
    );
    const flat = run({ ...f, "oom.repeat_rss_rising": false }, "memory");
    expect(flat.hypotheses[0].category).toBe("memory-oom");
  });

  // A machine-wide OOM whose task table shows one program holding nearly all of the memory.
  const dominant = {
    "oom.events": 1,
    "oom.kills": 1,
    "oom.victim": "db",
    "oom.top_task": "db",
    "oom.top_task_kb": 9_000_000,
    "oom.top_task_processes": 1,
    "oom.top_task_share_pct": 97,
    "oom.largest_process_share_pct": 97,
    "oom.table_tasks": 120,
    "oom.constraint": "global",
    "oom.at_cgroup_limit": false,
  };

  it("one program holding nearly all the memory with no cgroup limit is the leak, and explains the OOM", () => {
    const r = run(dominant, "memory");
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["memory-leak-dominant-task", "memory-oom"]);
    expect(r.hypotheses[0].title).toBe(
      "db held 97 % of the memory of the 120 tasks in the OOM report, with no cgroup limit to stop it: its memory grew without bound",
    );
    expect(r.hypotheses[0].confidence).toBeCloseTo(0.65);
    expect(r.hypotheses[1].explainedBy).toBe("memory-leak-dominant-task");
    // The runner-up rule stands aside rather than naming the same leak twice.
    expect(verdict(dominant, "memory-leak-suspect")).toBe("fine");
    // A report cut before its summary line says nothing of a limit: still the leak.
    const { "oom.constraint": _, "oom.at_cgroup_limit": __, ...cut } = dominant;
    expect(hyp(cut, "memory-leak-dominant-task")?.confidence).toBeCloseTo(0.55);
  });

  it("at a cgroup limit, over a pool of workers, with most but not nearly all, or one task listed, the leak is a runner-up", () => {
    const runnerUp = ["memory-oom", "memory-leak-suspect"];
    const atLimit = { ...dominant, "oom.constraint": "memcg", "oom.at_cgroup_limit": true };
    expect(run(atLimit, "memory").hypotheses.map((h) => h.rule)).toEqual(runnerUp);
    // Forty workers of one name at 2.4 % each: the pool is too large for the host.
    const pool = {
      ...dominant,
      "oom.top_task_processes": 40,
      "oom.largest_process_share_pct": 2.4,
    };
    expect(run(pool, "memory").hypotheses.map((h) => h.rule)).toEqual(runnerUp);
    const most = { ...dominant, "oom.top_task_share_pct": 70, "oom.largest_process_share_pct": 70 };
    expect(run(most, "memory").hypotheses.map((h) => h.rule)).toEqual(runnerUp);
    const alone = { ...dominant, "oom.table_tasks": 1, "oom.top_task_share_pct": 100 };
    expect(run(alone, "memory").hypotheses.map((h) => h.rule)).toEqual(runnerUp);
    expect(verdict(most, "memory-leak-dominant-task")).toBe("fine");
  });

  it("one big process with no task table to compare it with makes the leak a runner-up, not the answer", () => {
    const r = run(
      {
        "oom.events": 1,
        "oom.kills": 1,
        "oom.victim": "db",
        "oom.top_task": "db",
        "oom.top_task_share_pct": 90,
      },
      "memory",
    );
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["memory-oom", "memory-leak-suspect"]);
  });

  it("memory-leak from RSS growth over the window", () => {
    const f = {
      "proc.rss_growth.command": "node",
      "proc.rss_growth.pid": 9,
      "proc.rss_growth.pct": 12,
      "proc.rss_growth.kb_per_s": 2048,
      "proc.rss_growth.monotonic": true,
    };
    expect(hyp(f, "memory-leak-rss-growth")).toBeDefined();
    // A process warming up on a host with memory to spare is not a leak.
    expect(
      verdict(
        { ...f, "mem.available_pct": 70, "oom.events": 0, "psi.memory.some_avg10": 0 },
        "memory-leak-rss-growth",
      ),
    ).toBe("fine");
    expect(hyp({ ...f, "mem.available_pct": 8 }, "memory-leak-rss-growth")?.confidence).toBeCloseTo(
      0.65,
    );
    expect(verdict({ ...f, "proc.rss_growth.monotonic": false }, "memory-leak-rss-growth")).toBe(
      "fine",
    );
  });

  it("memory-oom-cgroup trusts kills since creation less", () => {
    const f = { "cgroup.memory.oom.cgroup": "/app", "cgroup.memory.oom.kills": 2 };
    expect(
      hyp({ ...f, "cgroup.memory.since_boot": false }, "memory-oom-cgroup")?.confidence,
    ).toBeCloseTo(0.65);
    expect(
      hyp({ ...f, "cgroup.memory.since_boot": true }, "memory-oom-cgroup")?.confidence,
    ).toBeCloseTo(0.45);
  });

  it("memory-oom-cgroup: kills since creation are history when the kernel log shows no OOM", () => {
    const f = {
      "cgroup.memory.oom.cgroup": "/app",
      "cgroup.memory.oom.kills": 2,
      "cgroup.memory.since_boot": true,
    };
    expect(verdict({ ...f, "oom.events": 0 }, "memory-oom-cgroup")).toBe("fine");
    expect(hyp({ ...f, "oom.events": 1 }, "memory-oom-cgroup")).toBeDefined();
    expect(
      hyp({ ...f, "cgroup.memory.since_boot": false, "oom.events": 0 }, "memory-oom-cgroup"),
    ).toBeDefined();
  });

  it("repeated kills without growth make the leak a runner-up", () => {
    const r = run(
      {
        "oom.events": 1,
        "oom.kills": 1,
        "oom.victim": "app",
        "oom.repeat_kills": 4,
        "oom.repeat_command": "app",
        "oom.repeat_rss_rising": false,
      },
      "memory",
    );
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["memory-oom", "memory-leak-suspect"]);
    expect(r.hypotheses[1].title).toBe(
      "app was killed 4 times when the OOM killer ran: a leak is possible (no growth seen)",
    );
  });

  it("memory-swap-thrash", () => {
    expect(
      hyp({ "mem.swap_in_kb_per_s": 4000, "mem.swap_out_kb_per_s": 3000 }, "memory-swap-thrash"),
    ).toBeDefined();
    expect(hyp({ "psi.memory.full_avg10": 25 }, "memory-swap-thrash")).toBeDefined();
    expect(
      verdict(
        { "mem.swap_in_kb_per_s": 0, "mem.swap_out_kb_per_s": 0, "psi.memory.full_avg10": 0 },
        "memory-swap-thrash",
      ),
    ).toBe("fine");
    const sinceBoot = hyp(
      {
        "mem.swap_in_kb_per_s": 4000,
        "mem.swap_out_kb_per_s": 3000,
        "mem.swap_io_since_boot": true,
      },
      "memory-swap-thrash",
    );
    expect(sinceBoot?.confidence).toBeCloseTo(0.3);
  });
});

describe("filesystems", () => {
  it("filesystem-full at 95 %, inode-exhaustion at 95 % inodes", () => {
    expect(
      hyp({ "fs.worst.mount": "/var", "fs.worst.use_pct": 100 }, "filesystem-full")?.confidence,
    ).toBeCloseTo(0.8);
    expect(verdict({ "fs.worst.use_pct": 70 }, "filesystem-full")).toBe("fine");
    expect(
      hyp({ "fs.worst_inodes.mount": "/", "fs.worst_inodes.iuse_pct": 97 }, "inode-exhaustion"),
    ).toBeDefined();
  });

  it("deleted-but-open files count when a filesystem is filling or df is unknown", () => {
    const f = {
      "fs.deleted_open.files": 2,
      "fs.deleted_open.log_files": 1,
      "fs.deleted_open.largest_path": "/var/log/app.log.1",
    };
    expect(hyp(f, "filesystem-deleted-open")?.confidence).toBeCloseTo(0.45);
    expect(
      hyp({ ...f, "fs.worst.use_pct": 97 }, "filesystem-deleted-open")?.confidence,
    ).toBeCloseTo(0.75);
    expect(verdict({ ...f, "fs.worst.use_pct": 30 }, "filesystem-deleted-open")).toBe("fine");
    expect(
      hyp(
        {
          "fs.deleted_open.files": 1,
          "fs.deleted_open.log_files": 0,
          "fs.deleted_open.bytes": 5e9,
          "fs.worst.use_pct": 99,
        },
        "filesystem-deleted-open",
      ),
    ).toBeDefined();
  });
});

describe("file descriptors", () => {
  it("fd-exhaustion-process says which limit to raise", () => {
    const f = {
      "fd.proc.pid": 812,
      "fd.proc.command": "router",
      "fd.proc.open": 1021,
      "fd.proc.soft_limit": 1024,
      "fd.proc.hard_limit": 4096,
      "fd.proc.use_pct": 99.7,
    };
    const soft = hyp(
      {
        ...f,
        "fd.capped_by_soft": true,
        "fd.capped_by_hard": false,
        "fd.capped_by_nr_open": false,
      },
      "fd-exhaustion-process",
    );
    expect(soft?.remediation[0]).toMatch(
      /^The soft limit caps it: raise it up to the hard limit 4096/,
    );
    const hard = hyp(
      {
        ...f,
        "fd.proc.hard_limit": 1024,
        "fd.capped_by_soft": false,
        "fd.capped_by_hard": true,
        "fd.capped_by_nr_open": false,
      },
      "fd-exhaustion-process",
    );
    expect(hard?.remediation[0]).toMatch(/^The hard limit caps it \(soft = hard = 1024\)/);
  });

  it("fd-limit-low: a default soft limit, unless the process is known to use little of it", () => {
    const f = {
      "fd.proc.soft_limit": 1024,
      "fd.proc.hard_limit": 524288,
      "fd.capped_by_soft": true,
    };
    expect(hyp(f, "fd-limit-low")?.confidence).toBeCloseTo(0.35);
    expect(verdict({ ...f, "fd.proc.use_pct": 3 }, "fd-limit-low")).toBe("fine");
    expect(verdict({ "fd.proc.soft_limit": 65536 }, "fd-limit-low")).toBe("fine");
  });

  it("fd-exhaustion-system and EMFILE errors", () => {
    expect(
      hyp(
        { "fd.system.used": 950, "fd.system.max": 1000, "fd.system.use_pct": 95 },
        "fd-exhaustion-system",
      ),
    ).toBeDefined();
    expect(hyp({ "strace.emfile": 12 }, "fd-emfile-errors")?.confidence).toBeCloseTo(0.8);
  });
});

describe("network", () => {
  const full = {
    "net.listen.worst.local": "0.0.0.0:443",
    "net.listen.worst.recv_q": 129,
    "net.listen.worst.backlog": 128,
    "net.listen.worst.queue_pct": 100.8,
  };

  it("network-listen-overflow advises somaxconn only when it is the cap", () => {
    const bySomax = hyp(
      {
        ...full,
        "sysctl.net_core_somaxconn": 128,
        "net.listen.capped_by_somaxconn": true,
        "net.listen.capped_by_application": false,
      },
      "network-listen-overflow",
    );
    expect(bySomax?.remediation[0]).toMatch(/equals net\.core\.somaxconn \(128\): raise somaxconn/);
    const byApp = hyp(
      {
        ...full,
        "sysctl.net_core_somaxconn": 4096,
        "net.listen.capped_by_somaxconn": false,
        "net.listen.capped_by_application": true,
      },
      "network-listen-overflow",
    );
    expect(byApp?.remediation[0]).toMatch(/raising somaxconn will not help/);
    expect(byApp?.remediation[0]).not.toMatch(/raise somaxconn \(sysctl/);
  });

  it("network-listen-overflow from counters over the window, weaker since boot", () => {
    expect(
      hyp(
        {
          "net.listen.overflows_per_s": 12,
          "net.listen.overflows": 60,
          "net.tcp.since_boot": false,
        },
        "network-listen-overflow",
      ),
    ).toBeDefined();
    expect(
      verdict(
        {
          "net.listen.overflows_per_s": 0,
          "net.listen.worst.queue_pct": 10,
          "net.tcp.since_boot": false,
          "net.listen.overflows": 0,
        },
        "network-listen-overflow",
      ),
    ).toBe("fine");
    expect(
      hyp({ "net.tcp.since_boot": true, "net.listen.overflows": 5000 }, "network-listen-overflow")
        ?.confidence,
    ).toBeCloseTo(0.35);
  });

  it("network-syn-flood from the socket table or the kernel log", () => {
    expect(
      hyp(
        {
          "net.sockets.syn_recv": 300,
          "net.sockets.syn_recv_peers": 290,
          "net.sockets.syn_recv_pct": 70,
        },
        "network-syn-flood",
      ),
    ).toBeDefined();
    expect(
      verdict(
        {
          "net.sockets.syn_recv": 300,
          "net.sockets.syn_recv_peers": 1,
          "net.sockets.syn_recv_pct": 70,
          "net.log.syn_flood": 0,
        },
        "network-syn-flood",
      ),
    ).toBe("fine");
    expect(hyp({ "net.log.syn_flood": 2 }, "network-syn-flood")).toBeDefined();
  });

  it("network-syn-flood: SYNs dropped with cookies off weigh more, and the advice says so", () => {
    const cookies = hyp(
      { "net.log.syn_flood": 2, "net.log.syn_flood_dropping": 0 },
      "network-syn-flood",
    )!;
    const dropping = hyp(
      { "net.log.syn_flood": 2, "net.log.syn_flood_dropping": 2 },
      "network-syn-flood",
    )!;
    expect(dropping.confidence).toBeGreaterThan(cookies.confidence);
    expect(dropping.remediation[0]).toMatch(
      /logged 2 dropped connection requests \("Dropping request", "drop open request"\): SYN cookies are off/,
    );
    expect(cookies.remediation[0]).toMatch(/^Keep SYN cookies on/);
  });

  it("an overflowing accept queue explains the retransmits it causes", () => {
    const r = run(
      { ...full, "net.tcp.retrans_pct": 7, "net.tcp.out_segs": 20000, "net.tcp.since_boot": false },
      "network",
    );
    expect(r.hypotheses[0].rule).toBe("network-listen-overflow");
    expect(r.hypotheses.find((h) => h.rule === "network-retransmits-loss")?.explainedBy).toBe(
      "network-listen-overflow",
    );
  });

  it("network-retransmits-loss", () => {
    expect(
      hyp(
        { "net.tcp.retrans_pct": 3, "net.tcp.out_segs": 50000, "net.tcp.since_boot": false },
        "network-retransmits-loss",
      ),
    ).toBeDefined();
    expect(
      verdict(
        { "net.tcp.retrans_pct": 0.1, "net.tcp.out_segs": 50000 },
        "network-retransmits-loss",
      ),
    ).toBe("fine");
  });

  it("ephemeral-port-exhaustion from connect errors, bind errors or the socket table", () => {
    expect(
      hyp({ "strace.connect_eaddrnotavail": 40 }, "ephemeral-port-exhaustion")?.confidence,
    ).toBeCloseTo(0.75);
    expect(
      hyp({ "strace.bind_port0_eaddrinuse": 1 }, "ephemeral-port-exhaustion")?.confidence,
    ).toBeCloseTo(0.75);
    // bind() to a fixed port that is taken says nothing about the ephemeral range.
    expect(
      hyp(
        { "strace.bind_eaddrinuse": 1, "strace.bind_port0_eaddrinuse": 0 },
        "ephemeral-port-exhaustion",
      ),
    ).toBeUndefined();
    const table = hyp(
      {
        "net.sockets.top_dest": "10.0.0.5:5432",
        "net.sockets.top_dest_sockets": 27000,
        "net.sockets.top_dest_pct_of_ports": 96,
        "net.sockets.time_wait": 30000,
        "sysctl.ip_local_port_count": 28232,
      },
      "ephemeral-port-exhaustion",
    );
    expect(table?.title).toBe(
      "Outgoing connections run out of local ports: 27000 sockets to 10.0.0.5:5432",
    );
    expect(table?.confidence).toBeCloseTo(0.75);
  });

  it("tcp-memory-pressure", () => {
    expect(
      hyp(
        {
          "net.tcp.mem_pages": 200000,
          "net.tcp.mem_pct_of_pressure": 110,
          "net.tcp.mem_pct_of_max": 80,
        },
        "tcp-memory-pressure",
      ),
    ).toBeDefined();
    expect(hyp({ "net.log.tcp_oom": 3 }, "tcp-memory-pressure")).toBeDefined();
  });

  it("nic-drops over the window, and since load at lower confidence", () => {
    expect(
      hyp(
        {
          "nic.worst.interface": "eth0",
          "nic.worst.counter": "rx_missed_errors",
          "nic.worst.value": 500,
          "nic.rx_drops": 500,
          "nic.rx_drops_per_s": 100,
          "nic.since_boot": false,
        },
        "nic-drops",
      )?.title,
    ).toMatch(/^eth0 drops/);
    expect(
      hyp(
        { "nic.worst.counter": "rx_missed_errors", "nic.rx_drops": 50000, "nic.since_boot": true },
        "nic-drops",
      )?.confidence,
    ).toBeCloseTo(0.35);
    expect(verdict({ "nic.rx_drops": 20, "nic.since_boot": true }, "nic-drops")).toBe("fine");
  });

  it("close-wait-leak ignores sockets caught on their way to close()", () => {
    expect(
      verdict(
        {
          "net.sockets.close_wait": 3,
          "net.sockets.close_wait_unread": 2,
          "net.sockets.close_wait_idle_s": 0.2,
        },
        "close-wait-leak",
      ),
    ).toBe("fine");
    expect(
      hyp(
        {
          "net.sockets.close_wait": 3,
          "net.sockets.close_wait_unread": 2,
          "net.sockets.close_wait_idle_s": 400,
        },
        "close-wait-leak",
      ),
    ).toBeDefined();
    expect(
      hyp({ "net.sockets.close_wait": 3, "net.sockets.close_wait_unread": 2 }, "close-wait-leak"),
    ).toBeDefined();
  });

  it("close-wait-leak", () => {
    expect(
      hyp({ "net.sockets.close_wait": 350, "net.sockets.close_wait_unread": 0 }, "close-wait-leak")
        ?.category,
    ).toBe("other");
    expect(
      verdict(
        {
          "net.sockets.close_wait": 2,
          "net.sockets.close_wait_unread": 0,
          "net.sockets.close_wait_idle_s": 1,
        },
        "close-wait-leak",
      ),
    ).toBe("fine");
  });
});

describe("conntrack", () => {
  it("conntrack-full at the limit", () => {
    expect(
      hyp(
        { "conntrack.count": 262000, "conntrack.max": 262144, "conntrack.used_pct": 99.9 },
        "conntrack-full",
      )?.confidence,
    ).toBeCloseTo(0.75);
  });

  it("insert failures without drops are the clash race (kernel-bug), not a full table", () => {
    const f = {
      "conntrack.insert_failed": 500,
      "conntrack.drop": 0,
      "conntrack.early_drop": 0,
      "conntrack.used_pct": 2,
      "conntrack.since_boot": false,
    };
    const r = run(f, "latency");
    expect(r.hypotheses[0].rule).toBe("conntrack-insert-race");
    expect(r.hypotheses.some((h) => h.rule === "conntrack-full")).toBe(false);
    expect(verdict({ ...f, "conntrack.drop": 40 }, "conntrack-insert-race")).toBe("fine");
  });

  it("a full-table message with an empty table contradicts the resource story", () => {
    const r = run(
      {
        "net.log.conntrack_full": 5,
        "conntrack.used_pct": 3,
        "conntrack.count": 800,
        "conntrack.max": 262144,
      },
      "network",
    );
    expect(r.hypotheses.find((h) => h.rule === "conntrack-full-contradiction")).toBeDefined();
    expect(r.hypotheses.find((h) => h.rule === "conntrack-full")?.confidence).toBeCloseTo(0.45);
  });
});

describe("kernel log", () => {
  it("dirty-writeback-stall explains hung tasks in writeback", () => {
    const r = run(
      {
        "hung.tasks": 2,
        "hung.task": "jbd2/sda1-8",
        "hung.blocked_s": 120,
        "hung.in_writeback": 1,
        "hung.on_network_fs": 0,
      },
      "hang",
    );
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["dirty-writeback-stall", "hung-task"]);
    expect(r.hypotheses[1].explainedBy).toBe("dirty-writeback-stall");
  });

  it("dirty pages at the limit with blocked tasks, no hung-task report needed", () => {
    expect(
      hyp(
        { "mem.dirty_pct_of_limit": 98, "cpu.blocked": 6, "hung.tasks": 0, "hung.in_writeback": 0 },
        "dirty-writeback-stall",
      ),
    ).toBeDefined();
    expect(
      verdict(
        {
          "mem.dirty_pct_of_limit": 98,
          "cpu.blocked": 0,
          "hung.tasks": 0,
          "hung.in_writeback": 0,
          "psi.io.full_avg10": 0,
        },
        "dirty-writeback-stall",
      ),
    ).toBe("fine");
  });

  it("hung-task alone when nothing explains it", () => {
    const r = run(
      {
        "hung.tasks": 1,
        "hung.task": "objcopy",
        "hung.blocked_s": 120,
        "hung.in_writeback": 0,
        "hung.on_network_fs": 1,
        "nfs.not_responding": 2,
        "nfs.recovered": true,
      },
      "latency",
    );
    expect(r.hypotheses.map((h) => h.rule)).toEqual(["hung-task"]);
  });

  it("an NFS server that never came back explains the hung tasks", () => {
    const r = run(
      {
        "hung.tasks": 1,
        "hung.task": "cp",
        "hung.in_writeback": 0,
        "hung.on_network_fs": 1,
        "nfs.not_responding": 3,
        "nfs.server": "filer",
        "nfs.recovered": false,
      },
      "hang",
    );
    expect(r.hypotheses[0].rule).toBe("nfs-server-unresponsive");
    expect(r.hypotheses[1].explainedBy).toBe("nfs-server-unresponsive");
  });

  it("kernel-bug-signature weighs oopses above warnings", () => {
    const oops = hyp(
      {
        "kernel.bug_events": 1,
        "kernel.bug_signatures": ["oops"],
        "kernel.bug_line": "BUG: kernel NULL pointer dereference",
      },
      "kernel-bug-signature",
    );
    const warn = hyp(
      {
        "kernel.bug_events": 1,
        "kernel.bug_signatures": ["warning"],
        "kernel.bug_line": "WARNING: CPU: 1 PID: 2",
      },
      "kernel-bug-signature",
    );
    expect(oops?.confidence).toBeGreaterThan(warn?.confidence ?? 1);
    expect(oops?.title).toBe("The kernel logged a bug signature (oops)");
  });

  it("hardware-mce, stronger for uncorrected errors", () => {
    expect(
      hyp({ "mce.events": 3, "mce.corrected": 3, "mce.uncorrected": 0 }, "hardware-mce")
        ?.confidence,
    ).toBeCloseTo(0.6);
    expect(
      hyp({ "mce.events": 1, "mce.corrected": 0, "mce.uncorrected": 1 }, "hardware-mce")
        ?.confidence,
    ).toBeCloseTo(0.9);
  });

  it("clock-skew, and a slow clocksource explains time-call-heavy profiles", () => {
    expect(
      hyp(
        { "clock.unstable": "tsc", "clock.current": "hpet", "clock.slow": true },
        "clocksource-unstable",
      )?.title,
    ).toBe("The clocksource is unreliable: the kernel marked tsc unstable and uses hpet");
    expect(verdict({ "clock.current": "tsc", "clock.slow": false }, "clocksource-unstable")).toBe(
      "fine",
    );
    const r = run(
      {
        "clock.current": "hpet",
        "clock.slow": true,
        "perf.clock_gettime_pct": 40,
        "strace.total_calls": 900,
        "strace.dominant.syscall": "clock_gettime",
        "strace.dominant.share_pct": 90,
        "strace.dominant.blocking": false,
      },
      "cpu",
    );
    expect(r.hypotheses[0].rule).toBe("clocksource-slow-gettime");
    expect(r.hypotheses.find((h) => h.rule === "syscall-heavy")?.explainedBy).toBe(
      "clocksource-slow-gettime",
    );
  });
});

describe("tasks", () => {
  it("pids-exhaustion in a cgroup or system-wide", () => {
    expect(
      hyp(
        {
          "cgroup.pids.worst.cgroup": "/system.slice/docker.service",
          "cgroup.pids.worst.current": 4915,
          "cgroup.pids.worst.max": 4915,
          "cgroup.pids.worst.usage_pct": 100,
          "cgroup.pids.worst.refused": 12,
        },
        "pids-exhaustion-cgroup",
      )?.confidence,
    ).toBeCloseTo(0.8);
    expect(
      hyp(
        {
          "pids.system.threads": 31000,
          "pids.system.pid_max_pct": 95,
          "pids.system.threads_max_pct": 20,
        },
        "pids-exhaustion-system",
      ),
    ).toBeDefined();
  });
});

describe("not evaluated is not fine", () => {
  it("names the missing collector", () => {
    const r = run({}, "health", new Set());
    const c = r.checked.find((x) => x.rule === "disk-saturation");
    expect(c).toMatchObject({
      verdict: "not-evaluated",
      why: "needs output of iostat or diskstats, which is missing",
    });
  });

  it("names the missing facts when the collector ran but said nothing useful", () => {
    const r = run({ "disk.worst.util_pct": 99 }, "health", new Set(["iostat"]));
    const c = r.checked.find((x) => x.rule === "disk-saturation");
    expect(c?.verdict).toBe("not-evaluated");
    expect(c?.why).toMatch(/no value for disk\.worst\.aqu_sz/);
  });
});

describe("checked and fine, in words", () => {
  const why = (flat: Record<string, FactValue>, rule: string) =>
    run(flat).checked.find((c) => c.rule === rule)?.why;

  it("says each fact once, in its words, with its unit and the threshold it missed", () => {
    // fd-limit-low: `use_pct exists: false` or `use_pct >= 50`; both missed on one value.
    expect(why({ "fd.proc.soft_limit": 1024, "fd.proc.use_pct": 3.42 }, "fd-limit-low")).toBe(
      "open files at 3.42 % of the limit (rule: >= 50 %)",
    );
  });

  it("says a boolean's state, never as a contradiction with the rule", () => {
    const text = why(
      {
        "cgroup.memory.oom.kills": 0,
        "cgroup.memory.since_boot": true,
        "oom.events": 0,
      },
      "memory-oom-cgroup",
    );
    expect(text).toBe(
      "0 OOM kills counted by the cgroups (rule: >= 1); cgroup OOM kills counted since each cgroup was created (one reading); 0 OOM-killer runs in the kernel log (rule: >= 1)",
    );
    expect(text).not.toMatch(/holds only while|== false|is true/);
  });

  it("says every fact a packaged rule's condition reads, not its path", () => {
    // Without `says` a fine line shows the fact's path (`psi.cpu.some_pct is 1.7 %`).
    const specs = new Map(FACT_CATALOGUE.map((f) => [f.path, f]));
    const read = new Set(
      runbooks.flatMap((r) =>
        comparisonsOf(r.when).flatMap((c) => [
          c.fact,
          ...(isFactRef(c.value) ? [c.value.fact] : []),
        ]),
      ),
    );
    expect([...read].filter((p) => specs.get(p)?.says === undefined)).toEqual([]);
  });

  it("says PSI cpu some over the window, a sysctl and a listener's cap in words", () => {
    expect(
      why({ "psi.cpu.some_pct": 1.7, "cpu.idle_pct": 38.78 }, "run-queue-wait-cpus-idle"),
    ).toBe("some task waited for a CPU 1.7 % of the window (PSI some) (rule: >= 10 %)");
    expect(why({ "sysctl.kernel_pid_max": 4194304 }, "pid-max-low")).toBe(
      "kernel.pid_max = 4194304 (rule: < 32768)",
    );
    expect(
      why(
        { "net.listen.capped_by_somaxconn": false, "sysctl.net_core_somaxconn": 4096 },
        "somaxconn-caps-backlog",
      ),
    ).toBe(
      "the fullest accept queue's backlog is the application's, below net.core.somaxconn; net.core.somaxconn = 4096 (rule: < 4096)",
    );
  });

  it("every `says` phrase of the catalogue places the value once, and booleans say both states", () => {
    for (const f of FACT_CATALOGUE) {
      if (f.says === undefined) continue;
      if (f.type === "boolean") expect(typeof f.says, f.path).toBe("object");
      else if (typeof f.says === "string" && f.type === "number")
        expect(f.says.split("{}").length, f.path).toBe(2);
    }
  });
});
