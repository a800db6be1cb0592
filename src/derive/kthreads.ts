import type { PidstatRow } from "../parsers/pidstat.js";
import type { TopIteration, TopProcess } from "../parsers/top.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n, round } from "./util.js";

/**
 * CPU time of the kernel threads that do the kernel's deferred work, each a pressure of its
 * own (kernel Documentation/admin-guide/mm/concepts.rst, kernel/softirq.c):
 *
 * - `kswapd<N>` (one per NUMA node): background reclaim, woken when a zone's free pages fall
 *   below the low watermark and sleeping again at the high watermark (mm/vmscan.c). It sleeps
 *   on a host whose memory suffices; its CPU time is reclaim work.
 * - `kcompactd<N>` (one per node): background compaction, woken when high-order allocations
 *   find free memory fragmented (mm/compaction.c).
 * - `khugepaged`: collapses small pages into transparent huge pages
 *   (Documentation/admin-guide/mm/transhuge.rst); it scans slowly by design
 *   (`scan_sleep_millisecs`, 10 s) and is idle on most hosts.
 * - `ksoftirqd/<N>` (one per CPU): softirq work that did not fit the budget of an interrupt
 *   exit (`__do_softirq` stops after MAX_SOFTIRQ_TIME, 2 ms, or MAX_SOFTIRQ_RESTART, 10 rounds,
 *   and wakes the thread): network receive and transmit, timers, tasklets, RCU callbacks.
 *
 * Shares are % of one CPU (100 = one CPU the whole time). From pidstat: pidstat's own
 * `Average:` rows, else the mean over every interval of the report (pidstat prints only the
 * tasks active in an interval, so an interval without the thread counts as 0 %). Else from
 * the last frame of top, a snapshot rather than the window (`<kind>_over_window` false).
 * The busiest thread of each kind is kept (the node or CPU with the most work).
 */

interface Kind {
  /** Fact prefix, e.g. `reclaim.kswapd`. */
  path: string;
  name: RegExp;
  /** Words for the `says` phrase. */
  work: string;
  /** True when several instances exist (per node, per CPU): the thread's name is a fact. */
  many: boolean;
}

const KINDS: Kind[] = [
  { path: "reclaim.kswapd", name: /^kswapd\d+$/, work: "background reclaim", many: true },
  { path: "reclaim.kcompactd", name: /^kcompactd\d+$/, work: "compaction", many: true },
  { path: "reclaim.khugepaged", name: /^khugepaged$/, work: "huge page collapse", many: false },
  {
    path: "softirq.ksoftirqd",
    name: /^ksoftirqd\/\d+$/,
    work: "deferred softirq work",
    many: true,
  },
];

const provides: ModuleFactSpec[] = [
  ...KINDS.flatMap((k): ModuleFactSpec[] => {
    const thread = k.path.split(".")[1];
    const share: ModuleFactSpec = {
      path: `${k.path}_cpu_pct`,
      type: "number",
      unit: "% of one CPU",
      doc: `CPU share of the busiest ${thread} thread (${k.work}), over the window from pidstat, else one top frame.`,
      says: `${thread} at {} (${k.work})`,
    };
    const window: ModuleFactSpec = {
      path: `${k.path}_over_window`,
      type: "boolean",
      doc: `True when ${k.path}_cpu_pct is pidstat's over the window, false when it is one top frame.`,
      says: {
        yes: `${thread} CPU averaged over the window`,
        no: `${thread} CPU from one top frame`,
      },
    };
    if (!k.many) return [share, window];
    return [
      share,
      window,
      {
        path: `${k.path}_thread`,
        type: "string",
        doc: `Name of that ${thread} thread (its node or CPU number is the suffix).`,
      },
    ];
  }),
];

interface Share {
  command: string;
  pct: number;
  excerpt: string;
}

/** Mean %CPU per kernel thread over the pidstat report (see the header comment). */
function pidstatShares(rows: PidstatRow[], intervals: number, averaged: boolean): Share[] {
  const byTask = new Map<string, { command: string; pid?: number; sum: number; peak: number }>();
  for (const r of rows) {
    const pct = n(r.cpu_pct);
    if (r.thread || pct === undefined) continue;
    const key = `${r.pid ?? r.tgid}|${r.command}`;
    const t = byTask.get(key) ?? { command: r.command, pid: r.pid ?? r.tgid, sum: 0, peak: 0 };
    t.sum += pct;
    t.peak = Math.max(t.peak, pct);
    byTask.set(key, t);
  }
  const over = averaged ? 1 : Math.max(intervals, 1);
  return [...byTask.values()].map((t) => {
    const pct = round(t.sum / over) ?? 0;
    const how = averaged ? "Average" : `mean of ${over} intervals, peak ${t.peak}`;
    return {
      command: t.command,
      pct,
      excerpt: `pidstat: ${t.command} (pid ${t.pid ?? "?"}) %CPU ${pct} (${how})`,
    };
  });
}

/** %CPU per process of top's last frame. */
function topShares(processes: TopProcess[]): Share[] {
  return processes.flatMap((p) => {
    const pct = n(p.cpu_pct);
    if (pct === undefined || typeof p.command !== "string") return [];
    const excerpt = `top: PID ${p.pid} ${p.command} S ${p.state ?? "-"} %CPU ${pct} TIME+ ${p.time_plus ?? "-"}`;
    return [{ command: p.command, pct, excerpt }];
  });
}

interface Sample {
  shares: Share[];
  source: "pidstat" | "top";
  overWindow: boolean;
}

/** pidstat's shares when it printed any row, then top's last frame. */
function samples(parsed: ParsedSet): Sample[] {
  const out: Sample[] = [];
  const pid = factsOf(parsed, "pidstat");
  const average = arr<PidstatRow>(pid?.average);
  const rows = arr<PidstatRow>(pid?.rows);
  if (average.length > 0) {
    out.push({ shares: pidstatShares(average, 1, true), source: "pidstat", overWindow: true });
  } else if (rows.length > 0) {
    const intervals = n(pid?.intervals) ?? 1;
    const shares = pidstatShares(rows, intervals, false);
    out.push({ shares, source: "pidstat", overWindow: intervals >= 2 });
  }
  const iters = arr<TopIteration>(factsOf(parsed, "top")?.iterations);
  const procs = arr<TopProcess>(iters[iters.length - 1]?.processes);
  if (procs.length > 0) out.push({ shares: topShares(procs), source: "top", overWindow: false });
  return out;
}

/**
 * Each kind from the first sample that lists it: pidstat names only the tasks active in an
 * interval (and only the `-p` ones when limited), so a thread pidstat never printed is read
 * from top's frame, which lists every task.
 */
function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const all = samples(parsed);
  for (const k of KINDS) {
    for (const { shares, source, overWindow } of all) {
      const busiest = shares.filter((s) => k.name.test(s.command)).sort((a, b) => b.pct - a.pct)[0];
      if (!busiest) continue;
      bag.set(`${k.path}_cpu_pct`, busiest.pct, source, busiest.excerpt);
      bag.set(`${k.path}_over_window`, overWindow, source, busiest.excerpt);
      if (k.many) bag.set(`${k.path}_thread`, busiest.command, source, busiest.excerpt);
      break;
    }
  }
  return bag;
}

/** The `kthreads` derive module (see the header comment of this file). */
export const kthreadsModule: DeriveModule = {
  id: "kthreads",
  needs: ["pidstat", "top"],
  provides,
  derive,
};
