import type { OomKillEvent } from "../../parsers/dmesg.js";
import type { FactBag } from "../types.js";
import { pct } from "../util.js";
import { type CurrentEvents, LOG, type LogJudge, SRC } from "./judge.js";

/**
 * OOM kills (mm/oom_kill.c, mm/memcontrol.c): the last victim and its size, whether the kill was
 * at a cgroup limit, the program killed again and again with its resident size at each kill, and
 * who held the memory in the report's task table. Page-allocation failures (mm/page_alloc.c
 * warn_alloc) are counted here too.
 */

function rssOf(ev: OomKillEvent): number | undefined {
  if (ev.anon_rss_kb === undefined) return undefined;
  return ev.anon_rss_kb + (ev.file_rss_kb ?? 0) + (ev.shmem_rss_kb ?? 0);
}

/**
 * True when sizes grow: the last is at least 5 % above the first and none falls more than
 * 5 % below the one before (kills land at slightly different sizes).
 */
export function rising(sizes: readonly number[]): boolean {
  if (sizes.length < 2 || sizes[0] <= 0) return false;
  const growth = sizes[sizes.length - 1] / sizes[0];
  return growth >= 1.05 && sizes.every((v, i) => i === 0 || v >= sizes[i - 1] * 0.95);
}

/** The constraint and cgroup of the newest report that prints them. */
function constraintFacts(ooms: OomKillEvent[], bag: FactBag): void {
  const withConstraint = [...ooms].reverse().find((e) => e.constraint !== undefined);
  if (withConstraint?.constraint) {
    const c = withConstraint.constraint;
    bag.set("oom.at_cgroup_limit", c === "memcg", SRC, withConstraint.text);
    bag.set(
      "oom.constraint",
      c === "none" ? "global" : c === "memory_policy" ? "mempolicy" : c,
      SRC,
      withConstraint.text,
    );
  }
  const withMemcg = [...ooms].reverse().find((e) => e.memcg ?? e.task_memcg);
  if (withMemcg) bag.set("oom.memcg", withMemcg.memcg ?? withMemcg.task_memcg, SRC, withMemcg.text);
}

/**
 * The program killed most often, with every kill of it in the log: a trend needs the earlier
 * kills too (history as causes, but they show whether it grows). One program is one command in
 * one cgroup: a restarted service keeps its cgroup, while the same command name in another
 * cgroup is another program.
 */
function repeatFacts(kills: OomKillEvent[], allKills: readonly OomKillEvent[], bag: FactBag): void {
  const programOf = (k: OomKillEvent) => `${k.process}\u0000${k.task_memcg ?? k.memcg ?? ""}`;
  const current = new Set(kills.map(programOf));
  const byProgram = new Map<string, OomKillEvent[]>();
  for (const k of allKills) {
    if (k.process === undefined || !current.has(programOf(k))) continue;
    byProgram.set(programOf(k), [...(byProgram.get(programOf(k)) ?? []), k]);
  }
  const [, list] = [...byProgram].sort((a, b) => b[1].length - a[1].length)[0];
  const comm = list[0].process as string;
  const cgroup = list[0].task_memcg ?? list[0].memcg;
  const rss = list.map(rssOf);
  const line = `${list.length} OOM kills of ${comm}${cgroup ? ` in ${cgroup}` : ""}: resident ${rss.map((r) => (r !== undefined ? `${r} kB` : "?")).join(" → ")}`;
  bag.set("oom.repeat_kills", list.length, SRC, line);
  if (list.length < 2) return;
  bag.set("oom.repeat_command", comm, SRC, line);
  const known = rss.every((r) => r !== undefined);
  const r = rss as number[];
  bag.set("oom.repeat_rss_rising", known && rising(r), SRC, line);
  if (known && r[0] > 0)
    bag.set("oom.repeat_rss_growth_pct", pct(r[r.length - 1] - r[0], r[0]), SRC, line);
}

/**
 * The task table of a report: who held the memory, processes of one name added. A task holds
 * its resident pages and its swapped-out pages (`rss` + `swapents`, the memory that
 * mm/oom_kill.c oom_badness counts besides page tables); columns are in pages of 4 kB. The
 * total is over every row of the table (the parser keeps only the largest rows), plus the
 * victim's kill line when its row is not in the table.
 */
