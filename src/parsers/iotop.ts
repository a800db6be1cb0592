import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One process (`-P`) or thread row of one iotop iteration. Rates in bytes per second. */
export interface IotopRow {
  /** 0-based iteration. */
  iteration: number;
  /** `-t` time stamp. */
  time?: string;
  /** PID with `-P`, else TID (the header says which). */
  pid?: number;
  tid?: number;
  /** I/O priority: `be/4`, `rt/0`, `idle`, `?dif`. */
  prio: string;
  user: string;
  read_bytes_per_s?: number;
  write_bytes_per_s?: number;
  /** `-a` (accumulated) prints totals instead of rates. */
  read_bytes?: number;
  write_bytes?: number;
  /** % of the interval the task spent swapping in / waiting on I/O; absent when the kernel's
   * delay accounting is off (`?unavailable?`). */
  swapin_pct?: number;
  io_pct?: number;
  command: string;
}

/** The totals lines of one iteration, bytes per second. */
export interface IotopTotals {
  iteration: number;
  time?: string;
  /** `Total DISK READ/WRITE`: what the tasks read and wrote (page cache included). */
  total_read_bytes_per_s?: number;
  total_write_bytes_per_s?: number;
  /** `Current`/`Actual DISK READ/WRITE`: what went to the disks. */
  current_read_bytes_per_s?: number;
  current_write_bytes_per_s?: number;
}

/** One task over all iterations. */
export interface IotopTask {
  pid?: number;
  tid?: number;
  command: string;
  user: string;
  samples: number;
  read_bytes_per_s_mean: number;
  write_bytes_per_s_mean: number;
  io_pct_mean?: number;
  io_pct_max?: number;
}

/**
 * Facts from `iotop -b` (batch mode; iotop 0.4–0.6 and iotop-c).
 *
 * Command (collector): `/usr/sbin/iotop -b -o -P -k -t -d 1 -n N` (needs root). Sample:
 * ```
 * Total DISK READ:         0.00 B/s | Total DISK WRITE:       246.19 M/s
 * Current DISK READ:       0.00 B/s | Current DISK WRITE:     247.30 M/s
 *   PID  PRIO  USER     DISK READ  DISK WRITE  SWAPIN      IO    COMMAND
 * 26048 be/4 root        0.00 B/s  246.19 M/s  0.00 % 14.42 % python3 /tmp/writer.py
 * ```
 * Yields: `rows[0].command = "python3 /tmp/writer.py"`, `rows[0].pid = 26048`.
 * Yields: `rows[0].write_bytes_per_s = 258148925.44`.
 * Variants read: TID or PID (`-P`) tables, `-k` (K/s), `-t` time stamps, `-qqq` (no headers),
 * `-a` (totals), `?unavailable?` SWAPIN/IO when `kernel.task_delayacct` is off, `Actual` or
 * `Current` totals lines. Sizes use 1024 steps (B, K, M, G, T).
 * Source: iotop(8), iotop.py ui.py.
 */
export interface IotopFacts {
  iterations: number;
  totals: IotopTotals[];
  rows: IotopRow[];
  /** Per task over the iterations, the heaviest (read + write) first. */
  tasks: IotopTask[];
  /** False when iotop printed `?unavailable?` (no IO% / SWAPIN%). */
  delay_accounting?: boolean;
}

const UNIT: Record<string, number> = {
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};
const TIME = String.raw`(?:(\d{1,2}:\d{2}:\d{2})\s+)?`;
const SIZE = String.raw`(\d+(?:[.,]\d+)?)\s*([BKMGTP])(\/s)?`;
const TOTALS = new RegExp(
  String.raw`^\s*${TIME}(Total|Actual|Current)\s+DISK\s+READ\s*:\s*${SIZE}\s*\|\s*(?:Total|Actual|Current)\s+DISK\s+WRITE\s*:\s*${SIZE}\s*$`,
);
const ROW = new RegExp(
  String.raw`^\s*${TIME}(\d+)\s+(\S+)\s+(\S+)\s+${SIZE}\s+${SIZE}\s+(?:(\?unavailable\?)|(\d+(?:[.,]\d+)?)\s*%\s+(\d+(?:[.,]\d+)?)\s*%)\s+(.*)$`,
);
const HEADER = /^\s*(?:TIME\s+)?(PID|TID)\s+PRIO\s+USER\s+DISK READ\s+DISK WRITE\b/;

