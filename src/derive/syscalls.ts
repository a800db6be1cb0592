import type { StraceSyscall } from "../parsers/strace.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { factsOf, n, obj, round } from "./util.js";

/**
 * System call facts from strace (`strace -c` summary or a plain trace) and `perf report`:
 * which call dominates, whether it is a blocking wait (time in it is sleeping, not work),
 * futex (lock) share, and errors that name a cause (EADDRNOTAVAIL, EMFILE, ...).
 *
 * Errors with a fixed meaning (man pages):
 * - connect(2) EADDRNOTAVAIL: no free local port in the ephemeral range for an unbound socket;
 * - bind(2) EADDRINUSE: the address is in use, or, when binding to port 0, "all port numbers
 *   in the ephemeral port range are currently in use";
 * - EMFILE: the per-process open-files limit (RLIMIT_NOFILE); ENFILE: the system-wide limit;
 * - fork/clone EAGAIN: RLIMIT_NPROC, pids.max, or kernel.threads-max / pid_max reached.
 */

const STRACE = ["strace"] as const;
const PERF = ["perf-report"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "strace.source",
    says: "strace figures from a {}",
    type: "string",
    from: STRACE,
    doc: "`summary` (strace -c) or `trace` (calls added up from a plain trace).",
  },
  {
    path: "strace.total_calls",
    says: "{} system calls traced",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "System calls seen.",
  },
  {
    path: "strace.total_errors",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls that failed.",
  },
  {
    path: "strace.dominant.syscall",
    says: "the dominant system call is {}",
    type: "string",
    from: STRACE,
    doc: "The call with the highest time share (or call share when no time was recorded).",
  },
  {
    path: "strace.dominant.share_pct",
    says: "the dominant system call at {} of the trace",
    type: "number",
    unit: "%",
    from: STRACE,
    doc: "Its share, by time or by calls.",
  },
  { path: "strace.dominant.by", type: "string", from: STRACE, doc: "`time` or `calls`." },
  { path: "strace.dominant.calls", type: "number", unit: "calls", from: STRACE, doc: "Its calls." },
  {
    path: "strace.dominant.blocking",
    says: {
      yes: "the dominant system call waits (its time is sleep, not CPU)",
      no: "the dominant system call does not wait",
    },
    type: "boolean",
    from: STRACE,
    doc: "True when it is a call that waits (futex, poll/epoll/select, nanosleep, wait4, read/recv/accept): its time is sleeping, not CPU.",
  },
  {
    path: "strace.dominant.returns_at_once",
    says: {
      yes: "the dominant system call returns at once (no wait, no file or device)",
      no: "the dominant system call does work in the kernel or waits",
    },
    type: "boolean",
    from: STRACE,
    doc: "True when it only reads or sets the caller's own state and returns without waiting or touching a file or device (getpid(2), rt_sigprocmask(2), sched_yield(2), clock_gettime(2) ...): a loop of it spends its CPU in user space and on system call entry, not in the calls.",
  },
  {
    path: "strace.dominant.usecs_per_call",
    says: "the dominant system call took {} each",
    type: "number",
    unit: "µs",
    from: STRACE,
    doc: "System CPU time per call of it (strace -c `usecs/call`); absent for a plain trace, whose -T durations are wall time and include waiting for a CPU.",
  },
  {
    path: "strace.waits",
    says: "{} calls that wait among the traced system calls",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls of the waiting kind (strace.dominant.blocking's list: futex, poll, nanosleep, wait4, read ...): 0 means the traced tasks never gave up the CPU of their own accord.",
  },
  {
    path: "strace.futex_pct",
    says: "futex at {} of the trace",
    type: "number",
    unit: "%",
    from: STRACE,
    doc: "futex share of time (or of calls when no time was recorded).",
  },
  {
    path: "strace.futex_errors",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "futex calls that failed (EAGAIN, ETIMEDOUT): contended waits.",
  },
  {
    path: "strace.futex_error_pct",
    says: "{} of futex calls failed (EAGAIN, ETIMEDOUT)",
    type: "number",
    unit: "%",
    from: STRACE,
    doc: "Failed futex calls / futex calls × 100 (EAGAIN: the lock word changed under the waiter; ETIMEDOUT).",
  },
  {
    path: "strace.connect_eaddrnotavail",
    says: "{} connect() calls failing with EADDRNOTAVAIL",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "connect() calls that failed with EADDRNOTAVAIL (no free ephemeral port).",
  },
  {
    path: "strace.bind_port0_eaddrinuse",
    says: "{} bind() calls to port 0 failing with EADDRINUSE",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "bind() to port 0 that failed with EADDRINUSE: every port of the ephemeral range is in use (bind(2)).",
  },
  {
    path: "strace.bind_eaddrinuse",
    says: "{} bind() calls failing with EADDRINUSE",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "bind() calls that failed with EADDRINUSE (port taken, or the ephemeral range used up when binding port 0).",
  },
  {
    path: "strace.eaddrnotavail",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls of any kind that failed with EADDRNOTAVAIL.",
  },
  {
    path: "strace.emfile",
    says: "{} calls failing with EMFILE",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls that failed with EMFILE (per-process open-files limit).",
  },
  {
    path: "strace.enfile",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls that failed with ENFILE (system-wide file limit).",
  },
  {
    path: "strace.enospc",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls that failed with ENOSPC (no space or no inodes left).",
  },
  {
    path: "strace.enomem",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "Calls that failed with ENOMEM.",
  },
  {
    path: "strace.fork_eagain",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "fork/vfork/clone/clone3 calls that failed with EAGAIN (task limits).",
  },
  {
    path: "perf.samples",
    type: "number",
    unit: "samples",
    from: PERF,
    doc: "Samples in the profile (`# Samples:`, approximate: perf prints 16K): the sample of every share.",
  },
  {
    path: "perf.top_symbol",
    type: "string",
    from: PERF,
    doc: "The symbol with the highest overhead (self, else children).",
  },
  { path: "perf.top_symbol_pct", type: "number", unit: "%", from: PERF, doc: "Its overhead." },
  {
    path: "perf.clock_gettime_pct",
    says: "clock_gettime and slow clock reads at {} of perf samples",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Share of samples under clock_gettime/gettimeofday system calls (with callees), or in slow clock reads (read_hpet, acpi_pm_read): time calls the vDSO could not serve.",
  },
  {
    path: "perf.futex_pct",
    says: "futex at {} of perf samples",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Share of samples under the futex system call (with callees), or in futex code.",
  },
  {
    path: "perf.spinlock_pct",
    says: "kernel spin-lock slow paths at {} of perf samples",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Self overhead of the kernel's spin-lock slow paths added (native_queued_spin_lock_slowpath, _raw_spin_lock*, osq_lock).",
  },
  {
    path: "perf.lock_pct",
    says: "lock functions at {} of perf samples",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Self overhead of every lock-related symbol added: kernel spin-lock slow paths, futex code, and user-space lock functions (__lock, pthread_mutex_lock, __lll_lock_wait).",
  },
  {
    path: "perf.kernel_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Share of the samples in kernel code (self overhead).",
  },
  {
    path: "perf.syscall_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Share of samples under the system call entry (entry_SYSCALL_64*, do_syscall_64), with callees.",
  },
];

