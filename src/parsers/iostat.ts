import { fieldBounds, fields, fieldsOf, isBlank, ProblemLog, plainDecimal } from "./lines.js";
import {
  columnBase,
  columnKey,
  parseBanner,
  round,
  type SysstatBanner,
  sysstatNumber,
} from "./sysstat.js";
import { type ParseResult, type RowSink, UnrecognisedOutputError } from "./types.js";

/**
 * One device row of one iostat report. Every column of the row is kept; units are in the
 * key names and normalised: throughput in kB/s (`rMB/s` × 1024, `rsec/s` and `Blk_read/s`
 * ÷ 2), request sizes in kB (`avgrq-sz` is in 512-byte sectors and kept as
 * `avgrq_sz_sectors`, with `areq_sz_kb` = ÷ 2), times in ms.
 */
export interface IostatDeviceRow {
  /** 0-based index of the report this row belongs to. */
  report: number;
  /** True on the first report when it holds averages since boot (see {@link IostatFacts}). */
  since_boot?: true;
  /** `-t` time stamp of the report, as printed. */
  time?: string;
  device: string;
  /** A `-g` group total row (printed indented). */
  group?: true;
  tps?: number;
  r_per_s?: number;
  w_per_s?: number;
  d_per_s?: number;
  f_per_s?: number;
  rrqm_per_s?: number;
  wrqm_per_s?: number;
  drqm_per_s?: number;
  rrqm_pct?: number;
  wrqm_pct?: number;
  drqm_pct?: number;
  r_kb_per_s?: number;
  w_kb_per_s?: number;
  d_kb_per_s?: number;
  /** `-s` short report: kB/s, requests merged per s. */
  kb_per_s?: number;
  rqm_per_s?: number;
  /** Totals since the start of the report interval's base (`kB_read`, `kB_wrtn`, `kB_dscd`). */
  r_kb?: number;
  w_kb?: number;
  d_kb?: number;
  r_await_ms?: number;
  w_await_ms?: number;
  d_await_ms?: number;
  f_await_ms?: number;
  /** Given (`await`) or computed as the IO-weighted mean of r/w/d await (`await_computed`). */
  await_ms?: number;
  await_computed?: true;
  rareq_sz_kb?: number;
  wareq_sz_kb?: number;
  dareq_sz_kb?: number;
  areq_sz_kb?: number;
  avgrq_sz_sectors?: number;
  aqu_sz?: number;
  util_pct?: number;
  svctm_ms?: number;
  /** Columns this parser has no name for, under their {@link columnKey} name. */
  [other: string]: number | string | boolean | undefined;
}

/** The `avg-cpu` block of one report: `%user %nice %system %iowait %steal %idle`. */
export interface IostatCpuRow {
  report: number;
  since_boot?: true;
  time?: string;
  user_pct?: number;
  nice_pct?: number;
  system_pct?: number;
  iowait_pct?: number;
  steal_pct?: number;
  idle_pct?: number;
  [other: string]: number | string | boolean | undefined;
}

/** Per-device summary over the reports that are not since boot (all reports if only one). */
export interface IostatDeviceSummary {
  device: string;
  /** Number of reports summarised. */
  samples: number;
  util_pct_mean?: number;
  util_pct_max?: number;
  await_ms_mean?: number;
  await_ms_max?: number;
  aqu_sz_mean?: number;
  aqu_sz_max?: number;
  r_per_s_mean?: number;
  w_per_s_mean?: number;
  r_kb_per_s_mean?: number;
  w_kb_per_s_mean?: number;
  svctm_ms_mean?: number;
}