function bytes(value: string, unit: string): number {
  return Math.round(Number(value.replace(",", ".")) * UNIT[unit] * 100) / 100;
}

/**
 * Parses iotop batch output (see {@link IotopFacts}). Throws UnrecognisedOutputError when no
 * totals line, header or task row was found.
 */
export function parseIotop(lines: Iterable<string>): ParseResult<IotopFacts> {
  const problems = new ProblemLog();
  const totals: IotopTotals[] = [];
  const rows: IotopRow[] = [];
  let iteration = -1;
  let idKind: "pid" | "tid" = "tid";
  let found = false;
  let delay: boolean | undefined;
  let lastTotalsKind = "";
  let lastTime: string | undefined;

  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let m = TOTALS.exec(line);
    if (m) {
      const [, time, kind, rv, ru, , wv, wu] = m;
      const current = kind !== "Total";
      // A `Total` line starts an iteration; a `Current` line belongs to the `Total` above it.
      if (!current || lastTotalsKind !== "Total") {
        iteration++;
        totals.push({ iteration });
      }
      lastTotalsKind = kind;
      const t = totals[totals.length - 1];
      if (time) t.time = time;
      if (current) {
        t.current_read_bytes_per_s = bytes(rv, ru);
        t.current_write_bytes_per_s = bytes(wv, wu);
      } else {
        t.total_read_bytes_per_s = bytes(rv, ru);
        t.total_write_bytes_per_s = bytes(wv, wu);
      }
      found = true;
      continue;
    }
    m = HEADER.exec(line);
    if (m) {
      idKind = m[1] === "PID" ? "pid" : "tid";
      found = true;
      continue;
    }
    m = ROW.exec(line);
    if (m) {
      const [, time, id, prio, user, rv, ru, rs, wv, wu, ws, unavailable, swapin, io, command] = m;
      if (totals.length === 0) {
        // -qqq: no totals lines; a new time stamp starts an iteration.
        if (iteration < 0 || (time !== undefined && time !== lastTime)) iteration++;
      }
      lastTime = time;
      const row: IotopRow = {
        iteration: Math.max(iteration, 0),
        prio,
        user,
        command: command.trim(),
      };
      if (time) row.time = time;
      row[idKind] = Number(id);
      if (rs) row.read_bytes_per_s = bytes(rv, ru);
      else row.read_bytes = bytes(rv, ru);
      if (ws) row.write_bytes_per_s = bytes(wv, wu);
      else row.write_bytes = bytes(wv, wu);
      if (unavailable) delay = false;
      else {
        row.swapin_pct = Number(swapin.replace(",", "."));
        row.io_pct = Number(io.replace(",", "."));
        delay ??= true;
      }
      rows.push(row);
      found = true;
      continue;
    }
    problems.add(n, line, "not an iotop line");
  }
  if (!found) throw new UnrecognisedOutputError("iotop");

  const byTask = new Map<string, IotopRow[]>();
  for (const r of rows) {
    const key = `${r.pid ?? ""}|${r.tid ?? ""}|${r.command}`;
    const list = byTask.get(key);
    if (list) list.push(r);
    else byTask.set(key, [r]);
  }
  const mean = (v: number[]) =>
    v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 100) / 100 : 0;
  const tasks: IotopTask[] = [];
  for (const list of byTask.values()) {
    const first = list[0];
    const task: IotopTask = {
      command: first.command,
      user: first.user,
      samples: list.length,
      read_bytes_per_s_mean: mean(list.map((r) => r.read_bytes_per_s ?? 0)),
      write_bytes_per_s_mean: mean(list.map((r) => r.write_bytes_per_s ?? 0)),
    };
    if (first.pid !== undefined) task.pid = first.pid;
    if (first.tid !== undefined) task.tid = first.tid;
    const io = list.map((r) => r.io_pct).filter((v): v is number => v !== undefined);
    if (io.length) {
      task.io_pct_mean = mean(io);
      task.io_pct_max = Math.max(...io);
    }
    tasks.push(task);
  }
  tasks.sort(
    (a, b) =>
      b.read_bytes_per_s_mean +
      b.write_bytes_per_s_mean -
      (a.read_bytes_per_s_mean + a.write_bytes_per_s_mean),
  );
  const facts: IotopFacts = { iterations: iteration + 1, totals, rows, tasks };
  if (delay !== undefined) facts.delay_accounting = delay;
  return { facts, problems: problems.list() };
}