const BLOCKING = new Set([
  "futex",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "poll",
  "ppoll",
  "select",
  "pselect6",
  "_newselect",
  "nanosleep",
  "clock_nanosleep",
  "wait4",
  "waitid",
  "waitpid",
  "read",
  "readv",
  "pread64",
  "recvfrom",
  "recvmsg",
  "recvmmsg",
  "accept",
  "accept4",
  "io_getevents",
  "io_pgetevents",
  "io_uring_enter",
  "pause",
  "sigsuspend",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "msgrcv",
  "semop",
  "semtimedop",
  "flock",
  "fsync",
  "fdatasync",
]);

/**
 * Calls that only read or change the calling task's own state and return at once: no wait, no
 * file or device, no memory to fill. getpid(2), gettid(2), getuid(2) and getgid(2) read task
 * credentials; sigprocmask(2) changes the blocked-signal mask; sched_yield(2) returns at once
 * when no other task is runnable; clock_gettime(2), gettimeofday(2) and time(2) read the
 * clocksource (normally in the vDSO, vdso(7); traced, they are the system call fallback);
 * getcpu(2) reads the CPU number. Their cost is the system call entry and exit: strace -c
 * measured 1-3 µs per call for rt_sigprocmask, getpid and getuid on a 2-vCPU VM
 * (test/fixtures/strace/vm-debian12-k6.18__strace-c.txt).
 */
const RETURNS_AT_ONCE = new Set([
  "getpid",
  "getppid",
  "gettid",
  "getuid",
  "geteuid",
  "getgid",
  "getegid",
  "getresuid",
  "getresgid",
  "getpgrp",
  "getpgid",
  "getsid",
  "getcpu",
  "rt_sigprocmask",
  "sigprocmask",
  "sched_yield",
  "clock_gettime",
  "clock_gettime64",
  "gettimeofday",
  "time",
]);

const FORKS = new Set(["fork", "vfork", "clone", "clone3"]);

/** The time system calls and the slow clock reads behind them (hpet, acpi_pm). */
const CLOCK_SYSCALL =
  /^(__x64_|__arm64_|__ia32_)?(sys|do)_(clock_gettime|gettimeofday|time)$|^posix_ktime_get_ts/;
