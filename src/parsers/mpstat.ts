import { ProblemLog } from "./lines.js";
import {
  columnKey,
  reportLines,
  round,
  rowStamp,
  type SysstatBanner,
  sysstatNumber,
} from "./sysstat.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One CPU (or NUMA node, with `-N`) utilisation row: the share of time in each state over the
 * interval, in %. `cpu` is `"all"` or the CPU number; `-T` adds `core`, `socket`, `node`.
 */
export interface MpstatCpuRow {
  /** `HH:MM:SS` (24 h; `AM`/`PM` stamps converted); absent on `Average:` rows. */
  time?: string;
  cpu: number | "all";
  core?: number;
  socket?: number;
  node?: number;
  usr_pct?: number;
  nice_pct?: number;
  sys_pct?: number;
  iowait_pct?: number;
  irq_pct?: number;
  soft_pct?: number;
  steal_pct?: number;
  guest_pct?: number;
  gnice_pct?: number;
  idle_pct?: number;
  /** sysstat 8 prints `intr/s` in the same table. */
  intr_per_s?: number;
  [other: string]: number | string | undefined;
}

/** A `-N` row: `node` is `"all"` or the node number. */
export interface MpstatNodeRow extends Omit<MpstatCpuRow, "cpu"> {
  node: number | "all";
}

/** `-I SUM` row: interrupts per second received by the CPU (all CPUs for `"all"`). */
export interface MpstatIntrRow {
  time?: string;
  cpu: number | "all";
  intr_per_s: number;
}

/** `-I CPU` / `-I SCPU` row: per-interrupt (or per-softirq) rate, keyed by name (`NMI`, `TIMER`). */
export interface MpstatIrqRow {
  time?: string;
  cpu: number | "all";
  per_s: Record<string, number>;
}

/**
 * Facts from `mpstat` (sysstat 8 to 12+).
 *
 * Command (collector): `mpstat -P ALL 1 N`. Sample:
 * ```
 * Linux 6.18.44 (vm) 	11/30/26 	_x86_64_	(2 CPU)
 *
 * 13:29:05     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
 * 13:29:06     all    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00  100.00
 * 13:29:06       0    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00  100.00
 *
 * Average:     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
 * Average:     all    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00  100.00
 * ```
 * Yields: `banner.cpus = 2`, `intervals = 1`, `cpu[0].cpu = "all"`.
 * Variants read: `-A` (CPU, NODE, `intr/s`, per-IRQ and softirq tables), `-T` (CORE SOCK NODE
 * columns, blank on the `all` row), `-N`, `-I`, `--dec=0..2`, decimal commas, 12-hour stamps
 * (`03:15:06 PM`), old `%user` (stored as `usr_pct`), sysstat 8 with `intr/s` in the CPU table,
 * offline CPUs missing from some intervals. All values are % of time or events per second.
 * Source: mpstat(1), sysstat tests/expected.mpstat-*.
 */
export interface MpstatFacts {
  banner?: SysstatBanner;
  /** CPUs: the banner's `(N CPU)`, else the distinct CPU numbers seen. */
  cpu_count?: number;
  /** Number of interval stamps of the CPU table (Average rows not counted). */
  intervals: number;
  cpu: MpstatCpuRow[];
  cpu_average: MpstatCpuRow[];
  node: MpstatNodeRow[];
  node_average: MpstatNodeRow[];
  intr: MpstatIntrRow[];
  intr_average: MpstatIntrRow[];
  irqs: MpstatIrqRow[];
  irqs_average: MpstatIrqRow[];
  softirqs: MpstatIrqRow[];
  softirqs_average: MpstatIrqRow[];
  /**
   * The `all` row over the whole run: the `Average:` row when printed, else the mean of the
   * interval rows. `busiest_cpu_*`: the single CPU with the least idle (a pinned hot thread).
   */
  summary?: {
    usr_pct?: number;
    sys_pct?: number;
    iowait_pct?: number;
    steal_pct?: number;
    soft_pct?: number;
    irq_pct?: number;
    idle_pct?: number;
    steal_pct_max?: number;
    iowait_pct_max?: number;
    busiest_cpu?: number;
    busiest_cpu_idle_pct?: number;
  };
}

