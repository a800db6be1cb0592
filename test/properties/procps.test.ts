import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFree } from "../../src/parsers/free.js";
import { parseVmstat } from "../../src/parsers/vmstat.js";
import { dec, parseCut, parseText, RUNS, right, truncateLastLine } from "./render.js";

/** procps `vmstat` and `free`, as procps 3.2, procps-ng 3.3 and procps-ng 4 print them. */

const count = fc.oneof(
  fc.integer({ min: 0, max: 99 }),
  fc.integer({ min: 0, max: 99_999 }),
  fc.integer({ min: 0, max: 2 ** 40 }),
);
const pct = fc.integer({ min: 0, max: 100 });

const VMSTAT = {
  /** procps-ng 3.3 */
  classic: [
    "r",
    "b",
    "swpd",
    "free",
    "buff",
    "cache",
    "si",
    "so",
    "bi",
    "bo",
    "in",
    "cs",
    "us",
    "sy",
    "id",
    "wa",
    "st",
  ],
  /** procps 3.2 before steal time */
  nosteal: [
    "r",
    "b",
    "swpd",
    "free",
    "buff",
    "cache",
    "si",
    "so",
    "bi",
    "bo",
    "in",
    "cs",
    "us",
    "sy",
    "id",
    "wa",
  ],
  /** -a */
  active: [
    "r",
    "b",
    "swpd",
    "free",
    "inact",
    "active",
    "si",
    "so",
    "bi",
    "bo",
    "in",
    "cs",
    "us",
    "sy",
    "id",
    "wa",
    "st",
  ],
  /** procps-ng 4.0.3: guest time */
  guest: [
    "r",
    "b",
    "swpd",
    "free",
    "buff",
    "cache",
    "si",
    "so",
    "bi",
    "bo",
    "in",
    "cs",
    "us",
    "sy",
    "id",
    "wa",
    "st",
    "gu",
  ],
};
const CPU = new Set(["us", "sy", "id", "wa", "st", "gu"]);