const CLOCK_READ = /^(read_hpet|acpi_pm_read\w*|posix_ktime_get_ts\w*|ktime_get_ts64)$/;
const FUTEX_SYSCALL = /^(__x64_|__arm64_|__ia32_)?(sys|do)_futex$/;
const FUTEX_KERNEL = /^(futex_\w+|__futex_\w+|do_futex|get_futex_key\w*|hash_futex)$/;
/** The kernel's spin-lock slow paths: time spent waiting for a contended spin lock. */
const SPIN_SLOWPATH =
  /^(native_queued_spin_lock_slowpath|queued_spin_lock_slowpath|__pv_queued_spin_lock_slowpath|_raw_spin_lock\w*|osq_lock|rwsem_spin_on_owner|mutex_spin_on_owner)$/;
/** Every lock-related symbol: kernel spin paths, futex code, and user-space lock functions. */
const ANY_LOCK = new RegExp(
  `${SPIN_SLOWPATH.source}|${FUTEX_KERNEL.source}|^(__lock|__unlock|__lll_lock_wait\\w*|__lll_unlock_wake\\w*|lll_lock_wait\\w*|pthread_mutex_lock|__pthread_mutex_lock\\w*|pthread_mutex_unlock|__pthread_mutex_unlock\\w*|pthread_spin_lock|pthread_rwlock_\\w+)$`,
);
const SYSCALL_ENTRY = /^(entry_SYSCALL_64\w*|do_syscall_64|system_call_fastpath|el0_svc\w*)$/;

function errnoOf(sc: StraceSyscall | undefined, errno: string): number {
  return n(obj(sc?.errnos)?.[errno]) ?? 0;
}