type Kind = "cpu" | "node" | "intr" | "irqs" | "softirqs";

interface Table {
  kind: Kind;
  /** Columns after the stamp, the first being CPU or NODE. */
  columns: string[];
}

const SOFTIRQ_NAMES =
  /^(HI|TIMER|NET_TX|NET_RX|BLOCK|BLOCK_IOPOLL|IRQ_POLL|TASKLET|SCHED|HRTIMER|RCU)\/s$/;
const CPU_KEYS: Record<string, string> = {
  "%user": "usr_pct",
  "%usr": "usr_pct",
  "%system": "sys_pct",
  "%sys": "sys_pct",
  CORE: "core",
  SOCK: "socket",
  NODE: "node",
};

function classify(columns: string[]): Kind | undefined {
  const first = columns[0];
  if (first !== "CPU" && first !== "NODE") return undefined;
  const rest = columns.slice(1);
  if (rest.some((c) => c === "%usr" || c === "%user" || c === "%idle")) {
    return first === "NODE" ? "node" : "cpu";
  }
  if (rest.length === 1 && rest[0] === "intr/s") return "intr";
  if (rest.length > 0 && rest.some((c) => SOFTIRQ_NAMES.test(c))) return "softirqs";
  if (rest.length > 0 && rest.every((c) => c.endsWith("/s"))) return "irqs";
  return undefined;
}

function cpuId(token: string): number | "all" | undefined {
  if (token === "all") return "all";
  return /^\d+$/.test(token) ? Number(token) : undefined;
}

function mean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return round(values.reduce((a, b) => a + b, 0) / values.length, 2);
}

/** Summary of the `all` row (its average, else the mean of its rows) and the busiest single CPU. */
function summaryOf(facts: MpstatFacts): MpstatFacts["summary"] | undefined {
  const allAvg = facts.cpu_average.find((r) => r.cpu === "all");
  const allRows = facts.cpu.filter((r) => r.cpu === "all");
  if (!allAvg && allRows.length === 0) return undefined;
  const s: NonNullable<MpstatFacts["summary"]> = {};
  for (const key of [
    "usr_pct",
    "sys_pct",
    "iowait_pct",
    "steal_pct",
    "soft_pct",
    "irq_pct",
    "idle_pct",
  ] as const) {
    const v = allAvg
      ? allAvg[key]
      : mean(allRows.map((r) => r[key]).filter((x): x is number => x !== undefined));
    if (v !== undefined) s[key] = v;
  }
  const steal = allRows.map((r) => r.steal_pct).filter((x): x is number => x !== undefined);
  const iowait = allRows.map((r) => r.iowait_pct).filter((x): x is number => x !== undefined);
  if (steal.length) s.steal_pct_max = Math.max(...steal);
  if (iowait.length) s.iowait_pct_max = Math.max(...iowait);
  const perCpu = (facts.cpu_average.length ? facts.cpu_average : facts.cpu).filter(
    (r) => typeof r.cpu === "number" && r.idle_pct !== undefined,
  );
  if (perCpu.length) {
    const busiest = perCpu.reduce((a, b) => (b.idle_pct! < a.idle_pct! ? b : a));
    s.busiest_cpu = busiest.cpu as number;
    s.busiest_cpu_idle_pct = busiest.idle_pct;
  }
  return s;
}

/**
 * Parses mpstat output (see {@link MpstatFacts}). Throws UnrecognisedOutputError when no
 * banner and no mpstat table was found.
 */