const vmstatRun = fc
  .record({
    layout: fc.constantFrom(...(Object.keys(VMSTAT) as (keyof typeof VMSTAT)[])),
    wide: fc.boolean(),
    timestamps: fc.boolean(),
    rows: fc.integer({ min: 1, max: 8 }),
    reheaderEvery: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 4 }),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      values: fc.array(fc.tuple(...VMSTAT[shape.layout].map((c) => (CPU.has(c) ? pct : count))), {
        minLength: shape.rows,
        maxLength: shape.rows,
      }),
    }),
  );

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe("vmstat: generated rows parse back", () => {
  it("every row (since boot first), the means over the window, -a/-w/-t/gu variants", () => {
    fc.assert(
      fc.property(vmstatRun, ({ shape, values }) => {
        const columns = VMSTAT[shape.layout];
        const w = shape.wide ? 12 : 6;
        const groups = shape.wide
          ? "--procs-- -----------------------memory---------------------- ---swap-- -----io---- -system-- --------cpu--------"
          : "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----";
        const head = [
          `${groups}${shape.timestamps ? " -----timestamp-----" : ""}`,
          `${columns.map((c) => right(c, CPU.has(c) ? 3 : w)).join(" ")}${shape.timestamps ? "                 UTC" : ""}`,
        ];
        const out = [...head];
        const expected: Record<string, unknown>[] = [];
        values.forEach((row, i) => {
          if (i > 0 && shape.reheaderEvery && i % shape.reheaderEvery === 0) out.push(...head);
          const time = `2026-11-30 13:29:${String(i % 60).padStart(2, "0")}`;
          out.push(
            `${row.map((v, k) => right(String(v), CPU.has(columns[k]) ? 3 : w)).join(" ")}${shape.timestamps ? ` ${time}` : ""}`,
          );
          const facts: Record<string, unknown> = {};
          if (i === 0) facts.since_boot = true;
          columns.forEach((c, k) => {
            facts[c] = row[k];
          });
          if (shape.timestamps) Object.assign(facts, { timestamp: time, tz: "UTC" });
          expected.push(facts);
        });
        let text = out.join("\n");
        let lastLine = 0;
        if (shape.truncate !== null) ({ text, lastLine } = truncateLastLine(text, shape.truncate));

        const { facts, problems } = parseText(parseVmstat, text);
        if (shape.truncate !== null) {
          const whole = expected.slice(0, -1);
          expect(facts.rows.slice(0, whole.length)).toEqual(whole);
          if (facts.rows.length === whole.length) {
            expect(problems.map((p) => p.line)).toEqual([lastLine]);
          } else expect(facts.rows.length).toBe(expected.length);
          return;
        }
        expect(problems).toEqual([]);
        expect(facts.rows).toEqual(expected);
        const window = expected.length > 1 ? expected.slice(1) : expected;
        const col = (k: string) => window.map((r) => r[k] as number);
        expect(facts.samples).toBe(window.length);
        expect(facts.r_mean).toBeCloseTo(mean(col("r")), 1);
        expect(facts.r_max).toBe(Math.max(...col("r")));
        expect(facts.wa_pct).toBeCloseTo(mean(col("wa")), 1);
        expect(facts.wa_pct_max).toBe(Math.max(...col("wa")));
        expect(facts.cs_per_s).toBeCloseTo(mean(col("cs")), 1);
        expect(facts.free_min).toBe(Math.min(...expected.map((r) => r.free as number)));
        if (columns.includes("st")) expect(facts.st_pct_max).toBe(Math.max(...col("st")));
        if (expected.length === 1) expect(facts.means_since_boot).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

// --- free ------------------------------------------------------------------------------------

/** Memory in KiB as the kernel counts it (free prints KiB by default, bytes with -b). */
const kib = fc.integer({ min: 0, max: 2 ** 36 });

const freeRun = fc.record({
  layout: fc.constantFrom("ng", "wide", "old"),
  unit: fc.constantFrom("bytes", "KiB", "MiB-command", "human"),
  total: fc.integer({ min: 1 << 14, max: 2 ** 36 }),
  used: kib,
  free: kib,
  shared: kib,
  buffers: kib,
  cache: kib,
  available: kib,
  swap: fc.option(fc.tuple(fc.integer({ min: 1, max: 2 ** 30 }), kib), { nil: undefined }),
  totals: fc.boolean(),
  comma: fc.boolean(),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 5, nil: undefined }),
  /** free -h: the values printed with one decimal and a unit, as mantissa tenths and power. */
  human: fc.array(fc.tuple(fc.integer({ min: 0, max: 10_230 }), fc.integer({ min: 1, max: 4 })), {
    minLength: 16,
    maxLength: 16,
  }),
});

describe("free: generated tables parse back, in bytes", () => {
  it("procps 3.2 (-/+ buffers/cache), procps-ng (buff/cache) and -w, in bytes, KiB, MiB and -h", () => {
    fc.assert(
      fc.property(freeRun, (g) => {
        // In KiB a realistic table has some value that is not a whole MiB (else it reads as -b).
        const mem = [g.total, g.used, g.free, g.shared, g.buffers, g.cache, g.available].map(
          (v, i) => (g.unit === "KiB" && i === 0 ? v * 4 + 3 : v),
        );
        const [total, used, free, shared, buffers, cache, available] = mem;
        const swap = g.swap ? [g.swap[0] + g.swap[1], g.swap[0], g.swap[1]] : [0, 0, 0];
        const human: string[] = [];
        const humanBytes: number[] = [];
        for (const [tenths, power] of g.human) {
          human.push(`${dec(tenths / 10, 1, g.comma)}${"BKMGT"[power]}i`);
          humanBytes.push(Math.round((tenths / 10) * 1024 ** power));
        }
        let next = 0;
        const print = (v: number): [string, number] => {
          if (g.unit === "human") {
            const i = next++;
            return [human[i], humanBytes[i]];
          }
          if (g.unit === "bytes") return [String(v * 1024), v * 1024];
          if (g.unit === "MiB-command") return [String(v), v * 1024 * 1024];
          return [String(v), v * 1024];
        };
        const out: string[] = [];
        const expected: Record<string, number | string | boolean> = {};
        if (g.unit === "MiB-command") out.push("$ free -m");
        const put = (prefix: string, keys: string[], values: number[]) => {
          const cells = values.map((v, i) => {
            const [text, bytes] = print(v);
            expected[`${prefix}_${keys[i]}_bytes`] = bytes;
            return right(text, 11);
          });
          return cells.join(" ");
        };
        if (g.layout === "old") {
          out.push("             total       used       free     shared    buffers     cached");
          out.push(
            `Mem:  ${put("mem", ["total", "used", "free", "shared", "buffers", "cache"], [total, used, free, shared, buffers, cache])}`,
          );
          out.push(`-/+ buffers/cache: ${put("buffers_cache", ["used", "free"], [used, free])}`);
        } else if (g.layout === "wide") {
          out.push(
            "               total        used        free      shared     buffers       cache   available",
          );
          out.push(
            `Mem:  ${put("mem", ["total", "used", "free", "shared", "buffers", "cache", "available"], [total, used, free, shared, buffers, cache, available])}`,
          );
        } else {
          out.push(
            "               total        used        free      shared  buff/cache   available",
          );
          out.push(
            `Mem:  ${put("mem", ["total", "used", "free", "shared", "buff_cache", "available"], [total, used, free, shared, buffers + cache, available])}`,
          );
        }
        out.push(`Swap: ${put("swap", ["total", "used", "free"], swap)}`);
        if (g.totals) {
          out.push(
            `Total: ${put("total", ["total", "used", "free"], [total + swap[0], used + swap[1], free + swap[2]])}`,
          );
        }
        if (g.truncate !== undefined) {
          // A cut last row (Swap: or Total:) loses its values, never the Mem: row's.
          const cut = parseCut(parseFree, truncateLastLine(out.join("\n"), g.truncate).text);
          const mem = Object.keys(expected).filter((k) => k.startsWith("mem_"));
          const got = cut?.facts as unknown as Record<string, unknown> | undefined;
          for (const k of mem) expect(got?.[k]).toBe(expected[k]);
          return;
        }
        const { facts, problems } = parseText(parseFree, out.join("\n"));

        const b = expected as Record<string, number>;
        if (b.mem_buff_cache_bytes === undefined) {
          b.mem_buff_cache_bytes = b.mem_buffers_bytes + b.mem_cache_bytes;
        }
        if (b.mem_available_bytes === undefined) {
          b.mem_available_bytes = b.mem_free_bytes + b.mem_buff_cache_bytes;
          expected.mem_available_estimated = true;
        }
        const got = facts as unknown as Record<string, unknown>;
        const { unit, unit_source, mem_available_pct, swap_used_pct, ...values } = got;
        expect(values).toEqual(expected);
        expect(unit).toBe(
          { bytes: "bytes", KiB: "KiB", "MiB-command": "MiB", human: "human" }[g.unit],
        );
        // The pasted prompt (`$ free -m`) gives the unit: read, not a problem.
        expect(problems.length).toBe(0);
        if (b.mem_total_bytes > 0) {
          // Within 0.05 points, or a relative 1e-12 where a generated table makes it huge.
          const want = (b.mem_available_bytes / b.mem_total_bytes) * 100;
          expect(Math.abs((mem_available_pct as number) - want)).toBeLessThanOrEqual(
            Math.max(0.05, Math.abs(want) * 1e-12),
          );
        }
        if (b.swap_total_bytes > 0) {
          expect(swap_used_pct).toBeCloseTo((b.swap_used_bytes / b.swap_total_bytes) * 100, 1);
        } else expect(swap_used_pct).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