function taskTableFacts(table: OomKillEvent, bag: FactBag): void {
  const by = new Map<string, { kb: number; procs: number; text: string }>();
  let listed = 0;
  let largest = 0;
  for (const task of table.tasks ?? []) {
    const kb = (task.rss_pages + (task.swapents_pages ?? 0)) * 4;
    listed += kb;
    largest = Math.max(largest, kb);
    const e = by.get(task.name) ?? {
      kb: 0,
      procs: 0,
      text: `[${task.pid}] rss ${task.rss_pages} pages, swapents ${task.swapents_pages ?? "?"} pages ${task.name}`,
    };
    e.kb += kb;
    e.procs++;
    by.set(task.name, e);
  }
  let total =
    table.tasks_rss_pages !== undefined
      ? (table.tasks_rss_pages + (table.tasks_swapents_pages ?? 0)) * 4
      : listed;
  let tasks = table.tasks_total ?? table.tasks?.length ?? 0;
  const v = table.process !== undefined ? rssOf(table) : undefined;
  if (table.process !== undefined && v !== undefined && !by.has(table.process)) {
    by.set(table.process, { kb: v, procs: 1, text: table.text });
    total += v;
    tasks++;
    largest = Math.max(largest, v);
  }
  const [name, top] = [...by].sort((a, b) => b[1].kb - a[1].kb)[0];
  const line = `OOM task dump: ${name} ×${top.procs} hold ${top.kb} kB (resident + swap) of ${total} kB in ${tasks} tasks listed (${top.text})`;
  bag.set("oom.top_task", name, SRC, line);
  bag.set("oom.top_task_kb", top.kb, SRC, line);
  bag.set("oom.top_task_share_pct", pct(top.kb, total), SRC, line);
  bag.set("oom.top_task_processes", top.procs, SRC, line);
  bag.set("oom.table_tasks", tasks, SRC, line);
  bag.set("oom.largest_process_share_pct", pct(largest, total), SRC, line);
}

/**
 * Who held the memory: the last task table, else (without MemTotal) the victim alone; and the
 * victim's share of MemTotal, whichever report printed the table.
 */
function holderFacts(
  ooms: OomKillEvent[],
  victim: OomKillEvent | undefined,
  ev: CurrentEvents,
  bag: FactBag,
): void {
  if (victim && ev.memTotalKb) {
    bag.set("oom.victim_pct_of_ram", pct(rssOf(victim), ev.memTotalKb), "meminfo", victim.text);
  }
  const table = [...ooms].reverse().find((e) => (e.tasks?.length ?? 0) > 0);
  if (table?.tasks) {
    taskTableFacts(table, bag);
  } else if (victim && !ev.memTotalKb && rssOf(victim) !== undefined) {
    // No task table: the victim is the task the kernel judged the biggest.
    bag.set("oom.top_task", victim.process, SRC, victim.text);
    bag.set("oom.top_task_kb", rssOf(victim), SRC, victim.text);
    bag.set("oom.top_task_processes", 1, SRC, victim.text);
  }
}

