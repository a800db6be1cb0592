/**
 * OOM family: OOM-killer reports (the `invoked oom-killer` headline, Mem-Info, the task table,
 * the `oom-kill:` summary, the kill line, the reaper), panics on OOM, and page-allocation
 * failures. Sources: mm/oom_kill.c, mm/memcontrol.c, mm/show_mem.c, mm/page_alloc.c warn_alloc,
 * mm/vmalloc.c.
 *
 * An OOM report is one event: its kill line names the victim; a report cut before the kill line
 * stays open as the "pending" one, which a later line of the same report (within 1000 lines and
 * 30 s) reopens. The task table keeps its 20 largest rows by rss.
 */
import type { OomKillEvent, OomTask, TraceEvent } from "./events.js";
import type { Prefixed } from "./prefix.js";
import {
  type Family,
  GROUP_GAP_S,
  type Group,
  type KernelLogReader,
  type Taken,
} from "./reader.js";
import { clip, intOf, kb, kv, Match } from "./text.js";
import { absorbTraceLine, traceReport } from "./trace.js";

/** mm/oom_kill.c dump_header: `%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%hd` (older: `oom_adj=%d, oom_score_adj=%d`). */
const OOM_INVOKED = /^(.+?) invoked oom-killer: (.*)$/;
/** mm/oom_kill.c dump_oom_summary: `oom-kill:constraint=%s,nodemask=%*pbl,cpuset=…,mems_allowed=…,oom_memcg=…,task_memcg=…,task=%s,pid=%d,uid=%d`. */
const OOM_SUMMARY = /^oom-kill:(constraint=.*)$/;
/** mm/oom_kill.c __oom_kill_process: `%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd` (message "Out of memory" / "Memory cgroup out of memory"; 2.6–4.x: bare `Killed process %d (%s) total-vm:…` or `vsz:…`; RHEL 6 `Killed process %d, UID %d, (%s) total-vm:…`). */
const OOM_KILLED =
  /^(?:(.*?):\s+)?Killed process (\d+),? (?:UID (\d+), )?\((.*)\)\.?(?:,?\s+(.*))?$/;
/** mm/memcontrol.c mem_cgroup_print_oom_info (2.6.32–4.20): `Task in %s killed as a result of limit of %s` (pr_cont pieces, one line). */
const OOM_TASK_IN = /^Task in (\S+) killed as a result of limit of (\S+)/;
/** mm/oom_kill.c oom_kill_process (≤ 5.0): `%s: Kill process %d (%s) score %u or sacrifice child`. */
const OOM_KILL_OLD =
  /^(?:Out of memory|Memory cgroup out of memory): Kill process (\d+) \((.*)\) score/i;
/** mm/oom_kill.c out_of_memory / check_panic_on_oom: panics instead of a kill. */
const OOM_PANIC =
  /^(?:Kernel panic - not syncing: )?(?:Out of memory and no killable processes|System is deadlocked on memory|Out of memory: (?:compulsory|system-wide) panic_on_oom)/;
