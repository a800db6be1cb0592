/**
 * Numbers in a model's text, checked against the numbers of the document it was given.
 *
 * A number in the text is grounded when one of these holds:
 * - it is a whole number from 0 to 10 written without a unit or decimals (a count or an
 *   ordinal: "2 of 3 collectors", "the 2nd device");
 * - some number of the document, converted to the text's unit, rounds to it at the precision
 *   the text shows ("38 ms" and "0.04 s" both match 38.46 ms; "38.5 ms" matches it, "39 ms" and
 *   "38.4 ms" do not). Units: time ns/µs/ms/s/min/h; size B, kB/KB/K, KiB, MB/M, MiB, GB/G, GiB,
 *   TB/T, TiB (kB, MB, GB, TB are read both as powers of 1000 and of 1024, since free, ps and
 *   /proc/meminfo print kB for KiB); percent, which also matches a document fraction 0..1 times
 *   100. A document number without a unit matches a text number at face value, whatever the
 *   text's unit; a document number with a unit never matches a text number of another dimension.
 * Not checked: digits inside a name (`sda1`, `eth0`, `x86_64`, `/dev/nvme0n1`, `rule#2`), i.e. a
 * number right after a letter, digit, `_`, `#`, `/`, `.` or `-`; and dotted runs of three numbers
 * or more (addresses, versions: `10.0.0.1`, `5.15.0`).
 */

type Dimension = "time" | "size" | "percent";

interface UnitInfo {
  dimension: Dimension;
  /** Factors to the base unit (ms, byte, percent); two for kB/MB/GB/TB. */
  factors: number[];
}

const K = 1000;
const Ki = 1024;
const UNITS: Record<string, UnitInfo> = {};
function unit(names: string[], dimension: Dimension, ...factors: number[]) {
  for (const n of names) UNITS[n] = { dimension, factors };
}
unit(["ns", "nanoseconds", "nanosecond"], "time", 1e-6);
unit(["µs", "μs", "us", "usec", "usecs", "microseconds", "microsecond"], "time", 1e-3);
unit(["ms", "msec", "msecs", "milliseconds", "millisecond"], "time", 1);
unit(["s", "sec", "secs", "seconds", "second"], "time", 1000);
unit(["min", "mins", "minutes", "minute"], "time", 60_000);
unit(["h", "hours", "hour"], "time", 3_600_000);
unit(["B", "bytes", "byte"], "size", 1);
unit(["kB", "KB", "K", "k"], "size", K, Ki);
unit(["KiB"], "size", Ki);
unit(["MB", "M"], "size", K ** 2, Ki ** 2);
unit(["MiB"], "size", Ki ** 2);
unit(["GB", "G"], "size", K ** 3, Ki ** 3);
unit(["GiB"], "size", Ki ** 3);
unit(["TB", "T"], "size", K ** 4, Ki ** 4);
unit(["TiB"], "size", Ki ** 4);
unit(["%", "percent", "pct"], "percent", 1);

/** Unit suffixes of fact names (`util_pct`, `await_ms`, `rss_kb`) → the unit of their value. */
const FACT_SUFFIX_UNITS: [RegExp, string][] = [
  [/(?:_|\b)pct$|percent$/i, "%"],
  [/(?:^|_)ms$|Ms$/, "ms"],
  [/(?:^|_)us$/i, "µs"],
  [/(?:^|_)(?:s|sec|secs|seconds)$/i, "s"],
  [/_(?:kb|kib)$/i, "KiB"],
  [/_(?:mb|mib)$/i, "MiB"],
  [/_(?:gb|gib)$/i, "GiB"],
  [/_bytes$/i, "B"],
];

/** One number as written: its value, decimals shown, and unit (if one follows it). */
export interface WrittenNumber {
  raw: string;
  value: number;
  decimals: number;
  unit?: UnitInfo;
}

const UNIT_ALTERNATION = Object.keys(UNITS)
  .sort((a, b) => b.length - a.length)
  .join("|");

