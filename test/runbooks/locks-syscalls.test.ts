import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";

/**
 * Lock contention and system-call-heavy work on parsed outputs, replayed as small bundles:
 * `strace -c -f` summaries in the layout the strace collector recorded on the Debian VM
 * (test/fixtures/strace/vm-debian12-k6.18__strace-c-f-collector.txt: strace's count.c columns
 * `% time  seconds  usecs/call  calls  errors syscall`, every figure consistent with the others),
 * `perf report --stdio --no-children --sort comm,dso,sym` in the perf-report collector's layout
 * (test/fixtures/perf-report/vm-debian12-k6.18__perf-report.txt), and `vmstat 1 4` in
 * procps-ng's layout.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(files: Record<string, string>, symptom: Symptom) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-locks-"));
  dirs.push(dir);
  for (const [id, text] of Object.entries(files)) writeFileSync(join(dir, `${id}.out`), text);
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

/** One row of strace -c: `%6.2f %11.6f %11lu %9u %9.u %s` (strace src/count.c). */
type Row = [pct: number, seconds: number, calls: number, errors: number, syscall: string];

/** A `strace -c -f -p PID` summary of a process with `threads` threads, rows as given. */
function straceC(threads: number, rows: Row[]): string {
  const line = ([pct, s, calls, errors, name]: Row) =>
    `${pct.toFixed(2).padStart(6)} ${s.toFixed(6).padStart(11)} ${String(Math.round((s * 1e6) / calls)).padStart(11)} ${String(calls).padStart(9)} ${(errors ? String(errors) : "").padStart(9)} ${name}`;
  const total: Row = [
    100,
    rows.reduce((a, r) => a + r[1], 0),
    rows.reduce((a, r) => a + r[2], 0),
    rows.reduce((a, r) => a + r[3], 0),
    "total",
  ];
  const rule = "------ ----------- ----------- --------- --------- ----------------";
  return [
    `/usr/bin/strace: Process 31204 attached with ${threads} threads`,
    "/usr/bin/strace: Process 31204 detached",
    "% time     seconds  usecs/call     calls    errors syscall",
    rule,
    ...rows.map(line),
    rule,
    line(total),
    "",
  ].join("\n");
}

/**
 * 16 worker threads handing one mutex around: futex takes 88 % of the system time and a third
 * of the waits fail (EAGAIN: the lock word changed before the waiter slept).
 */
const CONTENDED: Row[] = [
  [88.12, 3.912044, 114211, 41822, "futex"],
  [6.3, 0.27968, 25021, 0, "read"],
  [3.91, 0.17358, 12010, 0, "write"],
  [1.67, 0.074139, 12010, 0, "epoll_wait"],
];

/** A `perf report` in the collector's layout: rows [pct, comm, dso, kernel?, symbol]. */
function perfReport(samples: number, rows: [number, string, string, boolean, string][]): string {
  const body = rows.flatMap(([pct, comm, dso, k, sym]) => [
    `${pct.toFixed(2).padStart(9)}%  ${comm.padEnd(15)}  ${dso.padEnd(20)}  [${k ? "k" : "."}] ${sym}`,
    "            |",
    `            ---${sym}`,
    "",
  ]);
  return [
    "# To display the perf.data header info, please use --header/--header-only options.",
    "#",
    "#",
    "# Total Lost Samples: 0",
    "#",
    `# Samples: ${samples}  of event 'cpu-clock:pppH'`,
    `# Event count (approx.): ${samples * 10101010}`,
    "#",
    "# Overhead  Command          Shared Object         Symbol",
    "# ........  ...............  ....................  ......",
    "#",
    ...body,
    "",
    "#",
    "# (Tip: Use parent filter to see specific call path: perf report -p <regex>)",
    "#",
    "",
  ].join("\n");
}