/**
 * Facts from any `iostat` output (sysstat 7 to 12+).
 *
 * Command (collector): `iostat -x -t 1 N+1` (the first report is since boot, the N others
 * span the window). Sample:
 * ```
 * Linux 5.8.0-53-generic (ubuntu) 	12/02/2021 	_x86_64_	(2 CPU)
 *
 * avg-cpu:  %user   %nice %system %iowait  %steal   %idle
 *            0.39    0.04    0.44    0.04    0.00   99.09
 *
 * Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s ...  aqu-sz  %util
 * sda              2.67    100.76     0.66  19.76    0.36    37.75    2.81 ...    0.00   0.41
 * ```
 * Yields: `banner.cpus = 2`, `reports = 1`, `cpu[0].user_pct = 0.39`, `cpu[0].system_pct = 0.44`.
 * Variants read: plain (`tps kB_read/s ...`, `MB_read/s` with `-m`, `Blk_read/s` on old
 * versions), `-x` old (`Device:` … `avgrq-sz avgqu-sz await [r_await w_await] svctm %util`,
 * `rsec/s` or `rkB/s` or `rMB/s`), `-x` 11.x (`rareq-sz aqu-sz svctm`), `-x` 12.x (`d/s`,
 * `f/s`, no `svctm`), `-xs` short, `-h` (device last, `222.1k` sizes, `0.5%`), `-t` stamps
 * (locale or ISO), `-p` partitions, `-g` groups, `-c`/`-d` alone, decimal commas, several
 * reports. Source: iostat(1), sysstat tests/expected.iostat-*.
 *
 * Since boot: the first report of an iostat run without `-y` holds averages since boot.
 * Output does not say whether `-y` was given, so when a run has two or more reports the first
 * is marked `since_boot` and left out of the summaries, unless a pasted command line with
 * `-y` precedes the output. A single report is since boot and is summarised.
 */
export interface IostatFacts {
  banner?: SysstatBanner;
  /** Number of reports seen. */
  reports: number;
  /** True when the first report is taken as since boot (see above). */
  first_report_since_boot: boolean;
  /** Reports used for the summaries. */
  summarised_reports: number;
  cpu: IostatCpuRow[];
  devices: IostatDeviceRow[];
  summary: IostatDeviceSummary[];
  /** Mean and max of the avg-cpu rows over the summarised reports. */
  cpu_summary?: {
    samples: number;
    user_pct_mean?: number;
    system_pct_mean?: number;
    iowait_pct_mean?: number;
    iowait_pct_max?: number;
    steal_pct_mean?: number;
    steal_pct_max?: number;
    idle_pct_mean?: number;
    idle_pct_min?: number;
  };
}

/** iostat column name → fact key and factor into the key's unit. */
const COLUMNS: Record<string, [string, number]> = {
  tps: ["tps", 1],
  "r/s": ["r_per_s", 1],
  "w/s": ["w_per_s", 1],
  "d/s": ["d_per_s", 1],
  "f/s": ["f_per_s", 1],
  "rrqm/s": ["rrqm_per_s", 1],
  "wrqm/s": ["wrqm_per_s", 1],
  "drqm/s": ["drqm_per_s", 1],
  "rqm/s": ["rqm_per_s", 1],
  "%rrqm": ["rrqm_pct", 1],
  "%wrqm": ["wrqm_pct", 1],
  "%drqm": ["drqm_pct", 1],
  "rkB/s": ["r_kb_per_s", 1],
  "wkB/s": ["w_kb_per_s", 1],
  "dkB/s": ["d_kb_per_s", 1],
  "kB/s": ["kb_per_s", 1],
  "rMB/s": ["r_kb_per_s", 1024],
  "wMB/s": ["w_kb_per_s", 1024],
  "dMB/s": ["d_kb_per_s", 1024],
  "MB/s": ["kb_per_s", 1024],
  "rsec/s": ["r_kb_per_s", 0.5],
  "wsec/s": ["w_kb_per_s", 0.5],
  "kB_read/s": ["r_kb_per_s", 1],
  "kB_wrtn/s": ["w_kb_per_s", 1],
  "kB_dscd/s": ["d_kb_per_s", 1],
  "MB_read/s": ["r_kb_per_s", 1024],
  "MB_wrtn/s": ["w_kb_per_s", 1024],
  "MB_dscd/s": ["d_kb_per_s", 1024],
  "Blk_read/s": ["r_kb_per_s", 0.5],
  "Blk_wrtn/s": ["w_kb_per_s", 0.5],
  "Blk_dscd/s": ["d_kb_per_s", 0.5],
  kB_read: ["r_kb", 1],
  kB_wrtn: ["w_kb", 1],
  kB_dscd: ["d_kb", 1],
  MB_read: ["r_kb", 1024],
  MB_wrtn: ["w_kb", 1024],
  MB_dscd: ["d_kb", 1024],
  Blk_read: ["r_kb", 0.5],
  Blk_wrtn: ["w_kb", 0.5],
  Blk_dscd: ["d_kb", 0.5],
  r_await: ["r_await_ms", 1],
  w_await: ["w_await_ms", 1],
  d_await: ["d_await_ms", 1],
  f_await: ["f_await_ms", 1],
  await: ["await_ms", 1],
  "rareq-sz": ["rareq_sz_kb", 1],
  "wareq-sz": ["wareq_sz_kb", 1],
  "dareq-sz": ["dareq_sz_kb", 1],
  "areq-sz": ["areq_sz_kb", 1],
  "avgrq-sz": ["avgrq_sz_sectors", 1],
  "avgqu-sz": ["aqu_sz", 1],
  "aqu-sz": ["aqu_sz", 1],
  svctm: ["svctm_ms", 1],
  "%util": ["util_pct", 1],
};