/** mm/oom_kill.c oom_reap_task_mm: `oom_reaper: reaped process %d (%s), now anon-rss:%lukB, …`. */
const OOM_REAPED = /^oom_reaper: reaped process (\d+) \((.*)\)/;
/** mm/oom_kill.c dump_tasks header, all kernel versions (`[ pid ]   uid  tgid total_vm      rss …`). */
const OOM_TASK_HEADER = /^\[\s*pid\s*\]\s+uid\s+tgid\s+total_vm\s+rss\b(.*)$/;
/** mm/oom_kill.c dump_task row: `[%7d] %5d %5d %8lu %8lu … %5hd %s`. */
const OOM_TASK_ROW = /^\[\s*(\d+)\]\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)((?:\s+-?\d+)*)\s+(\S.*)$/;
/** Lines of an OOM / allocation-failure report (mm/oom_kill.c, mm/show_mem.c, mm/memcontrol.c). */
const OOM_BODY: RegExp[] = [
  /^Mem-Info:/,
  /^Tasks state \(memory values in pages\):/,
  /^\s*[\w-]+:\d+(?:\s+[\w-]+:\d+)+\s*$/, // active_anon:123 inactive_anon:… (show_free_areas)
  /^\s*[\w-]+:\d+(?:\s+[\w-]+:\d+)*\s*$/,
  /^Node \d+ /,
  /^lowmem_reserve\[\]:/,
  /^\d+ total pagecache pages/,
  /^\d+ pages (?:in swap cache|RAM|HighMem|reserved|cma reserved|hwpoisoned|shared|non-shared)/,
  /^Swap cache stats: /,
  /^(?:Free|Total) swap\s+=/,
  /^(?:memory|memory\+swap|swap|kmem|tcp kmem): usage \d+kB, limit \d+kB/, // mm/memcontrol.c mem_cgroup_print_oom_meminfo
  /^Memory cgroup stats for /,
  /^[a-z][a-z0-9_]* \d+\s*$/, // memory.stat dump in a memcg OOM (cgroup v2)
  /^Task in \S+ killed as a result of limit of /, // mm/memcontrol.c (≤ 4.18)
  /\bcpuset=\S* mems_allowed=/, // mm/oom_kill.c (≤ 4.18)
  /^Unreclaimable slab info:/,
  /^Name\s+Used\s+Total$/,
  /^\S+\s+\d+KB\s+\d+KB$/,
  /^(?:DMA|DMA32|Normal|HighMem|Movable) per-cpu:/,
  /^CPU\s+\d+: hi:\s+\d+, btch:/,
  /^oom_kill_process\.|^Out of memory and no killable processes/,
  /^warn_alloc_show_mem|^\s*show_mem/,
];

/** mm/page_alloc.c warn_alloc: `%s: page allocation failure: order:%u, mode:%#x(%pGg), nodemask=…` (≤ 3.x `%s: page allocation failure. order:%d, mode:0x%x`; 4.9–4.12 `%s: page allocation stalls for %ums, order:%u, …`); mm/vmalloc.c `vmalloc error: size %lu, …`. */
const PAGE_ALLOC =
  /^(.+?): page allocation (?:failure[.:]|stalls for \d+ms,) order:(\d+), mode:(0x[0-9a-f]+(?:\([^)]*\))?)/;
const VMALLOC_FAIL = /^(?:(.+?): )?vmalloc(?: error|: allocation failure)[:,]/;

const MAX_TASKS = 20;
const MAX_RSS_VALUES = 500;
const MAX_PROCESS_NAMES = 1000;

const CONSTRAINTS: Record<string, OomKillEvent["constraint"]> = {
  CONSTRAINT_NONE: "none",
  CONSTRAINT_CPUSET: "cpuset",
  CONSTRAINT_MEMORY_POLICY: "memory_policy",
  CONSTRAINT_MEMCG: "memcg",
};

function readInvoked(e: OomKillEvent, r: RegExpExecArray): void {
  e.invoked_by = r[1].trim();
  const rest = r[2];
  const gfp = /gfp_mask=(0x[0-9a-f]+(?:\([^)]*\))?)/.exec(rest);
  if (gfp) e.gfp_mask = gfp[1];
  e.order = intOf(kv(rest, "order"));
  e.invoked_by_oom_score_adj = intOf(kv(rest, "oom_score_adj"));
}

function readSummary(e: OomKillEvent, s: string): void {
  const c = kv(s, "constraint");
  if (c) e.constraint = CONSTRAINTS[c] ?? e.constraint;
  const memcg = kv(s, "oom_memcg");
  const taskMemcg = kv(s, "task_memcg");
  if (taskMemcg) e.task_memcg = taskMemcg;
  if (memcg ?? taskMemcg) e.memcg = memcg ?? taskMemcg;
  const task = /(?:^|,)task=([^,]*),pid=(\d+)(?:,uid=(\d+))?/.exec(s);
  if (task) {
    e.process ??= task[1];
    e.pid ??= Number(task[2]);
    if (task[3] !== undefined) e.uid ??= Number(task[3]);
  }
}