/** Threads of `worker` spinning on the futex hash-bucket lock, with the mutex code in libc. */
const SPINNING = perfReport(1988, [
  [31.4, "worker", "[kernel.kallsyms]", true, "native_queued_spin_lock_slowpath"],
  [9.3, "worker", "libc.so.6", false, "__lll_lock_wait"],
  [6.2, "worker", "[kernel.kallsyms]", true, "futex_wait_setup"],
  [5.8, "worker", "worker", false, "process_batch"],
  [4.1, "worker", "[kernel.kallsyms]", true, "_raw_spin_lock"],
  [3.9, "swapper", "[kernel.kallsyms]", true, "pv_native_safe_halt"],
]);

describe("threads fight over locks (lock-contention)", () => {
  it("strace -c: futex 88 % of the system time with 37 % of the waits failed", async () => {
    const r = await replay({ strace: straceC(17, CONTENDED) }, "latency");
    const h = r.hypotheses.find((x) => x.rule === "lock-contention");
    expect(h?.category).toBe("lock-contention");
    expect(h?.title).toBe(
      "Threads contend for locks: futex takes 88.12 % of the traced system calls",
    );
    // 0.55, + 0.1 with 30 % or more of the waits failed.
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    expect(h?.evidence.find((e) => e.fact === "strace.futex_error_pct")).toMatchObject({
      value: 36.62,
      excerpt: "88.12 3.912044 34 114211 41822 futex",
    });
  });

  it("perf: a third of the CPU samples in the spin-lock slow path", async () => {
    const r = await replay({ "perf-report": SPINNING }, "latency");
    const h = r.hypotheses.find((x) => x.rule === "lock-contention");
    expect(h?.title).toBe("Threads contend for locks: lock code takes 51 % of CPU samples");
    // 0.55, + 0.15 (spin-lock slow path ≥ 25 %), + 0.1 (lock code ≥ 30 %), + 0.05 (kernel ≥ 40 %).
    expect(h?.confidence).toBeCloseTo(0.85, 5);
  });

  it("is quiet for futex waits that sleep without failing (an idle pool), and for the VM's own trace", async () => {
    const idle = await replay(
      {
        strace: straceC(9, [
          [94.8, 0.01422, 310, 0, "futex"],
          [5.2, 0.00078, 52, 0, "epoll_wait"],
        ]),
      },
      "latency",
    );
    expect(idle.checked.find((c) => c.rule === "lock-contention")?.verdict).toBe("fine");
    // futex 12.75 % of the time, 396 of 2906 failed: a sleeping loop with a timer thread.
    const vm = await replay(
      { strace: readFixture("strace/vm-debian12-k6.18__strace-c-f-collector.txt") },
      "latency",
    );
    expect(vm.checked.find((c) => c.rule === "lock-contention")?.verdict).toBe("fine");
    const perf = await replay(
      { "perf-report": readFixture("perf-report/vm-debian12-k6.18__perf-report.txt") },
      "latency",
    );
    expect(perf.checked.find((c) => c.rule === "lock-contention")?.verdict).toBe("fine");
  });
});

/**
 * `vmstat 1 4` (procps-ng layout: since-boot line, then one line a second) with the given
 * user and system shares in each interval line; `cs` context switches a second.
 */
function vmstat(us: number, sy: number, cs = 4100): string {
  const line = ` 4  0      0 24232596   3488 351580    0    0     0     8 2210 ${String(cs).padStart(5)} ${us} ${sy} ${100 - us - sy}  0  0`;
  return [
    "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----",
    " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st",
    " 1  0      0 24232596   3488 351580    0    0  1193  1889  559 1456 14  8 77  0  0",
    line,
    line,
    line,
    "",
  ].join("\n");
}

