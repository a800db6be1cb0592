import type { StraceFacts, StraceSyscall } from "../parsers/strace.js";
import { type DeriveModule, FactBag, type FactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n, obj, round, s } from "./util.js";

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

const STRACE = ["strace"];
const PERF = ["perf-report"];

const provides: FactSpec[] = [
  {
    path: "strace.source",
    type: "string",
    from: STRACE,
    doc: "`summary` (strace -c) or `trace` (calls added up from a plain trace).",
  },
  {
    path: "strace.total_calls",
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
    type: "string",
    from: STRACE,
    doc: "The call with the highest time share (or call share when no time was recorded).",
  },
  {
    path: "strace.dominant.share_pct",
    type: "number",
    unit: "%",
    from: STRACE,
    doc: "Its share, by time or by calls.",
  },
  { path: "strace.dominant.by", type: "string", from: STRACE, doc: "`time` or `calls`." },
  { path: "strace.dominant.calls", type: "number", unit: "calls", from: STRACE, doc: "Its calls." },
  {
    path: "strace.dominant.blocking",
    type: "boolean",
    from: STRACE,
    doc: "True when it is a call that waits (futex, poll/epoll/select, nanosleep, wait4, read/recv/accept): its time is sleeping, not CPU.",
  },
  {
    path: "strace.futex_pct",
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
    type: "number",
    unit: "%",
    from: STRACE,
    doc: "Failed futex calls / futex calls × 100 (EAGAIN: the lock word changed under the waiter; ETIMEDOUT).",
  },
  {
    path: "strace.connect_eaddrnotavail",
    type: "number",
    unit: "calls",
    from: STRACE,
    doc: "connect() calls that failed with EADDRNOTAVAIL (no free ephemeral port).",
  },
  {
    path: "strace.bind_eaddrinuse",
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
    path: "perf.top_symbol",
    type: "string",
    from: PERF,
    doc: "The symbol with the highest overhead (self, else children).",
  },
  { path: "perf.top_symbol_pct", type: "number", unit: "%", from: PERF, doc: "Its overhead." },
  {
    path: "perf.clock_gettime_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Overhead under clock_gettime/gettimeofday system calls (a vDSO fallback: slow clocksource).",
  },
  {
    path: "perf.futex_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Overhead under futex calls.",
  },
  {
    path: "perf.spinlock_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Overhead in kernel spin-lock slow paths (native_queued_spin_lock_slowpath, _raw_spin_lock*).",
  },
  {
    path: "perf.syscall_pct",
    type: "number",
    unit: "%",
    from: PERF,
    doc: "Overhead under the system call entry (entry_SYSCALL_64*, do_syscall_64).",
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

const FORKS = new Set(["fork", "vfork", "clone", "clone3"]);

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

/** perf report rows, read defensively: `{ symbol, self_pct?, children_pct?, ... }`. */
function perfRows(facts: unknown): { symbol: string; pct: number }[] {
  const f = obj(facts);
  const out: { symbol: string; pct: number }[] = [];
  for (const r of arr(f?.rows ?? f?.entries ?? f?.symbols)) {
    const o = obj(r);
    const symbol = s(o?.symbol) ?? s(o?.name);
    const p = n(o?.children_pct) ?? n(o?.overhead_pct) ?? n(o?.self_pct) ?? n(o?.pct);
    if (symbol && p !== undefined) out.push({ symbol, pct: p });
  }
  return out;
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const st = factsOf<StraceFacts>(parsed, "strace");
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
    }
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

  const pr = factsOf<unknown>(parsed, "perf-report");
  if (pr) {
    const rows = perfRows(pr);
    const top = [...rows].sort((a, b) => b.pct - a.pct)[0];
    if (top) {
      bag.set("perf.top_symbol", top.symbol, "perf-report", `${top.pct}% ${top.symbol}`);
      bag.set("perf.top_symbol_pct", top.pct, "perf-report", `${top.pct}% ${top.symbol}`);
    }
    const share = (re: RegExp, path: string) => {
      const hit = rows.filter((r) => re.test(r.symbol)).sort((a, b) => b.pct - a.pct)[0];
      bag.set(
        path,
        hit ? hit.pct : 0,
        "perf-report",
        hit ? `${hit.pct}% ${hit.symbol}` : undefined,
      );
    };
    if (rows.length > 0) {
      share(
        /(sys|__x64_sys|__arm64_sys|do)_(clock_gettime|gettimeofday)|posix_ktime_get_ts|read_hpet|acpi_pm_read/,
        "perf.clock_gettime_pct",
      );
      share(/(sys|__x64_sys|do)_futex|futex_wait|futex_wake/, "perf.futex_pct");
      share(
        /native_queued_spin_lock_slowpath|_raw_spin_lock|queued_spin_lock_slowpath/,
        "perf.spinlock_pct",
      );
      share(/entry_SYSCALL_64|do_syscall_64|system_call_fastpath|el0_svc/, "perf.syscall_pct");
    }
  }
  return bag;
}

export const syscallsModule: DeriveModule = { id: "syscalls", provides, derive };