export const oom: LogJudge = {
  name: "oom",
  provides: [
    {
      path: "oom.events",
      says: "{} OOM-killer runs in the kernel log",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Current OOM-killer runs: kills, `invoked oom-killer`, or task dumps.",
    },
    {
      path: "oom.kills",
      says: "{} OOM kills in the kernel log",
      type: "number",
      unit: "kills",
      from: LOG,
      doc: "Processes killed by the OOM killer (current).",
    },
    {
      path: "oom.victim",
      says: "the last OOM victim is {}",
      type: "string",
      from: LOG,
      doc: "Command of the last process killed.",
    },
    { path: "oom.victim_pid", type: "number", from: LOG, doc: "Its PID." },
    {
      path: "oom.victim_rss_kb",
      type: "number",
      unit: "kB",
      from: LOG,
      doc: "Its anon + file + shmem RSS when killed.",
    },
    {
      path: "oom.victim_pct_of_ram",
      says: "the OOM victim held {} of RAM",
      type: "number",
      unit: "%",
      from: ["dmesg", "meminfo"],
      doc: "Its RSS as % of MemTotal (meminfo); absent without meminfo (the task dump's share is oom.top_task_share_pct).",
    },
    {
      path: "oom.constraint",
      type: "string",
      from: LOG,
      doc: "`global` (the whole machine), `memcg` (a cgroup limit), `cpuset` or `mempolicy`.",
    },
    {
      path: "oom.memcg",
      type: "string",
      from: LOG,
      doc: "The cgroup of the victim (task_memcg), when printed.",
    },
    {
      path: "oom.at_cgroup_limit",
      says: {
        yes: "the last OOM kill was at a cgroup's memory limit (constraint memcg)",
        no: "the last OOM kill was not at a cgroup's memory limit",
      },
      type: "boolean",
      from: LOG,
      doc: "True when the last OOM kill was at a cgroup's memory limit (constraint memcg), not the whole machine running out.",
    },
    {
      path: "oom.repeat_kills",
      says: "{} OOM kills of one program",
      type: "number",
      unit: "kills",
      from: LOG,
      doc: "Kills in the whole log of the program killed most often within the look-back (earlier kills show the trend); a program is a command in one cgroup, when the log names it.",
    },
    {
      path: "oom.repeat_command",
      type: "string",
      from: LOG,
      doc: "That command, when it was killed twice or more.",
    },
    {
      path: "oom.repeat_rss_rising",
      says: {
        yes: "a program OOM-killed twice or more grew from kill to kill",
        no: "no program OOM-killed twice or more with growing RSS",
      },
      type: "boolean",
      from: LOG,
      doc: "True when that command was killed twice or more with growing resident size: +5 % or more from the first kill to the last, no kill more than 5 % below the one before.",
    },
    {
      path: "oom.repeat_rss_growth_pct",
      type: "number",
      unit: "%",
      from: LOG,
      doc: "RSS growth from its first to its last kill.",
    },
    {
      path: "oom.top_task",
      type: "string",
      from: LOG,
      doc: "Command holding the most RSS in the OOM task dump (processes of one name added).",
    },
    {
      path: "oom.top_task_kb",
      type: "number",
      unit: "kB",
      from: LOG,
      doc: "Its resident + swapped memory (4 kB pages × (rss + swapents)); the victim's anon + file + shmem RSS when only its kill line was read.",
    },
    {
      path: "oom.top_task_share_pct",
      says: "the OOM report's largest task held {} of the memory listed",
      type: "number",
      unit: "%",
      from: LOG,
      doc: "Its share of the resident + swapped memory of every task in the dump (victim included).",
    },
    {
      path: "oom.table_tasks",
      says: "{} tasks in the OOM report's task table",
      type: "number",
      unit: "tasks",
      from: LOG,
      doc: "Tasks the share is over: the rows of the task dump, plus the victim when its row is not there.",
    },
    {
      path: "oom.largest_process_share_pct",
      says: "the largest single process in the OOM report held {} of the memory listed",
      type: "number",
      unit: "%",
      from: LOG,
      doc: "The share of the largest one process (not added up by name): low when the memory is spread over a pool of processes.",
    },
    {
      path: "oom.top_task_processes",
      type: "number",
      unit: "processes",
      from: LOG,
      doc: "Processes of that name in the dump.",
    },
    {
      path: "mem.alloc_failures",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`page allocation failure` messages (current).",
    },
  ],
  judge(ev, bag) {
    // One event per report; a report cut before its kill line has no process.
    const ooms = ev.of("oom-kill") as OomKillEvent[];
    const kills = ooms.filter((e) => e.process !== undefined);
    // Cite the newest report: the victim named in the title is the last one killed.
    bag.set("oom.events", ooms.length, SRC, ooms.at(-1)?.text);
    bag.set("oom.kills", kills.length, SRC, kills.at(-1)?.text);
    const victim = kills[kills.length - 1];
    if (victim) {
      bag.set("oom.victim", victim.process, SRC, victim.text);
      bag.set("oom.victim_pid", victim.pid, SRC, victim.text);
      bag.set("oom.victim_rss_kb", rssOf(victim), SRC, victim.text);
    }
    constraintFacts(ooms, bag);
    if (kills.length > 0) repeatFacts(kills, ev.allKills, bag);
    holderFacts(ooms, victim, ev, bag);
    const alloc = ev.of("page-allocation-failure");
    bag.set("mem.alloc_failures", alloc.length, SRC, alloc[0]?.text);
  },
};