describe("futex burning system time while the host is in the kernel (lock-contention-futex-system-time)", () => {
  it("futex 88 % of the traced system time with the CPUs 46 % in the kernel", async () => {
    const r = await replay(
      { strace: straceC(17, CONTENDED), vmstat: vmstat(21, 46, 182000) },
      "latency",
    );
    const h = r.hypotheses.find((x) => x.rule === "lock-contention-futex-system-time");
    expect(h?.category).toBe("lock-contention");
    expect(h?.title).toBe(
      "futex takes 88.12 % of the traced processes' system time while the CPUs spend 46 % of their time in the kernel: threads hand locks back and forth",
    );
    // 0.5, + 0.1 (a third of the waits failed), + 0.1 (system time ≥ 40 %).
    expect(h?.confidence).toBeCloseTo(0.7, 5);
    expect(h?.evidence.find((e) => e.fact === "cpu.sys_pct")?.collector).toBe("vmstat");
  });

  it("counts futex waits that succeed: a handed-over mutex sleeps and is woken without failing", async () => {
    const handoff: Row[] = [
      [71.3, 1.412006, 60210, 0, "futex"],
      [28.7, 0.568361, 30105, 0, "write"],
    ];
    const r = await replay({ strace: straceC(33, handoff), vmstat: vmstat(30, 28) }, "latency");
    expect(
      r.hypotheses.find((x) => x.rule === "lock-contention-futex-system-time")?.confidence,
    ).toBeCloseTo(0.5, 5);
    // Without failed waits the trace alone does not say contention.
    expect(r.checked.find((c) => c.rule === "lock-contention")?.verdict).toBe("fine");
  });

  it("is quiet when the kernel is not busy (an idle pool), and without CPU figures", async () => {
    const idle = await replay({ strace: straceC(17, CONTENDED), vmstat: vmstat(6, 3) }, "latency");
    expect(idle.checked.find((c) => c.rule === "lock-contention-futex-system-time")?.verdict).toBe(
      "fine",
    );
    const alone = await replay({ strace: straceC(17, CONTENDED) }, "latency");
    expect(alone.checked.find((c) => c.rule === "lock-contention-futex-system-time")?.verdict).toBe(
      "not-evaluated",
    );
  });
});

describe("one system call takes the kernel time (syscall-heavy-system-time)", () => {
  const getrandom = readFixture("strace/vm-debian12-k6.18__strace-c-getrandom.txt");

  it("getrandom of 1 MiB, 1781 µs a call, with the CPUs 62 % in the kernel", async () => {
    const r = await replay({ strace: getrandom, vmstat: vmstat(12, 62) }, "cpu");
    const h = r.hypotheses.find((x) => x.rule === "syscall-heavy-system-time");
    expect(h?.category).toBe("syscall-heavy");
    expect(h?.title).toBe(
      "The CPUs spend 62 % of their time in the kernel, and getrandom takes 100 % of the traced system calls",
    );
    // 0.55, + 0.1 (system time ≥ 40 %), + 0.1 (one call ≥ 80 % of the time).
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    expect(h?.evidence.find((e) => e.fact === "cpu.sys_pct")?.value).toBe(62);
    expect(h?.evidence.map((e) => e.excerpt)).toEqual([
      "100 0.463191 1781 260 getrandom",
      "100 0.463191 1781 260 getrandom",
      "100 0.463191 1781 260 getrandom",
      "vmstat means: us 12 sy 62 id 26 wa 0 st 0",
    ]);
    // The trace-only finding stays, with its own confidence raised by the system time.
    expect(r.hypotheses.find((x) => x.rule === "syscall-heavy")?.category).toBe("syscall-heavy");
  });

  it("is quiet for a busy loop of a call that returns at once, and under a fifth of system time", async () => {
    const spin = readFixture("strace/vm-debian12-k6.18__strace-c-spin-sigprocmask.txt");
    const loop = await replay({ strace: spin, vmstat: vmstat(40, 58) }, "cpu");
    expect(loop.checked.find((c) => c.rule === "syscall-heavy-system-time")?.verdict).toBe("fine");
    expect(loop.hypotheses[0].rule).toBe("cpu-busy-loop");
    const calm = await replay({ strace: getrandom, vmstat: vmstat(10, 9) }, "cpu");
    expect(calm.checked.find((c) => c.rule === "syscall-heavy-system-time")?.verdict).toBe("fine");
  });
});

/**
 * A hung-task report and the holder line the detector adds (kernel/hung_task.c 3.13+ report,
 * kernel/sched/core.c sched_show_task 6.13+ task line, debug_show_blocker 6.15+).
 */