function readKilled(e: OomKillEvent, r: RegExpExecArray): void {
  const who = r[1] ?? "";
  e.pid = Number(r[2]);
  if (r[3] !== undefined) e.uid = Number(r[3]);
  e.process = r[4];
  const rest = r[5] ?? "";
  e.total_vm_kb = kb(rest, "total-vm") ?? kb(rest, "vsz") ?? e.total_vm_kb;
  e.anon_rss_kb = kb(rest, "anon-rss") ?? e.anon_rss_kb;
  e.file_rss_kb = kb(rest, "file-rss") ?? e.file_rss_kb;
  e.shmem_rss_kb = kb(rest, "shmem-rss") ?? e.shmem_rss_kb;
  e.pgtables_kb = kb(rest, "pgtables") ?? e.pgtables_kb;
  const uid = /UID[: ](\d+)/.exec(rest); // 5.4+ `UID:%u`; RHEL 7 `(%s), UID %d, total-vm:…`
  if (uid) e.uid = Number(uid[1]);
  const adj = /oom_score_adj:(-?\d+)/.exec(rest);
  if (adj) e.oom_score_adj = Number(adj[1]);
  if (/Memory cgroup/i.test(who)) e.constraint ??= "memcg";
}

/** A kill line wrapped by a terminal or a paste: its `total-vm:…kB, anon-rss:…` continuation. */
function readWrappedKill(e: OomKillEvent, msg: string): void {
  const rest = msg.trim();
  e.total_vm_kb ??= kb(` ${rest}`, "total-vm");
  e.anon_rss_kb ??= kb(` ${rest}`, "anon-rss");
  e.file_rss_kb ??= kb(` ${rest}`, "file-rss");
  e.shmem_rss_kb ??= kb(` ${rest}`, "shmem-rss");
  e.pgtables_kb ??= kb(` ${rest}`, "pgtables");
  const adj = /oom_score_adj:(-?\d+)/.exec(rest);
  if (adj) e.oom_score_adj ??= Number(adj[1]);
  for (const k of [
    "total_vm_kb",
    "anon_rss_kb",
    "file_rss_kb",
    "shmem_rss_kb",
    "pgtables_kb",
  ] as const) {
    if (e[k] === undefined) delete e[k];
  }
}

/** Counts an OOM victim in the reader's per-process tally. */
function recordVictim(r: KernelLogReader, e: OomKillEvent): void {
  if (e.process === undefined) return;
  let p = r.byProcess.get(e.process);
  if (!p) {
    if (r.byProcess.size >= MAX_PROCESS_NAMES) return;
    p = { count: 0, anon_rss_kb: [] };
    r.byProcess.set(e.process, p);
  }
  p.count++;
  if (e.anon_rss_kb !== undefined) {
    p.anon_rss_kb.push(e.anon_rss_kb);
    if (p.anon_rss_kb.length > MAX_RSS_VALUES) p.anon_rss_kb.shift();
  }
}

/** One OOM report being read. */
class OomReport implements Group {
  last_t?: number;
  emitted?: boolean;
  /** The kill line was read. */
  private done = false;
  /** The victim is already counted in the per-process tally. */
  private recorded = false;
  /** Task table column names after rss. */
  private taskCols?: string[];
  private tasks?: OomTask[];

  constructor(
    private readonly r: KernelLogReader,
    readonly event: OomKillEvent,
  ) {}

