/**
 * The stack-trace reader: call-trace frames of every architecture's unwinder and the other lines
 * of an oops, WARNING or lockup report (registers, `Modules linked in:`, `Code:`), shared by hung
 * tasks, lockups, oopses, allocation failures and OOM reports. Sources: arch/x86/kernel/dumpstack.c,
 * arch/arm64/kernel/stacktrace.c, arch/arm/kernel/traps.c, arch/powerpc/kernel/process.c,
 * lib/vsprintf.c (%pS), lib/dump_stack.c, kernel/sched/core.c sched_show_task.
 */
import type { TraceEvent } from "./events.js";
import type { Group } from "./reader.js";
import { Match } from "./text.js";

/** ARM: `[<80a87848>] (__schedule) from [<80a88018>] (schedule+0x3c/0xa0)` (arch/arm/kernel/traps.c dump_backtrace_entry). */
const FRAME_ARM =
  /^\s*\[<[0-9a-f]+>\] \(([^\s+)]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?\) from \[<[0-9a-f]+>\] \(([^\s+)]+)/;
/** x86 old: `[<ffffffff81234567>] ? foo+0x1/0x2` (arch/x86/kernel/dumpstack.c printk_stack_address). */
const FRAME_ADDR = /^\s*\[<[0-9a-f]+>\]\s+(\? )?([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
/** powerpc: `[c000000000f3fa80] [c00000000001b4a4] __switch_to+0x1e4/0x2c0` (arch/powerpc/kernel/process.c show_stack). */
const FRAME_PPC = /^\s*\[[0-9a-f]{8,16}\] \[[0-9a-f]{8,16}\] ([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
/** x86/arm64 new: ` ? foo+0x1/0x2 [mod]`, ` foo.cold+0x12/0x40` (lib/vsprintf.c %pS / %pB); arm64 6.x marks ` (P)` / ` (L)` (arch/arm64/kernel/stacktrace.c). */
const FRAME_SYM =
  /^\s*(\? )?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?:\s+\[[\w-]+(?:\s+[0-9a-f]+)?\])?(?:\s+\([A-Z]\))?\s*$/;
/** Lines of a report that are not frames but belong to it. */
const REPORT_NOISE: RegExp[] = [
  /^\s*Call Trace:/, // arch/x86/kernel/dumpstack.c
  /^\s*Call trace:/, // arch/arm64/kernel/stacktrace.c
  /^\s*<\/?(TASK|IRQ|NMI|EOI|SOFTIRQ)>\s*$/,
  /^\s*(?:Tainted|Not tainted):?\s/i,
  /^\s*Not tainted\b/,
  /^\s*Tainted: /,
  /^"echo 0 > \/proc\/sys\/kernel\/hung_task_timeout_secs" disables this message/, // kernel/hung_task.c
  /^\s*task:.{1,16}?\s+state:\w/, // kernel/sched/core.c sched_show_task (comm may hold blanks)
  /^\s*\S.{0,15}\s+[RSDTtXZPIWK]\+?\s+(?:[0-9a-f]{8,16}\s+)?\d+\s+\d+\s+\d+\s+0x[0-9a-f]+\s*$/, // old sched_show_task
  /^\s*(?:[0-9a-f]{8,16}\s+){1,8}[0-9a-f]{8,16}\s*$/, // stack dump words
  /^\s*(?:<[0-9a-f]+>\s*)+$/,
  /^\s*Modules linked in:/, // kernel/module/main.c print_modules
  /^\s*CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: /, // lib/dump_stack.c
  /^\s*Pid: \d+, comm: /, // lib/dump_stack.c (≤ 2.6)
  /^\s*Hardware name: /,
  /^\s*Workqueue: /,
  /^\s*(?:RIP|EIP|IP|RSP|ESP|pc|lr|sp|PC is at|LR is at|NIP|LR|CTR|REGS|MSR|CFAR|DAR|DSISR|GPR\d\d|IRQMASK|x\d+|R\d\d|RAX|RBX|RCX|RDX|RSI|RDI|RBP|FS|GS|CS|DS|ES|CR0|CR2|CR3|CR4|DR0|DR3|DR6|PKRU|EAX|EBX|ECX|EDX|ESI|EDI|EBP|orig_ax|ORIG_RAX|pstate|pc :|lr :|sp :)\s*[:=]/,
  /^\s*(?:[A-Z]{2}\d?|R\d{1,2}|x\d{1,2}): ?[0-9a-f]{4,}/,
  /^\s*Code: /,
  /^\s*---\[ end /,
  /^\s*-+\[ cut here \]-+\s*$/,
  /^\s*Stack:/,
  /^\s*Backtrace:/,
  /^\s*Exception stack\(/,
  /^\s*Process \S+ \(pid: \d+/,
  /^\s*(?:irq event stamp|hardirqs last|softirqs last)/,
  /^\s*#PF: /, // arch/x86/mm/fault.c
  /^\s*(?:PGD|P4D|PUD|PMD|PTE|\*pdpt|\*pde|\*pte) /,
  /^\s*Kernel Offset: /,
  /^\s*Rebooting in \d+ seconds/,
  /^\s*Mem abort info:|^\s*ESR = |^\s*EC = |^\s*SET = |^\s*FSC = |^\s*Data abort info:|^\s*ISV = |^\s*CM = |^\s*user pgtable:|^\s*\[[0-9a-f]+\] pgd=/,
  /^\s*Internal error: /,
  /^\s*Sending NMI from CPU/,
  /^\s*NMI backtrace for cpu/,
  /^\s*INFO: lockdep is turned off/,
  /^\s*\d+ locks? held by /,
  /^\s*#\d+: [0-9a-f]+ \(/,
  /^\s*Showing all locks held/,
];

export interface Trace {
  trace: string[];
  trace_unreliable?: string[];
}

/** Reads a frame: returns the function names (ARM lines name two), marking unreliable ones. */
function readFrame(msg: string): { names: string[]; unreliable: boolean } | null {
  let f = FRAME_ARM.exec(msg);
  if (f) return { names: [f[1], f[2]], unreliable: false };
  f = FRAME_ADDR.exec(msg);
  if (f) return { names: [f[2]], unreliable: f[1] !== undefined };
  f = FRAME_PPC.exec(msg);
  if (f) return { names: [f[1]], unreliable: false };
  f = FRAME_SYM.exec(msg);
  if (f) return { names: [f[2]], unreliable: f[1] !== undefined };
  return null;
}

const MAX_FRAMES = 64;

function addFrame(t: Trace, f: { names: string[]; unreliable: boolean }): void {
  if (f.unreliable) {
    t.trace_unreliable ??= [];
    if (t.trace_unreliable.length < MAX_FRAMES) t.trace_unreliable.push(f.names[0]);
    return;
  }
  for (const name of f.names) {
    if (t.trace.length >= MAX_FRAMES) return;
    if (t.trace[t.trace.length - 1] !== name) t.trace.push(name);
  }
}

/** True when the line is a frame or report noise; frames are added to `t`. */
export function absorbTraceLine(msg: string, t: Trace | undefined): boolean {
  const f = readFrame(msg);
  if (f) {
    if (t) addFrame(t, f);
    return true;
  }
  return REPORT_NOISE.some((r) => r.test(msg));
}

/** lib/dump_stack.c dump_stack_print_info: `CPU: %d UID: %d PID: %d Comm: %.20s %s%s %s %.*s`. */
const CPU_LINE =
  /^\s*CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.+?)(?: (?:Not tainted|Tainted: )(.*))?$/;
/** The instruction pointer of the report: x86 `RIP: 0010:`, i386 `EIP: `, arm64 `pc : `, arm `PC is at `, powerpc `NIP [...]`, ≤ 3.x `IP: [<…>]`. */
const IP_LINE =
  /^\s*(?:RIP: [0-9a-f]{4}:|EIP: |pc : |PC is at |NIP \[[0-9a-f]+\] |IP: \[<[0-9a-f]+>\] )\[?<?[0-9a-f]*>?\]?\s*([A-Za-z_.$][\w.$]*)\+0x/;
/** kernel/panic.c panic: `Kernel panic - not syncing: %s`. */
const PANIC = /^Kernel panic - not syncing: (.*)$/;

/**
 * A report that carries a call trace (lockups, oopses, WARNINGs, allocation failures, the
 * NETDEV WATCHDOG warning): the task line, the instruction pointer, a panic that follows, and
 * the frames. `more` takes the lines particular to the family, before the frames are tried.
 */
export function traceReport(e: TraceEvent, more?: (msg: string) => boolean): Group {
  return { event: e, take: (_p, msg) => takeTraceLine(e, msg, more) };
}

function takeTraceLine(e: TraceEvent, msg: string, more?: (msg: string) => boolean): boolean {
  const mt = new Match();
  if (mt.test(CPU_LINE, msg)) {
    e.cpu ??= Number(mt.m[1]);
    e.pid ??= Number(mt.m[2]);
    e.task ??= mt.m[3].trim();
    if (mt.m[4] && /Tainted/.test(msg)) e.tainted ??= mt.m[4].trim();
    return true;
  }
  if (mt.test(IP_LINE, msg)) {
    e.function ??= mt.m[1];
    return true;
  }
  if (mt.test(PANIC, msg)) {
    e.panic = true;
    if (e.kind === "kernel-bug" && /Hard LOCKUP/.test(mt.m[1])) e.kind = "hard-lockup";
    return true;
  }
  if (more?.(msg)) return true;
  return absorbTraceLine(msg, e);
}