/**
 * A number (thousands separated by commas allowed), not right after a name character, then an
 * optional unit that is not the start of a longer word.
 */
const NUMBER_RE = new RegExp(
  `(?<![\\p{L}\\p{N}_#/.\\-])(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d+))?(?!\\d|\\.\\d)(?:\\s?(${UNIT_ALTERNATION})(?![\\p{L}\\p{N}]))?`,
  "gu",
);

/** The numbers a text shows. */
export function numbersIn(text: string): WrittenNumber[] {
  const out: WrittenNumber[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const whole = (m[1] as string).replaceAll(",", "");
    const frac = m[2] ?? "";
    out.push({
      raw: m[0],
      value: Number(frac ? `${whole}.${frac}` : whole),
      decimals: frac.length,
      unit: m[3] ? UNITS[m[3]] : undefined,
    });
  }
  return out;
}

/** A number of the document, with its unit when known. */
export interface KnownNumber {
  value: number;
  unit?: UnitInfo;
}

/** The unit a fact's name implies, if any. */
function factUnit(fact: string | undefined): UnitInfo | undefined {
  if (!fact) return undefined;
  for (const [re, u] of FACT_SUFFIX_UNITS) if (re.test(fact)) return UNITS[u];
  return undefined;
}

/**
 * Every number of a JSON document: numbers (with the unit their key or the sibling `fact`
 * names) and the numbers written inside its strings.
 */
export function documentNumbers(doc: unknown): KnownNumber[] {
  const out: KnownNumber[] = [];
  const walk = (v: unknown, unitHint?: UnitInfo): void => {
    if (typeof v === "number" && Number.isFinite(v)) out.push({ value: v, unit: unitHint });
    else if (typeof v === "string") {
      for (const n of numbersIn(v)) out.push({ value: n.value, unit: n.unit });
      // Dates, times, addresses and versions: each piece counts on its own, without a unit.
      for (const m of v.matchAll(/\d+(?:[.:/T-]\d+){2,}/g)) {
        for (const piece of m[0].split(/\D/)) out.push({ value: Number(piece) });
      }
    } else if (Array.isArray(v)) for (const x of v) walk(x, unitHint);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const fromFact = factUnit(typeof o.fact === "string" ? o.fact : undefined);
      for (const [k, x] of Object.entries(o)) {
        walk(x, k === "value" ? (fromFact ?? unitHint) : (factUnit(k) ?? unitHint));
      }
    }
  };
  walk(doc);
  return out;
}

function roundsTo(value: number, decimals: number, shown: number): boolean {
  const p = 10 ** decimals;
  return Math.abs(Math.round(Math.abs(value) * p) / p - shown) < 1e-9 * Math.max(1, shown);
}

/** Whether a document number, read in the text's unit, is the number the text shows. */
function matches(shown: WrittenNumber, known: KnownNumber): boolean {
  if (!shown.unit || !known.unit) return roundsTo(known.value, shown.decimals, shown.value);
  if (shown.unit.dimension !== known.unit.dimension) return false;
  for (const from of known.unit.factors) {
    for (const to of shown.unit.factors) {
      if (roundsTo((known.value * from) / to, shown.decimals, shown.value)) return true;
    }
  }
  return false;
}

/** True for a number the text may show without the document holding it (counts 0..10). */
function isSmallCount(n: WrittenNumber): boolean {
  return !n.unit && n.decimals === 0 && Number.isInteger(n.value) && n.value <= 10;
}

/** The numbers of `text` that no number of the document grounds (empty = all grounded). */
export function ungroundedNumbers(text: string, known: readonly KnownNumber[]): string[] {
  const fractions = known
    .filter((k) => !k.unit && k.value > 0 && k.value < 1)
    .map((k) => ({ value: k.value * 100, unit: UNITS["%"] }));
  const all = [...known, ...fractions];
  return numbersIn(text)
    .filter((n) => !isSmallCount(n) && !all.some((k) => matches(n, k)))
    .map((n) => n.raw.trim());
}
