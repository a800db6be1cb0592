import { fields, num } from "./lines.js";

/**
 * Pieces shared by the sysstat parsers (iostat, mpstat, pidstat, sar): the banner line, the
 * time stamp that starts each row, column names turned into fact keys, and `--human` values.
 * Format source: sysstat's own test suite (tests/expected.*) and the man pages iostat(1),
 * mpstat(1), pidstat(1), sar(1).
 */

/**
 * The first line every sysstat tool prints:
 * `Linux 5.8.0-53-generic (ubuntu) 	12/02/2021 	_x86_64_	(2 CPU)`.
 * The date follows S_TIME_FORMAT (`2021-12-02` with ISO) or the locale (`12/02/21`).
 */
export interface SysstatBanner {
  kernel_name: string;
  kernel_release: string;
  nodename: string;
  /** The date as printed (locale or ISO format). */
  date: string;
  /** `x86_64` for `_x86_64_`; absent on old versions that do not print it. */
  machine?: string;
  /** `(9 CPU)`; absent on old versions. */
  cpus?: number;
}

const BANNER =
  /^(\S+)\s+(\S+)\s+\(([^)]*)\)\s+(\d[\d/.-]*\d)(?:\s+_([^\s_][^\s]*?)_)?(?:\s+\((\d+)\s+CPU\))?\s*$/;

/** Reads a sysstat banner line, or undefined when the line is not one. */
export function parseBanner(line: string): SysstatBanner | undefined {
  const m = BANNER.exec(line);
  if (!m) return undefined;
  const banner: SysstatBanner = {
    kernel_name: m[1],
    kernel_release: m[2],
    nodename: m[3],
    date: m[4],
  };
  if (m[5]) banner.machine = m[5];
  if (m[6]) banner.cpus = Number(m[6]);
  return banner;
}

/** A line of a sysstat report other than a banner: its 1-based number, text and fields. */
export interface ReportLine {
  n: number;
  raw: string;
  tokens: string[];
}

/**
 * The lines of a sysstat report (mpstat, pidstat) without its banners: the first banner goes
 * to `head.banner`. A blank line, which ends a table, yields undefined.
 */
export function* reportLines(
  lines: Iterable<string>,
  head: { banner?: SysstatBanner },
): Generator<ReportLine | undefined> {
  let n = 0;
  for (const raw of lines) {
    n++;
    if (raw.trim() === "") {
      yield undefined;
      continue;
    }
    const b = parseBanner(raw);
    if (b) {
      head.banner ??= b;
      continue;
    }
    yield { n, raw, tokens: fields(raw) };
  }
}

/** What starts a sysstat row: a clock time, `Average:`, `Summary:` or an epoch (`-H`). */
export interface RowStamp {
  kind: "clock" | "average" | "summary" | "epoch";
  /** `HH:MM:SS` on a 24-hour clock (12-hour `AM`/`PM` stamps are converted), or the epoch. */
  time?: string;
  /** Number of tokens the stamp used (2 for `03:15:06 PM`). */
  used: number;
}

const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})$/;

/** Converts `03:15:06` + `PM` into `15:15:06`; a 24-hour time is returned as it is. */
export function to24h(clock: string, ampm?: string): string {
  const m = CLOCK.exec(clock);
  if (!m) return clock;
  let h = Number(m[1]);
  if (ampm) {
    const pm = /^p/i.test(ampm);
    if (h === 12) h = pm ? 12 : 0;
    else if (pm) h += 12;
  }
  return `${String(h).padStart(2, "0")}:${m[2]}:${m[3]}`;
}

/** Reads the stamp at the start of a tokenised row, or undefined when there is none. */
export function rowStamp(tokens: string[]): RowStamp | undefined {
  const t = tokens[0];
  if (t === undefined) return undefined;
  if (t === "Average:") return { kind: "average", used: 1 };
  if (t === "Summary:") return { kind: "summary", used: 1 };
  if (CLOCK.test(t)) {
    if (tokens[1] === "AM" || tokens[1] === "PM" || tokens[1] === "am" || tokens[1] === "pm") {
      return { kind: "clock", time: to24h(t, tokens[1]), used: 2 };
    }
    return { kind: "clock", time: to24h(t), used: 1 };
  }
  if (/^\d{9,11}$/.test(t)) return { kind: "epoch", time: t, used: 1 };
  return undefined;
}

/**
 * Turns a sysstat column name into a fact key: `%user` → `user_pct`, `rkB/s` → `rkb_per_s`,
 * `aqu-sz` → `aqu_sz`, `%scpu-10` → `scpu_10_pct`, `kB_read/s` → `kb_read_per_s`.
 */
export function columnKey(name: string): string {
  let n = name;
  let pct = false;
  if (n.startsWith("%")) {
    pct = true;
    n = n.slice(1);
  }
  let perS = false;
  if (n.endsWith("/s")) {
    perS = true;
    n = n.slice(0, -2);
  }
  n = n
    .replace(/\+$/, "_plus")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  if (n === "") n = "col";
  if (/^\d/.test(n)) n = `n${n}`;
  if (perS) n += "_per_s";
  if (pct) n += "_pct";
  return n;
}

const HUMAN = /^([-+]?\d+(?:[.,]\d+)?)([BkKMGTPE])$/;
const POWERS: Record<string, number> = { B: 0, k: 1, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/**
 * Reads a value as sysstat prints it, `--human` included: `12.50`, `12,50`, `82.9%`, and sizes
 * with a suffix (`396.0k`, `1.5G`). A size is returned in the unit of its column: `base` is the
 * column's unit as a power of 1024 (1 for kB columns, 2 for MB columns, 0 for bytes).
 * Returns undefined when the token is not a number.
 */
export function sysstatNumber(token: string | undefined, base = 0): number | undefined {
  if (token === undefined) return undefined;
  let t = token;
  if (t.endsWith("%")) t = t.slice(0, -1);
  const plain = num(t);
  if (plain !== undefined) return plain;
  const m = HUMAN.exec(t);
  if (!m) return undefined;
  const v = num(m[1]);
  if (v === undefined) return undefined;
  return round(v * 1024 ** (POWERS[m[2]] - base));
}

/** Rounds to 6 significant decimals so that converted values stay readable in JSON. */
export function round(v: number, digits = 6): number {
  const f = digits === 6 ? 1e6 : 10 ** digits;
  return Math.round(v * f) / f;
}

/** The unit of a sysstat column as a power of 1024, for `--human` values (kB → 1, MB → 2). */
export function columnBase(name: string): number {
  if (/kB|^kb|areq-sz$/.test(name)) return 1;
  if (/MB|^mb/i.test(name)) return 2;
  return 0;
}