const TIME_LINE =
  /^\s*(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ T]\d{1,2}:\d{2}:\d{2}(?:\s*[AP]M)?(?:\s*[+-]\d{2}:?\d{2}|Z)?)\s*$/i;
const PROMPT = /^\s*(?:\S*[$#>]|COMMAND>)\s+(\S.*)$/;

/** Field offsets of the line being read (see fieldBounds): up to 255 fields. */
const BOUNDS = new Int32Array(510);

/** How one column's values are stored, worked out once per header rather than once per value. */
interface ColumnSpec {
  /** Fact key: a known one from {@link COLUMNS}, else the {@link columnKey} name. */
  key: string;
  /** Factor into the key's unit (known columns); 1 for the others. */
  factor: number;
  /** A column of {@link COLUMNS}: its values are converted and rounded. */
  known: boolean;
  /** False for a conversion whose key an earlier column of the table already gives. */
  write: boolean;
  /** The column's unit as a power of 1024, for `--human` values ({@link columnBase}). */
  base: number;
}

interface Table {
  columns: string[];
  specs: ColumnSpec[];
  /** Device name is the last column (`-h`), not the first. */
  deviceLast: boolean;
  /** Row templates: the keys of a row, values undefined, by `group` (+1) and `time` (+2). */
  templates: (Record<string, undefined> | undefined)[];
}

function tableOf(columns: string[], deviceLast: boolean): Table {
  const specs = columns.map((col, i): ColumnSpec => {
    const known = COLUMNS[col];
    if (!known) {
      return { key: columnKey(col), factor: 1, known: false, write: true, base: columnBase(col) };
    }
    // A unit conversion does not overwrite a value of the same key from an earlier column.
    const first = !columns.slice(0, i).some((c) => COLUMNS[c]?.[0] === known[0]);
    const write = known[1] === 1 || first;
    return { key: known[0], factor: known[1], known: true, write, base: columnBase(col) };
  });
  return { columns, specs, deviceLast, templates: [] };
}

/**
 * The table of a device header line, or undefined when the line is not one. Every report
 * repeats its header: `known` keeps the table of each header seen (a few per output), so that
 * the rows of all reports are copies of the same templates.
 */
function isDeviceHeader(tokens: string[], known: Map<string, Table>): Table | undefined {
  if (tokens.length < 2) return undefined;
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const deviceFirst = first === "Device:" || first === "Device";
  if (!deviceFirst && last !== "Device" && last !== "Device:") return undefined;
  const text = tokens.join(" ");
  let table = known.get(text);
  if (table === undefined) {
    table = tableOf(deviceFirst ? tokens.slice(1) : tokens.slice(0, -1), !deviceFirst);
    if (known.size < 64) known.set(text, table);
  }
  return table;
}

function mean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return round(values.reduce((a, b) => a + b, 0) / values.length, 4);
}

function max(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

function min(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.min(...values);
}

/** The device columns summarised: mean for all, max for the first three. */
const SUMMARISED = [
  "util_pct",
  "await_ms",
  "aqu_sz",
  "r_per_s",
  "w_per_s",
  "r_kb_per_s",
  "w_kb_per_s",
  "svctm_ms",
] as const;
const WITH_MAX = 3;

/**
 * Running sums of one device's summarised columns, so that the rows need not be kept. Sums
 * are added in row order from 0, as `mean` adds a list: the same doubles.
 */
class DeviceTally {
  private samples = 0;
  private readonly sum = new Float64Array(SUMMARISED.length);
  private readonly count = new Uint32Array(SUMMARISED.length);
  private readonly max = new Float64Array(SUMMARISED.length).fill(-Infinity);

  add(row: IostatDeviceRow): void {
    this.samples++;
    for (let k = 0; k < SUMMARISED.length; k++) {
      const v = row[SUMMARISED[k]];
      if (typeof v !== "number") continue;
      this.sum[k] += v;
      this.count[k]++;
      if (v > this.max[k]) this.max[k] = v;
    }
  }

  summary(device: string): IostatDeviceSummary {
    const s: IostatDeviceSummary = { device, samples: this.samples };
    const out = s as unknown as Record<string, number>;
    for (let k = 0; k < SUMMARISED.length; k++) {
      if (this.count[k] === 0) continue;
      out[`${SUMMARISED[k]}_mean`] = round(this.sum[k] / this.count[k], 4);
      if (k < WITH_MAX) out[`${SUMMARISED[k]}_max`] = this.max[k];
    }
    return s;
  }
}

/** {@link DeviceTally} per device, in the order the devices first appear. */
class DeviceTallies {
  private readonly byDevice = new Map<string, DeviceTally>();

  add(row: IostatDeviceRow): void {
    let tally = this.byDevice.get(row.device);
    if (tally === undefined) {
      tally = new DeviceTally();
      this.byDevice.set(row.device, tally);
    }
    tally.add(row);
  }

  summaries(): IostatDeviceSummary[] {
    return [...this.byDevice].map(([device, tally]) => tally.summary(device));
  }
}

/** Fills `await_ms` as the IO-weighted mean of the r/w/d awaits when the row has none. */
function computeAwait(row: IostatDeviceRow): void {
  if (row.await_ms !== undefined) return;
  let ios = 0;
  let weighted = 0;
  let seen = false;
  const add = (rate: number | undefined, wait: number | undefined): void => {
    if (rate === undefined || wait === undefined) return;
    seen = true;
    ios += rate;
    weighted += rate * wait;
  };
  add(row.r_per_s, row.r_await_ms);
  add(row.w_per_s, row.w_await_ms);
  add(row.d_per_s, row.d_await_ms);
  if (!seen) return;
  row.await_ms = ios > 0 ? round(weighted / ios, 4) : 0;
  row.await_computed = true;
}

/**
 * Fills a device row with the values of `line` (fields found by fieldBounds in BOUNDS, the
 * device in field `first - 1`): false when one is not a number.
 */
function fillRow(
  row: IostatDeviceRow,
  specs: Table["specs"],
  line: string,
  first: number,
): boolean {
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const from = BOUNDS[2 * (first + i)];
    const to = BOUNDS[2 * (first + i) + 1];
    const v = plainDecimal(line, from, to) ?? sysstatNumber(line.slice(from, to), spec.base);
    if (v === undefined) return false;
    if (spec.write) row[spec.key] = spec.known ? round(v * spec.factor) : v;
  }
  if (row.avgrq_sz_sectors !== undefined && row.areq_sz_kb === undefined) {
    row.areq_sz_kb = round(row.avgrq_sz_sectors / 2);
  }
  computeAwait(row);
  return true;
}

/**
 * The template of a table's rows, from its first row. A row of `iostat -x` has some 25 keys set
 * by name at run time, which V8 keeps as a hash table (about 2 kB); a copy is a compact object
 * with the same keys in the same order, a quarter of the memory. Its values are numbers then
 * undefined, so that each field already holds "any value": filling a copy then never changes
 * the layout the copies share.
 */
function templateOf(row: IostatDeviceRow): Record<string, undefined> {
  const template: Record<string, unknown> = { ...row };
  for (const key of Object.keys(template)) template[key] = undefined;
  return template as Record<string, undefined>;
}

/** The avg-cpu values line under its header; undefined when it is not one. */
function cpuRow(
  cols: string[],
  tokens: string[],
  report: number,
  sinceBoot: boolean,
  time: string | undefined,
): IostatCpuRow | undefined {
  const values = tokens.map((t) => sysstatNumber(t));
  if (values.length !== cols.length || !values.every((v) => v !== undefined)) return undefined;
  const row: IostatCpuRow = { report };
  if (sinceBoot) row.since_boot = true;
  if (time !== undefined) row.time = time;
  cols.forEach((c, i) => {
    row[columnKey(c)] = values[i];
  });
  return row;
}

/** Why a line under a device header is not a row of it, said precisely. */
function refusalReason(table: Table, tokens: string[]): string {
  const short = table.deviceLast && tokens.length < table.columns.length + 1;
  const count = !table.deviceLast && tokens.length !== table.columns.length + 1;
  return short
    ? "device row with fewer fields than its header"
    : count
      ? "device row whose field count differs from its header"
      : "device row with a value that is not a number";
}

/** Means and extremes of the avg-cpu rows summarised. */
function cpuSummary(cpuRows: IostatCpuRow[]): IostatFacts["cpu_summary"] {
  const col = (k: string) =>
    cpuRows.map((r) => r[k]).filter((v): v is number => typeof v === "number");
  return {
    samples: cpuRows.length,
    user_pct_mean: mean(col("user_pct")),
    system_pct_mean: mean(col("system_pct")),
    iowait_pct_mean: mean(col("iowait_pct")),
    iowait_pct_max: max(col("iowait_pct")),
    steal_pct_mean: mean(col("steal_pct")),
    steal_pct_max: max(col("steal_pct")),
    idle_pct_mean: mean(col("idle_pct")),
    idle_pct_min: min(col("idle_pct")),
  };
}

/**
 * Parses iostat output (see {@link IostatFacts}). With a `sink`, each device row goes to it
 * under `devices` and `facts.devices` is left empty; the summaries are the same.
 * @throws UnrecognisedOutputError when not one avg-cpu block, device table or banner was found.
 */
export function parseIostat(lines: Iterable<string>, sink?: RowSink): ParseResult<IostatFacts> {
  const problems = new ProblemLog();
  const cpu: IostatCpuRow[] = [];
  const devices: IostatDeviceRow[] = [];
  /** The table of each device header seen (see isDeviceHeader). */
  const tables = new Map<string, Table>();
  /** Summaries of the first report's rows and of the others' (see "Since boot" above). */
  const firstReport = new DeviceTallies();
  const laterReports = new DeviceTallies();
  let banner: SysstatBanner | undefined;
  let found = false;
  let yFlag = false;

  let report = -1;
  let time: string | undefined;
  let hasCpu = false;
  let hasDev = false;
  let pendingTime = false;
  let cpuColumns: string[] | undefined;
  let table: Table | undefined;

  const startReport = () => {
    report++;
    hasCpu = false;
    hasDev = false;
    if (!pendingTime) time = undefined;
    pendingTime = false;
  };

  /** Reads a device row of `table` into the facts; false when the line is not one. */
  const readDeviceRow = (table: Table, raw: string, line: string): boolean => {
    const specs = table.specs;
    const count = fieldBounds(line, BOUNDS);
    if (count < 0 || (table.deviceLast ? count < specs.length + 1 : count !== specs.length + 1)) {
      return false;
    }
    // `-h` puts the device last (it may then hold blanks); else it is the first field.
    const first = table.deviceLast ? 0 : 1;
    const device = table.deviceLast
      ? fieldsOf(line, BOUNDS, specs.length, count).join(" ")
      : line.slice(BOUNDS[0], BOUNDS[1]);
    const group = !table.deviceLast && isBlank(raw.charCodeAt(0));
    const sinceBoot = report === 0 && !yFlag;
    const variant = (group ? 1 : 0) + (time !== undefined ? 2 : 0) + (sinceBoot ? 4 : 0);
    const template = table.templates[variant];
    // Every row of a table has the same keys in the same order (they depend on the columns
    // only), so rows after the first are copies of a template with those keys, filled in.
    const row = (template ? { ...template } : {}) as IostatDeviceRow;
    row.report = report;
    if (sinceBoot) row.since_boot = true;
    row.device = device;
    if (group) row.group = true;
    if (time !== undefined) row.time = time;
    if (!fillRow(row, specs, line, first)) return false;
    let done = row;
    if (!template) {
      table.templates[variant] = templateOf(row);
      done = { ...row };
    }
    (sinceBoot ? firstReport : laterReports).add(done);
    if (sink) sink("devices", done);
    else devices.push(done);
    return true;
  };

  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.trimEnd();
    if (line.trim() === "") {
      table = undefined;
      continue;
    }
    // Device rows, nearly every line of a large output, are read from field offsets; what is
    // not a well-formed row of the current table goes through the checks below.
    if (table && readDeviceRow(table, raw, line)) {
      found = true;
      continue;
    }
    const tokens = fields(line);

    if (cpuColumns) {
      const row = cpuRow(cpuColumns, tokens, report, report === 0 && !yFlag, time);
      cpuColumns = undefined;
      if (row) {
        cpu.push(row);
        found = true;
        continue;
      }
      problems.add(n, raw, "avg-cpu values expected after the avg-cpu header");
      continue;
    }

    const b = parseBanner(line);
    if (b) {
      banner ??= b;
      found = true;
      table = undefined;
      continue;
    }

    const tm = TIME_LINE.exec(line);
    if (tm) {
      if (hasCpu || hasDev || report < 0) {
        pendingTime = true;
        startReport();
      }
      time = tm[1].trim();
      table = undefined;
      continue;
    }

    if (tokens[0] === "avg-cpu:") {
      if (report < 0 || hasCpu || hasDev) startReport();
      hasCpu = true;
      cpuColumns = tokens.slice(1);
      table = undefined;
      continue;
    }

    const header = isDeviceHeader(tokens, tables);
    if (header) {
      if (report < 0 || hasDev) startReport();
      hasDev = true;
      table = header;
      found = true;
      continue;
    }

    if (table) {
      problems.add(n, raw, refusalReason(table, tokens));
      continue;
    }

    const prompt = PROMPT.exec(line);
    if (prompt) {
      // A command line counts before the output only: rows already read cannot change.
      const y = /\biostat\b/.test(prompt[1]) && /\s-[a-zA-Z]*y/.test(` ${prompt[1]}`);
      if (y && report < 0) yFlag = true;
      problems.add(n, raw, "shell prompt or command line, not iostat output");
      continue;
    }
    problems.add(n, raw, "not an iostat line");
  }
  if (!found) throw new UnrecognisedOutputError("iostat");

  const facts = assemble(report + 1, yFlag, cpu, devices, firstReport, laterReports, banner);
  return { facts: banner ? { banner, ...facts } : facts, problems: problems.list() };
}

/** The facts of the reports read: rows, per-device summaries, the avg-cpu summary. */
function assemble(
  reports: number,
  yFlag: boolean,
  cpu: IostatCpuRow[],
  devices: IostatDeviceRow[],
  firstReport: DeviceTallies,
  laterReports: DeviceTallies,
  banner: SysstatBanner | undefined,
): IostatFacts {
  const firstSinceBoot = !yFlag;
  const skipFirst = firstSinceBoot && reports > 1;
  const used = (r: { report: number }) => !(skipFirst && r.report === 0);
  const summary = (skipFirst || yFlag ? laterReports : firstReport).summaries();

  const facts: IostatFacts = {
    reports,
    first_report_since_boot: firstSinceBoot,
    summarised_reports: skipFirst ? reports - 1 : reports,
    cpu,
    devices,
    summary,
  };
  if (banner) facts.banner = banner;
  const cpuRows = cpu.filter(used);
  if (cpuRows.length) facts.cpu_summary = cpuSummary(cpuRows);
  return facts;
}