  take(p: Prefixed, msg: string): Taken {
    const e = this.event;
    const mt = new Match();
    if (this.done) {
      if (mt.test(OOM_REAPED, msg) && Number(mt.m[1]) === e.pid) {
        e.reaped = true;
        return true;
      }
      if (/^\s*(?:total-vm|anon-rss|file-rss|shmem-rss|UID|pgtables|oom_score_adj):/.test(msg)) {
        readWrappedKill(e, msg);
        return true;
      }
      return false;
    }
    if (mt.test(OOM_TASK_HEADER, msg)) {
      this.taskCols = mt.m[1].trim().split(/\s+/).slice(0, -1);
      return true;
    }
    if (mt.test(OOM_TASK_ROW, msg)) {
      this.readTaskRow(mt.m);
      return true;
    }
    if (mt.test(OOM_SUMMARY, msg)) {
      readSummary(e, mt.m[1]);
      return true;
    }
    if (mt.test(OOM_KILLED, msg) && (mt.m[1] === undefined || /out of memory/i.test(mt.m[1]))) {
      readKilled(e, mt.m);
      e.text = clip(p.raw);
      this.done = true;
      return true;
    }
    if (OOM_PANIC.test(msg)) {
      e.panic = true;
      return true;
    }
    if (mt.test(OOM_TASK_IN, msg)) {
      e.memcg ??= mt.m[2];
      e.constraint ??= "memcg";
      return true;
    }
    if (mt.test(OOM_KILL_OLD, msg)) {
      // ≤ 5.0: the choice; the `Killed process` line that follows names the task really killed
      e.pid = Number(mt.m[1]);
      e.process = mt.m[2];
      return true;
    }
    if (OOM_BODY.some((re) => re.test(msg))) return true;
    return absorbTraceLine(msg, undefined);
  }

  private readTaskRow(r: RegExpExecArray): void {
    const extra = r[6].trim() === "" ? [] : r[6].trim().split(/\s+/).map(Number);
    const task: OomTask = {
      pid: Number(r[1]),
      uid: Number(r[2]),
      tgid: Number(r[3]),
      total_vm_pages: Number(r[4]),
      rss_pages: Number(r[5]),
      name: r[7].trim(),
    };
    const cols = this.taskCols;
    if (cols && cols.length === extra.length) {
      const sw = cols.indexOf("swapents");
      if (sw >= 0) task.swapents_pages = extra[sw];
      const adj = cols.indexOf("oom_score_adj");
      if (adj >= 0) task.oom_score_adj = extra[adj];
    } else if (extra.length >= 2) {
      // no header seen: the last two columns are swapents and oom_score_adj in every version since 3.x
      task.swapents_pages = extra[extra.length - 2];
      task.oom_score_adj = extra[extra.length - 1];
    }
    const e = this.event;
    e.tasks_total = (e.tasks_total ?? 0) + 1;
    e.tasks_rss_pages = (e.tasks_rss_pages ?? 0) + task.rss_pages;
    e.tasks_swapents_pages = (e.tasks_swapents_pages ?? 0) + (task.swapents_pages ?? 0);
    this.tasks ??= [];
    this.tasks.push(task);
    if (this.tasks.length > 4 * MAX_TASKS) {
      this.tasks.sort((a, b) => b.rss_pages - a.rss_pages);
      this.tasks.length = MAX_TASKS;
    }
  }

  close(): void {
    const o = this.event;
    if (this.tasks && this.tasks.length > 0) {
      const victim = this.tasks.find((t) => t.pid === o.pid);
      if (victim?.oom_score_adj !== undefined) o.oom_score_adj ??= victim.oom_score_adj;
      o.tasks = this.tasks.sort((a, b) => b.rss_pages - a.rss_pages).slice(0, MAX_TASKS);
    }
    if (o.process !== undefined && !this.recorded) {
      recordVictim(this.r, o);
      this.recorded = true;
    }
    this.r.pendingOom = o.process === undefined ? this : undefined;
  }
}

