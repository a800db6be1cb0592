import { beforeAll, describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import type { DerivedFacts, ParsedEntry } from "../../src/derive/types.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import type { Symptom } from "../../src/model/report.js";
import { linesOf } from "../../src/parsers/lines.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { loadParser } from "../../src/sources/index.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";

/**
 * A cause against the symptom it produces, from outputs through the real parsers, derive and
 * the packaged rules: a leak against the OOM kill it ends in (OOM reports written from the
 * kernel's format strings, mm/oom_kill.c 5.4-6.5), and a busy loop against the system calls it
 * makes (strace outputs recorded on a Debian 12 VM, test/fixtures/MANIFEST.tsv).
 */

let runbooks: Runbook[];
beforeAll(() => {
  runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;
});

async function derived(outputs: Record<string, string>): Promise<DerivedFacts> {
  const parsed = new Map<string, ParsedEntry>();
  for (const [id, text] of Object.entries(outputs)) {
    const parser = await loadParser(id);
    if (!parser) throw new Error(`no parser for ${id}`);
    parsed.set(id, { facts: parser(linesOf(text)).facts });
  }
  return derive(parsed, { windowSeconds: undefined });
}

async function ranked(outputs: Record<string, string>, symptom: Symptom) {
  const d = await derived(outputs);
  return evaluateRunbooks(runbooks, d, new Set(Object.keys(outputs)), symptom);
}

function fact(d: DerivedFacts, path: string): unknown {
  let node: unknown = d.tree;
  for (const k of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[k];
  return node;
}

/** mm/oom_kill.c dump_task (4.19-6.5): `[%7d] %5d %5d %8lu %8lu %8ld %8lu         %5hd %s`, in pages. */
function taskRow(
  t: number,
  task: [number, number, number, number, number, number, string],
): string {
  const [pid, uid, vm, rss, swap, adj, name] = task;
  const pgtables = Math.round(vm / 100) * 8;
  return `[${t.toFixed(6)}] [${String(pid).padStart(7)}] ${String(uid).padStart(5)} ${String(pid).padStart(5)} ${String(vm).padStart(8)} ${String(rss).padStart(8)} ${String(pgtables).padStart(8)} ${String(swap).padStart(8)}         ${String(adj).padStart(5)} ${name}`;
}

type Task = Parameters<typeof taskRow>[1];

/** A whole OOM report: headline, task table, the oom-kill summary and the kill line of its largest task. */
function oomReport(t: number, tasks: Task[], memcg?: string): string {
  const victim = [...tasks].sort((a, b) => b[3] + b[4] - (a[3] + a[4]))[0];
  const [pid, uid, vm, rss, , adj, name] = victim;
  const where = memcg
    ? `constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=${memcg},task_memcg=${memcg}`
    : "constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service";
  const stamp = `[${t.toFixed(6)}]`;
  return [
    `${stamp} ${name} invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=${adj}`,
    ...(memcg
      ? [`${stamp} memory: usage ${rss * 4 + 8192}kB, limit ${rss * 4 + 8192}kB, failcnt 5120`]
      : []),
    `${stamp} Tasks state (memory values in pages):`,
    `${stamp} [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name`,
    ...tasks.map((task) => taskRow(t, task)),
    `${stamp} oom-kill:${where},task=${name},pid=${pid},uid=${uid}`,
    `${stamp} ${memcg ? "Memory cgroup out of memory" : "Out of memory"}: Killed process ${pid} (${name}) total-vm:${vm * 4}kB, anon-rss:${rss * 4}kB, file-rss:0kB, shmem-rss:0kB, UID:${uid} pgtables:${Math.round(vm / 100) * 8}kB oom_score_adj:${adj}`,
  ].join("\n");
}

/** The small tasks of any host: pid, uid, total_vm, rss, swapents, oom_score_adj, name. */
const SYSTEM: Task[] = [
  [1, 0, 42000, 3100, 0, 0, "systemd"],
  [412, 0, 12345, 1200, 0, -250, "systemd-journal"],
  [870, 0, 4321, 600, 0, -1000, "sshd"],
  [901, 104, 55000, 2400, 120, 0, "rsyslogd"],
];

describe("a leak against the OOM kill it ends in", () => {
  it("one program holding nearly all RAM and swap at a machine-wide OOM is the leak", async () => {
    const java: Task = [2211, 1001, 2_100_000, 1_900_000, 480_000, 0, "java"];
    const log = oomReport(8000, [...SYSTEM, java]);
    const d = await derived({ dmesg: log });
    expect(fact(d, "oom.top_task")).toBe("java");
    expect(fact(d, "oom.table_tasks")).toBe(5);
    // (1 900 000 + 480 000) pages of java against 7 420 pages of the rest.
    expect(fact(d, "oom.top_task_share_pct")).toBeCloseTo(99.7, 1);
    expect(fact(d, "oom.constraint")).toBe("global");
    const { hypotheses } = await ranked({ dmesg: log }, "memory");
    expect(hypotheses.map((h) => h.rule)).toEqual(["memory-leak-dominant-task", "memory-oom"]);
    expect(hypotheses[0].category).toBe("memory-leak");
  });

  it("a few processes of one program count together", async () => {
    const workers: Task[] = [3001, 3002, 3003].map((pid) => [
      pid,
      1000,
      900_000,
      600_000,
      300_000,
      0,
      "ingest",
    ]);
    const d = await derived({ dmesg: oomReport(8000, [...SYSTEM, ...workers]) });
    expect(fact(d, "oom.top_task_processes")).toBe(3);
    expect(fact(d, "oom.largest_process_share_pct")).toBeCloseTo(33.2, 1);
    const { hypotheses } = await ranked(
      { dmesg: oomReport(8000, [...SYSTEM, ...workers]) },
      "memory",
    );
    expect(hypotheses[0].rule).toBe("memory-leak-dominant-task");
  });

  it("the same table at a cgroup limit is memory-oom: the limit may be below the program's size", async () => {
    const java: Task = [2211, 1001, 2_100_000, 1_900_000, 0, 0, "java"];
    const log = oomReport(8000, [[2200, 1001, 3000, 400, 0, 0, "sh"], java], "/kubepods/pod1");
    const d = await derived({ dmesg: log });
    expect(fact(d, "oom.at_cgroup_limit")).toBe(true);
    const { hypotheses } = await ranked({ dmesg: log }, "memory");
    expect(hypotheses.map((h) => h.rule)).toEqual(["memory-oom", "memory-leak-suspect"]);
  });

  it("memory spread over a pool of 30 workers is memory-oom, the share counted over every row", async () => {
    const pool: Task[] = Array.from({ length: 30 }, (_, i) => [
      5000 + i,
      33,
      120_000,
      70_000 + i * 100,
      5_000,
      0,
      "php-fpm",
    ]);
    const log = oomReport(8000, [...SYSTEM, ...pool]);
    const d = await derived({ dmesg: log });
    expect(fact(d, "oom.table_tasks")).toBe(34);
    // The parser keeps 20 rows; the total is over all 34.
    expect(fact(d, "oom.top_task_processes")).toBe(20);
    expect(fact(d, "oom.largest_process_share_pct")).toBeLessThan(5);
    const { hypotheses } = await ranked({ dmesg: log }, "memory");
    expect(hypotheses[0].rule).toBe("memory-oom");
    expect(hypotheses.some((h) => h.rule === "memory-leak-dominant-task")).toBe(false);
  });
});

describe("a busy loop against the system calls it makes", () => {
  const spinTrace = readFixture("strace/vm-debian12-k6.18__strace-spin-sigprocmask.txt");
  const spinSummary = readFixture("strace/vm-debian12-k6.18__strace-c-spin-sigprocmask.txt");

  it("a trace of rt_sigprocmask with no wait is a spin: cpu-saturation before syscall-heavy", async () => {
    const d = await derived({ strace: spinTrace });
    expect(fact(d, "strace.waits")).toBe(0);
    expect(fact(d, "strace.dominant.returns_at_once")).toBe(true);
    // A plain trace gives no system time per call.
    expect(fact(d, "strace.dominant.usecs_per_call")).toBeUndefined();
    const { hypotheses } = await ranked({ strace: spinTrace }, "cpu");
    expect(hypotheses.map((h) => h.rule)).toEqual(["cpu-busy-loop", "syscall-heavy"]);
    expect(hypotheses[1].explainedBy).toBe("cpu-busy-loop");
  });

  it("strace -c of the same loop: 2 µs of system time per call", async () => {
    const d = await derived({ strace: spinSummary });
    expect(fact(d, "strace.dominant.usecs_per_call")).toBe(2);
    const { hypotheses } = await ranked({ strace: spinSummary }, "cpu");
    expect(hypotheses[0].rule).toBe("cpu-busy-loop");
    expect(hypotheses[0].category).toBe("cpu-saturation");
  });

  it("a loop of getrandom(1 MiB), 1781 µs of system time a call, is syscall-heavy", async () => {
    const out = readFixture("strace/vm-debian12-k6.18__strace-c-getrandom.txt");
    const d = await derived({ strace: out });
    expect(fact(d, "strace.dominant.syscall")).toBe("getrandom");
    expect(fact(d, "strace.dominant.usecs_per_call")).toBe(1781);
    const { hypotheses, checked } = await ranked({ strace: out }, "cpu");
    expect(hypotheses.map((h) => h.rule)).toEqual(["syscall-heavy"]);
    expect(checked.find((c) => c.rule === "cpu-busy-loop")?.verdict).toBe("fine");
  });

  it("a shell that waits for its children in wait4 is no spin", async () => {
    const out = readFixture("strace/vm-debian12-k6.18__strace-c.txt");
    const d = await derived({ strace: out });
    // wait4 ×70, read ×285, pread64 ×68.
    expect(fact(d, "strace.waits")).toBe(423);
    const { checked } = await ranked({ strace: out }, "cpu");
    expect(checked.find((c) => c.rule === "cpu-busy-loop")?.verdict).toBe("fine");
  });
});