export function parseMpstat(lines: Iterable<string>): ParseResult<MpstatFacts> {
  const problems = new ProblemLog();
  const facts: MpstatFacts = {
    intervals: 0,
    cpu: [],
    cpu_average: [],
    node: [],
    node_average: [],
    intr: [],
    intr_average: [],
    irqs: [],
    irqs_average: [],
    softirqs: [],
    softirqs_average: [],
  };
  const head: { banner?: SysstatBanner } = {};
  let found = false;
  let table: Table | undefined;
  const stamps = new Set<string>();
  const cpuIds = new Set<number>();

  for (const line of reportLines(lines, head)) {
    if (!line) {
      table = undefined;
      continue;
    }
    const { n, raw, tokens } = line;
    const stamp = rowStamp(tokens);
    if (!stamp || stamp.kind === "epoch" || stamp.kind === "summary") {
      problems.add(n, raw, "not an mpstat line");
      continue;
    }
    const rest = tokens.slice(stamp.used);
    // A header: CPU/NODE followed by names (a row has a CPU id and numbers).
    if (rest.length >= 2 && (rest[0] === "CPU" || rest[0] === "NODE")) {
      const kind = classify(rest);
      if (kind) {
        table = { kind, columns: rest };
        found = true;
      } else {
        table = undefined;
        problems.add(n, raw, "mpstat table header of an unknown kind");
      }
      continue;
    }
    if (!table) {
      problems.add(n, raw, "mpstat row outside a table");
      continue;
    }
    const id = cpuId(rest[0] ?? "");
    if (id === undefined) {
      problems.add(n, raw, "mpstat row without a CPU or node number");
      continue;
    }
    const names = table.columns.slice(1);
    let values = rest.slice(1);
    // -T prints the CORE/SOCK/NODE cells blank on the `all` row: align the values right.
    let offset = 0;
    if (values.length < names.length && table.kind === "cpu") {
      offset = names.length - values.length;
    }
    if (values.length + offset !== names.length) {
      problems.add(n, raw, "mpstat row whose field count differs from its header");
      continue;
    }
    const numbers = values.map((v) => sysstatNumber(v));
    if (numbers.some((v) => v === undefined)) {
      problems.add(n, raw, "mpstat row with a value that is not a number");
      continue;
    }
    values = [];
    const average = stamp.kind === "average";
    const time = stamp.time;
    if (typeof id === "number" && table.columns[0] === "CPU") cpuIds.add(id);

    if (table.kind === "cpu" || table.kind === "node") {
      const row: Record<string, number | string | undefined> = {};
      if (time !== undefined) row.time = time;
      row[table.kind] = id;
      names.forEach((name, i) => {
        if (i < offset) return;
        row[CPU_KEYS[name] ?? columnKey(name)] = numbers[i - offset];
      });
      if (table.kind === "cpu") {
        if (!average && time !== undefined) stamps.add(time);
        (average ? facts.cpu_average : facts.cpu).push(row as MpstatCpuRow);
      } else {
        (average ? facts.node_average : facts.node).push(row as unknown as MpstatNodeRow);
      }
    } else if (table.kind === "intr") {
      const row: MpstatIntrRow = { cpu: id, intr_per_s: numbers[0]! };
      if (time !== undefined) row.time = time;
      (average ? facts.intr_average : facts.intr).push(row);
    } else {
      const per: Record<string, number> = {};
      names.forEach((name, i) => {
        per[name.replace(/\/s$/, "")] = numbers[i]!;
      });
      const row: MpstatIrqRow = { cpu: id, per_s: per };
      if (time !== undefined) row.time = time;
      const list =
        table.kind === "irqs"
          ? average
            ? facts.irqs_average
            : facts.irqs
          : average
            ? facts.softirqs_average
            : facts.softirqs;
      list.push(row);
    }
    found = true;
  }
  const { banner } = head;
  if (!found && !banner) throw new UnrecognisedOutputError("mpstat");

  facts.intervals = stamps.size;
  const count = banner?.cpus ?? (cpuIds.size > 0 ? cpuIds.size : undefined);
  const out: MpstatFacts = banner ? { banner, ...facts } : { ...facts };
  if (count !== undefined) out.cpu_count = count;

  const summary = summaryOf(facts);
  if (summary) out.summary = summary;
  return { facts: out, problems: problems.list() };
}