/**
 * Continues the last victimless OOM report when a line of it arrives after other lines
 * (interleaved messages, a body line this parser does not know): true when reopened.
 */
function reopenPending(r: KernelLogReader, p: Prefixed): boolean {
  const g = r.pendingOom;
  if (!g) return false;
  const last = g.event.end_line ?? g.event.line;
  const lastT = g.last_t ?? g.event.t_s;
  if (r.n - last > 1000) return false;
  if (p.t_s !== undefined && lastT !== undefined && p.t_s - lastT > GROUP_GAP_S) return false;
  r.closeGroup();
  r.pendingOom = undefined;
  r.resume(g);
  return true;
}

function newOom(r: KernelLogReader, p: Prefixed, text: string): OomKillEvent {
  return { ...r.base("oom-kill", p, text), kind: "oom-kill" };
}

function openOom(r: KernelLogReader, e: OomKillEvent, p: Prefixed): void {
  r.open(new OomReport(r, e), p);
  r.pendingOom = undefined;
}

/** A line that belongs inside an OOM report, seen with no report open. */
function isOomBodyStart(t: string, mt: Match): boolean {
  return (
    OOM_TASK_HEADER.test(t) ||
    /^Tasks state \(memory values in pages\):/.test(t) ||
    OOM_SUMMARY.test(t) ||
    OOM_TASK_IN.test(t) ||
    (mt.test(OOM_KILLED, t) && (mt.m[1] === undefined || /out of memory/i.test(mt.m[1]))) ||
    (OOM_TASK_ROW.test(t) && !/^\[\s*\d+\.\d+\]/.test(t))
  );
}

/** mm/page_alloc.c warn_alloc and mm/vmalloc.c: a report with the allocation's call trace. */
function pageAllocFailure(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean {
  const alloc = PAGE_ALLOC.exec(t);
  const vmalloc = alloc ? null : VMALLOC_FAIL.exec(t);
  if (!alloc && !vmalloc) return false;
  const e: TraceEvent = {
    ...r.base("page-allocation-failure", p, raw),
    kind: "page-allocation-failure",
    trace: [],
  };
  if (alloc) {
    e.task = alloc[1].trim();
    e.order = Number(alloc[2]);
    e.mode = alloc[3];
  } else if (vmalloc) {
    if (vmalloc[1]) e.task = vmalloc[1].trim();
    e.bug = "vmalloc";
  }
  r.open(
    traceReport(e, (msg) => OOM_BODY.some((re) => re.test(msg))),
    p,
  );
  return true;
}

export const oom: Family = {
  name: "oom",
  sources: ["mm/oom_kill.c", "mm/memcontrol.c", "mm/show_mem.c", "mm/page_alloc.c", "mm/vmalloc.c"],
  classify(r, p, t, raw) {
    const mt = new Match();
    if (mt.test(OOM_INVOKED, t)) {
      const e = newOom(r, p, raw);
      readInvoked(e, mt.m);
      openOom(r, e, p);
      return true;
    }
    if (isOomBodyStart(t, mt)) {
      if (!reopenPending(r, p)) openOom(r, newOom(r, p, raw), p);
      r.take(p, t);
      return true;
    }
    if (OOM_PANIC.test(t)) {
      const e = newOom(r, p, raw);
      e.panic = true;
      return r.single(e);
    }
    if (mt.test(OOM_REAPED, t)) {
      // the reaper's line of a report this log does not have (cut, or rotated away)
      const e = newOom(r, p, raw);
      Object.assign(e, { pid: Number(mt.m[1]), process: mt.m[2], reaped: true });
      return r.single(e);
    }
    if (mt.test(OOM_KILL_OLD, t)) {
      const e = newOom(r, p, raw);
      e.pid = Number(mt.m[1]);
      e.process = mt.m[2];
      openOom(r, e, p);
      return true;
    }
    return pageAllocFailure(r, p, t, raw);
  },
};