function lineOf(sc: StraceSyscall, source: string): string {
  if (source === "summary") {
    return `${sc.time_pct ?? "-"} ${sc.seconds ?? "-"} ${sc.usecs_per_call ?? "-"} ${sc.calls} ${sc.errors || ""} ${sc.syscall}`.replace(
      /\s+/g,
      " ",
    );
  }
  const errs = Object.entries(obj(sc.errnos) ?? {})
    .map(([k, v]) => `${k} ×${v}`)
    .join(", ");
  return `${sc.syscall}: ${sc.calls} calls in the trace (${round(sc.call_pct)} % of calls)${errs ? `, failed: ${errs}` : ""}`;
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const st = factsOf(parsed, "strace");
  if (st && Array.isArray(st.syscalls)) {
    const src = "strace";
    const by = new Map(st.syscalls.map((c) => [c.syscall, c]));
    bag.set("strace.source", st.source, src);
    bag.set("strace.total_calls", n(st.total?.calls), src);
    bag.set("strace.total_errors", n(st.total?.errors), src);
    const d = st.dominant;
    if (d) {
      const sc = by.get(d.syscall);
      const line = sc ? lineOf(sc, st.source) : `${d.syscall} ${d.share_pct} % by ${d.by}`;
      bag.set("strace.dominant.syscall", d.syscall, src, line);
      bag.set("strace.dominant.share_pct", n(d.share_pct), src, line);
      bag.set("strace.dominant.by", d.by, src, line);
      bag.set("strace.dominant.calls", n(sc?.calls), src, line);
      bag.set("strace.dominant.blocking", BLOCKING.has(d.syscall), src, line);
      bag.set("strace.dominant.returns_at_once", RETURNS_AT_ONCE.has(d.syscall), src, line);
      if (st.source === "summary") {
        bag.set("strace.dominant.usecs_per_call", n(sc?.usecs_per_call), src, line);
      }
    }
    const waiting = st.syscalls.filter((c) => BLOCKING.has(c.syscall) && c.calls > 0);
    bag.set(
      "strace.waits",
      waiting.reduce((a, c) => a + c.calls, 0),
      src,
      waiting.length > 0
        ? waiting
            .slice(0, 4)
            .map((c) => `${c.syscall} ×${c.calls}`)
            .join(", ")
        : undefined,
    );
    const futex = by.get("futex");
    const timed = st.syscalls.some((c) => c.time_pct !== null);
    if (futex) {
      const line = lineOf(futex, st.source);
      bag.set("strace.futex_pct", timed ? n(futex.time_pct) : round(futex.call_pct), src, line);
      bag.set("strace.futex_errors", n(futex.errors), src, line);
      if (futex.calls > 0)
        bag.set("strace.futex_error_pct", round((futex.errors / futex.calls) * 100), src, line);
    } else if ((n(st.total?.calls) ?? 0) > 0) {
      bag.set("strace.futex_pct", 0, src);
      bag.set("strace.futex_errors", 0, src);
    }
    // Errors with a fixed meaning. In a -c summary errnos are unknown: only traces count.
    const errno = (name: string) => n(st.errno_counts?.[name]);
    const connect = by.get("connect");
    const bind = by.get("bind");
    if (st.source === "trace") {
      const cx = errnoOf(connect, "EADDRNOTAVAIL");
      const bx = errnoOf(bind, "EADDRINUSE");
      bag.set(
        "strace.connect_eaddrnotavail",
        cx,
        src,
        connect && cx ? lineOf(connect, st.source) : undefined,
      );
      bag.set("strace.bind_eaddrinuse", bx, src, bind && bx ? lineOf(bind, st.source) : undefined);
      const port0 = n(st.bind_port0_eaddrinuse) ?? 0;
      bag.set(
        "strace.bind_port0_eaddrinuse",
        port0,
        src,
        bind && port0 ? lineOf(bind, st.source) : undefined,
      );
      bag.set("strace.eaddrnotavail", errno("EADDRNOTAVAIL") ?? 0, src);
      bag.set("strace.emfile", errno("EMFILE") ?? 0, src);
      bag.set("strace.enfile", errno("ENFILE") ?? 0, src);
      bag.set("strace.enospc", errno("ENOSPC") ?? 0, src);
      bag.set("strace.enomem", errno("ENOMEM") ?? 0, src);
      let forks = 0;
      for (const f of FORKS) forks += errnoOf(by.get(f), "EAGAIN");
      bag.set("strace.fork_eagain", forks, src);
    }
  }

  const pr = factsOf(parsed, "perf-report");
  if (pr && Array.isArray(pr.rows)) {
    const src = "perf-report";
    // Rows of the first event only (a report may hold several events).
    const rows = pr.rows.filter((r) => !r.event || !pr.event || r.event === pr.event);
    const chains = Array.isArray(pr.callchain_top) ? pr.callchain_top : [];
    const top = pr.top_symbols?.[0];
    if (top) {
      const line =
        `${top.overhead_pct}% ${top.shared_object ?? ""} ${top.kernel ? "[k]" : "[.]"} ${top.symbol}`.replace(
          /\s+/g,
          " ",
        );
      bag.set("perf.top_symbol", top.symbol, src, line);
      bag.set("perf.top_symbol_pct", top.overhead_pct, src, line);
    }
    bag.set("perf.samples", n(pr.samples), src);
    bag.set("perf.kernel_pct", n(pr.kernel_pct), src);
    /** Self overhead of every matching row, added. */
    const self = (re: RegExp): { pct: number; line?: string } => {
      const hit = rows.filter((r) => r.symbol && re.test(r.symbol));
      const pct = round(hit.reduce((a, r) => a + r.overhead_pct, 0)) ?? 0;
      return {
        pct,
        line: hit.length
          ? hit
              .map((r) => `${r.overhead_pct}% ${r.symbol}`)
              .slice(0, 4)
              .join(", ")
          : undefined,
      };
    };
    /** The largest inclusive share (Children column or call-graph frame) of a matching symbol. */
    const inclusive = (re: RegExp): { pct: number; line?: string } => {
      let best = { pct: 0, line: undefined as string | undefined };
      for (const r of rows) {
        if (r.symbol && re.test(r.symbol) && (r.children_pct ?? 0) > best.pct) {
          best = {
            pct: r.children_pct ?? 0,
            line: `${r.children_pct}% (with callees) ${r.symbol}`,
          };
        }
      }
      for (const c of chains) {
        if (re.test(c.symbol) && c.pct > best.pct)
          best = { pct: c.pct, line: `${c.pct}% of samples under ${c.symbol}` };
      }
      return best;
    };
    const larger = (a: { pct: number; line?: string }, b: { pct: number; line?: string }) =>
      b.pct > a.pct ? b : a;
    const set = (path: string, v: { pct: number; line?: string }) =>
      bag.set(path, v.pct, src, v.line);
    if (rows.length > 0 || chains.length > 0) {
      set("perf.clock_gettime_pct", larger(inclusive(CLOCK_SYSCALL), self(CLOCK_READ)));
      set("perf.futex_pct", larger(inclusive(FUTEX_SYSCALL), self(FUTEX_KERNEL)));
      set("perf.spinlock_pct", self(SPIN_SLOWPATH));
      set("perf.lock_pct", self(ANY_LOCK));
      set("perf.syscall_pct", inclusive(SYSCALL_ENTRY));
    }
  }
  return bag;
}

/** The `syscalls` derive module (see the header comment of this file). */
export const syscallsModule: DeriveModule = {
  id: "syscalls",
  needs: ["strace", "perf-report"],
  provides,
  derive,
};