function hungOn(t: number, waiter: string, pid: number, holderLine?: string): string[] {
  const s = (dt: number) => `[${(t + dt).toFixed(6).padStart(12)}]`;
  return [
    `${s(0)} INFO: task ${waiter}:${pid} blocked for more than 122 seconds.`,
    `${s(0.00002)}       Not tainted 6.18.2-amd64 #1`,
    `${s(0.00003)} "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.`,
    `${s(0.00004)} task:${waiter.padEnd(15)} state:D stack:0     pid:${pid}  tgid:${pid}  ppid:1      task_flags:0x400100 flags:0x00004002`,
    `${s(0.00005)} Call Trace:`,
    `${s(0.00006)}  <TASK>`,
    `${s(0.00007)}  __schedule+0x3d1/0x1130`,
    `${s(0.00008)}  schedule+0x27/0xd0`,
    `${s(0.00009)}  schedule_preempt_disabled+0x15/0x30`,
    `${s(0.0001)}  __mutex_lock.constprop.0+0x3c6/0x8c0`,
    `${s(0.00011)}  </TASK>`,
    ...(holderLine ? [`${s(0.00012)} ${holderLine}`] : []),
  ];
}

describe("hung tasks wait on a kernel lock another task holds (kernel-lock-holder-blocks-tasks)", () => {
  it("two hung tasks on a mutex of one holder: the holder is the cause, not the waiters", async () => {
    const log = [
      ...hungOn(
        4800,
        "systemd-udevd",
        2268,
        "INFO: task systemd-udevd:2268 is blocked on a mutex likely owned by task systemd-udevd:2258.",
      ),
      ...hungOn(
        4800.2,
        "lvm",
        2301,
        "INFO: task lvm:2301 is blocked on a mutex likely owned by task systemd-udevd:2258.",
      ),
      "",
    ].join("\n");
    const r = await replay({ dmesg: log }, "hang");
    const h = r.hypotheses[0];
    expect(h.rule).toBe("kernel-lock-holder-blocks-tasks");
    expect(h.category).toBe("lock-contention");
    expect(h.title).toBe("2 hung task(s) wait on a kernel mutex held by systemd-udevd:2258");
    expect(h.key).toBe("t/kernel-lock-holder-blocks-tasks/systemd-udevd:2258");
    // 0.6, + 0.1 with two waiters on the one holder.
    expect(h.confidence).toBeCloseTo(0.7, 5);
    expect(h.evidence.find((e) => e.fact === "lock.kernel_waits")?.excerpt).toMatch(
      /^INFO: task systemd-udevd:2268 is blocked on a mutex likely owned by task systemd-udevd:2258\./,
    );
    expect(r.hypotheses.find((x) => x.rule === "hung-task")?.explainedBy).toBe(
      "kernel-lock-holder-blocks-tasks",
    );
  });

  it("reads the rw-semaphore and semaphore wordings", async () => {
    for (const [line, kind, owner] of [
      [
        "INFO: task nvidia-smi:4930 <writer> blocked on an rw-semaphore likely owned by task python3:4625 <writer>",
        "rw-semaphore",
        "python3:4625",
      ],
      [
        "INFO: task nvidia-smi:4930 blocked on a semaphore likely last held by task fwupd:2210",
        "semaphore",
        "fwupd:2210",
      ],
    ]) {
      const r = await replay(
        { dmesg: `${hungOn(900, "nvidia-smi", 4930, line).join("\n")}\n` },
        "hang",
      );
      expect(r.hypotheses[0].title).toBe(
        `1 hung task(s) wait on a kernel ${kind} held by ${owner}`,
      );
    }
  });

  it("is quiet for a hung task the detector names no holder for", async () => {
    const log = hungOn(4800, "rsync", 4242).join("\n");
    const r = await replay({ dmesg: `${log}\n` }, "hang");
    expect(r.checked.find((c) => c.rule === "kernel-lock-holder-blocks-tasks")?.verdict).toBe(
      "fine",
    );
    expect(r.hypotheses[0].rule).toBe("hung-task");
  });
});
