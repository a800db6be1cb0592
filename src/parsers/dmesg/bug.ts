/**
 * BUG/oops/WARNING family: kernel bug signatures (NULL dereferences, page faults, `kernel BUG
 * at`, oopses, general protection faults, WARNINGs, lockdep reports, panics, a leaked netdevice
 * reference) with the report's task, instruction pointer and call trace. Sources are named on
 * KERNEL_BUG below.
 */
import type { TraceEvent } from "./events.js";
import type { Family } from "./reader.js";
import { Match } from "./text.js";
import { traceReport } from "./trace.js";

/**
 * Kernel bug signatures: arch/x86/mm/fault.c (`BUG: kernel NULL pointer dereference, address: %px`,
 * `BUG: unable to handle page fault for address: %px`, ≤ 4.x `BUG: unable to handle kernel NULL
 * pointer dereference at %p`), lib/bug.c / include/asm-generic/bug.h (`kernel BUG at %s:%u!`),
 * arch/x86/kernel/dumpstack.c (`Oops: %04lx [#%d]`, 6.x `Oops: general protection fault, …`),
 * arch/x86/kernel/traps.c (`general protection fault: 0000 [#1]`, `… probably for non-canonical address …`),
 * kernel/panic.c __warn (`WARNING: CPU: %d PID: %d at %pS`, ≤ 4.x `WARNING: at %s:%d %pS()`),
 * kernel/panic.c panic (`Kernel panic - not syncing: %s`), arch/arm64/mm/fault.c and arch/arm/mm/fault.c
 * (`Unable to handle kernel NULL pointer dereference at virtual address %016lx`,
 * `Unable to handle kernel paging request at virtual address`), arch/arm64/kernel/traps.c
 * (`Internal error: %s: %x [#%d]`), lockdep (kernel/locking/lockdep.c `WARNING: possible circular
 * locking dependency detected`, …), and any other `BUG: %s` (mm/slub.c `BUG: Bad page state`,
 * kernel/sched/core.c `BUG: scheduling while atomic`, …).
 */
const KERNEL_BUG: { re: RegExp; bug: (m: RegExpExecArray) => string }[] = [
  { re: /^BUG: kernel NULL pointer dereference/, bug: () => "kernel NULL pointer dereference" },
  {
    re: /^BUG: unable to handle kernel NULL pointer dereference/,
    bug: () => "kernel NULL pointer dereference",
  },
  {
    re: /^Unable to handle kernel NULL pointer dereference/,
    bug: () => "kernel NULL pointer dereference",
  },
  {
    re: /^BUG: unable to handle (?:kernel )?(page fault|paging request)/,
    bug: () => "unable to handle page fault",
  },
  { re: /^Unable to handle kernel paging request/, bug: () => "unable to handle page fault" },
  {
    re: /^(?:------------\[ cut here \]------------ )?kernel BUG at ([^!]+)!/,
    bug: (x) => `kernel BUG at ${x[1]}`,
  },
  {
    re: /^Oops: (general protection fault|[^ ,]+)/,
    bug: (x) => (x[1].startsWith("general") ? "general protection fault" : "Oops"),
  },
  { re: /^general protection fault(?:[:,]| probably)/, bug: () => "general protection fault" },
  { re: /^Internal error: (Oops[^:]*)/, bug: () => "Oops" },
  { re: /^WARNING: CPU: \d+ PID: \d+ at /, bug: () => "WARNING" },
  { re: /^WARNING: at \S+:\d+/, bug: () => "WARNING" },
  { re: /^WARNING: \S+:\d+ at /, bug: () => "WARNING" },
  {
    re: /^WARNING: (possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|bad unlock balance|possible irq lock inversion)/,
    bug: (x) => x[1],
  },
  // net/core/dev.c netdev_wait_allrefs: a leaked device reference (a known bug signature)
  {
    re: /^unregister_netdevice: waiting for (\S+) to become free/,
    bug: (x) => `unregister_netdevice: waiting for ${x[1]}`,
  },
  { re: /^Kernel panic - not syncing: (.*)$/, bug: (x) => `Kernel panic: ${x[1].trim()}` },
  { re: /^BUG: (?!soft lockup)(.+?)(?: in \S+| at \S+|:|$)/, bug: (x) => x[1].trim() },
];
/** kernel/panic.c __warn: `WARNING: CPU: %d PID: %d at %s:%d %pS` or `… at %pS` (no file). */
const WARN_CPU = /^WARNING: CPU: (\d+) PID: (\d+) at (?:(\S+:\d+) )?(?:([A-Za-z_.$][\w.$]*)\+0x)?/;
/** kernel/panic.c __warn (6.16+): `WARNING: %s:%d at %pS, CPU#%d: %s/%d`. */
const WARN_6X =
  /^WARNING: (\S+:\d+) at ([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+, CPU#(\d+): (.+)\/(\d+)\s*$/;
/** arch/x86/kernel/dumpstack.c and others: the oops lines that follow a report's own `BUG: …` headline. */
const OOPS_FOLLOW =
  /^(?:Oops: |general protection fault|Internal error: |BUG: |#PF: |invalid opcode: |stack segment: |double fault: )/;

/** The location, function, CPU and task a WARNING or `kernel BUG at` headline names. */
function readHeadline(e: TraceEvent, t: string): void {
  const mt = new Match();
  if (mt.test(WARN_CPU, t)) {
    e.cpu = Number(mt.m[1]);
    e.pid = Number(mt.m[2]);
    if (mt.m[3]) e.location = mt.m[3];
    if (mt.m[4]) e.function = mt.m[4];
  } else if (mt.test(WARN_6X, t)) {
    e.location = mt.m[1];
    e.function = mt.m[2];
    e.cpu = Number(mt.m[3]);
    e.task = mt.m[4];
    e.pid = Number(mt.m[5]);
  } else if (mt.test(/^WARNING: at (\S+:\d+)(?: ([A-Za-z_.$][\w.$]*)\(?)?/, t)) {
    e.location = mt.m[1];
    if (mt.m[2]) e.function = mt.m[2];
  } else if (mt.test(/^kernel BUG at ([^!]+)!/, t)) {
    e.location = mt.m[1];
  }
  if (/^Kernel panic/.test(t)) e.panic = true;
}

export const bug: Family = {
  name: "bug",
  sources: [
    "arch/x86/mm/fault.c",
    "arch/x86/kernel/dumpstack.c",
    "arch/x86/kernel/traps.c",
    "arch/arm64/mm/fault.c",
    "arch/arm64/kernel/traps.c",
    "arch/arm/mm/fault.c",
    "lib/bug.c",
    "kernel/panic.c",
    "kernel/locking/lockdep.c",
    "net/core/dev.c",
  ],
  classify(r, p, t, raw) {
    for (const k of KERNEL_BUG) {
      const m = k.re.exec(t);
      if (!m) continue;
      const e: TraceEvent = {
        ...r.base("kernel-bug", p, raw),
        kind: "kernel-bug",
        bug: k.bug(m),
        trace: [],
      };
      readHeadline(e, t);
      r.open(
        traceReport(e, (msg) => e.kind === "kernel-bug" && OOPS_FOLLOW.test(msg)),
        p,
      );
      return true;
    }
    return false;
  },
};
