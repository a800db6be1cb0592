import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMpstat } from "../../src/parsers/mpstat.js";
import { parseStrace } from "../../src/parsers/strace.js";
import {
  dec,
  left,
  parseCut,
  parseText,
  pctHundredths,
  permutationKeys,
  permute,
  RUNS,
  right,
  truncateLastLine,
} from "./render.js";

/** `mpstat -P ALL` (sysstat 8 to 12) and `strace -c` (strace 4 to 6, `-U` column lists). */

const MPSTAT_COLUMNS = {
  12: ["%usr", "%nice", "%sys", "%iowait", "%irq", "%soft", "%steal", "%guest", "%gnice", "%idle"],
  9: ["%usr", "%nice", "%sys", "%iowait", "%irq", "%soft", "%steal", "%guest", "%idle"],
  8: ["%user", "%nice", "%sys", "%iowait", "%irq", "%soft", "%steal", "%idle", "intr/s"],
};
const KEY: Record<string, string> = {
  "%usr": "usr_pct",
  "%user": "usr_pct",
  "%nice": "nice_pct",
  "%sys": "sys_pct",
  "%iowait": "iowait_pct",
  "%irq": "irq_pct",
  "%soft": "soft_pct",
  "%steal": "steal_pct",
  "%guest": "guest_pct",
  "%gnice": "gnice_pct",
  "%idle": "idle_pct",
  "intr/s": "intr_per_s",
};

const mpstatRun = fc
  .record({
    version: fc.constantFrom(12, 9, 8),
    cpus: fc.integer({ min: 1, max: 6 }),
    intervals: fc.integer({ min: 1, max: 4 }),
    ampm: fc.boolean(),
    comma: fc.boolean(),
    average: fc.boolean(),
    truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), {
      freq: 5,
      nil: undefined,
    }),
    start: fc.integer({ min: 0, max: 86_399 - 10 }),
  })
  .chain((shape) => {
    const width = MPSTAT_COLUMNS[shape.version as 12 | 9 | 8].length;
    const rows = (shape.intervals + (shape.average ? 1 : 0)) * (shape.cpus + 1);
    return fc.record({
      shape: fc.constant(shape),
      values: fc.array(fc.array(pctHundredths, { minLength: width, maxLength: width }), {
        minLength: rows,
        maxLength: rows,
      }),
    });
  });

function clock(seconds: number, ampm: boolean): [printed: string, h24: string] {
  const h = Math.floor(seconds / 3600);
  const m = String(Math.floor(seconds / 60) % 60).padStart(2, "0");
  const s = String(seconds % 60).padStart(2, "0");
  const h24 = `${String(h).padStart(2, "0")}:${m}:${s}`;
  if (!ampm) return [h24, h24];
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return [`${String(h12).padStart(2, "0")}:${m}:${s} ${h < 12 ? "AM" : "PM"}`, h24];
}

describe("mpstat -P ALL: generated intervals parse back", () => {
  it("every CPU row of every interval and the Average block, 12- or 24-hour stamps", () => {
    fc.assert(
      fc.property(mpstatRun, ({ shape, values }) => {
        const columns = MPSTAT_COLUMNS[shape.version as 12 | 9 | 8];
        const out = [
          `Linux 6.1.0-28-amd64 (db-7) \t11/30/2026 \t_x86_64_\t(${shape.cpus} CPU)`,
          "",
        ];
        const cpu: Record<string, unknown>[] = [];
        const average: Record<string, unknown>[] = [];
        let v = 0;
        const block = (
          stamp: string,
          time: string | undefined,
          into: Record<string, unknown>[],
        ) => {
          out.push(`${left(stamp, 12)} CPU ${columns.map((c) => right(c, 7)).join(" ")}`);
          for (let c = -1; c < shape.cpus; c++) {
            const id = c < 0 ? "all" : String(c);
            const row = values[v++];
            out.push(
              `${left(stamp, 12)} ${right(id, 3)} ${row.map((h) => right(dec(h / 100, 2, shape.comma), 7)).join(" ")}`,
            );
            const facts: Record<string, unknown> = {};
            if (time !== undefined) facts.time = time;
            facts.cpu = c < 0 ? "all" : c;
            columns.forEach((col, k) => {
              facts[KEY[col]] = row[k] / 100;
            });
            into.push(facts);
          }
          out.push("");
        };
        const times: string[] = [];
        for (let i = 0; i < shape.intervals; i++) {
          const [printed, h24] = clock(shape.start + i + 1, shape.ampm);
          times.push(h24);
          block(printed, h24, cpu);
        }
        if (shape.average) block("Average:", undefined, average);

        if (shape.truncate !== undefined) {
          // The last row is cut: every row before it is read as it was printed.
          const cut = parseCut(parseMpstat, truncateLastLine(out.join("\n"), shape.truncate).text);
          const rows = [...cpu, ...average].slice(0, -1);
          const got = [...(cut?.facts.cpu ?? []), ...(cut?.facts.cpu_average ?? [])];
          expect(got.slice(0, rows.length)).toEqual(rows);
          return;
        }
        const { facts, problems } = parseText(parseMpstat, out.join("\n"));
        expect(problems).toEqual([]);
        expect(facts.cpu).toEqual(cpu);
        expect(facts.cpu_average).toEqual(average);
        expect(facts.intervals).toBe(new Set(times).size);
        expect(facts.cpu_count).toBe(shape.cpus);
        const all = shape.average
          ? average[0]
          : Object.fromEntries(
              ["usr_pct", "idle_pct"].map((k) => {
                const xs = cpu.filter((r) => r.cpu === "all").map((r) => r[k] as number);
                return [k, xs.reduce((a, b) => a + b, 0) / xs.length];
              }),
            );
        expect(facts.summary?.usr_pct).toBeCloseTo(all.usr_pct as number, 1);
        expect(facts.summary?.idle_pct).toBeCloseTo(all.idle_pct as number, 1);
        const perCpu = (shape.average ? average : cpu).filter((r) => r.cpu !== "all");
        const busiest = perCpu.reduce((a, b) =>
          (b.idle_pct as number) < (a.idle_pct as number) ? b : a,
        );
        expect(facts.summary?.busiest_cpu).toBe(busiest.cpu);
      }),
      { numRuns: RUNS },
    );
  });
});

// --- strace -c -------------------------------------------------------------------------------

/** strace's summary columns: header text, `-U` name, and the fact key (strace src/count.c). */
const STRACE_COLUMNS = [
  ["% time", "time-percent", "time_pct"],
  ["seconds", "total-time", "seconds"],
  ["usecs/call", "avg-time", "usecs_per_call"],
  ["calls", "calls", "calls"],
  ["errors", "errors", "errors"],
  ["syscall", "name", "syscall"],
] as const;

const SYSCALLS = [
  "futex",
  "read",
  "write",
  "epoll_wait",
  "close",
  "openat",
  "wait4",
  "mmap",
  "recvfrom",
  "sendto",
  "_llseek",
  "newfstatat",
  "clock_nanosleep",
  "io_uring_enter",
];

const straceRun = fc.record({
  calls: fc.uniqueArray(
    fc.record({
      syscall: fc.constantFrom(...SYSCALLS),
      calls: fc.integer({ min: 1, max: 10_000_000 }),
      errorShare: fc.double({ min: 0, max: 1, noNaN: true }),
      usecs: fc.integer({ min: 0, max: 10_000_000 }), // total microseconds
    }),
    { selector: (c) => c.syscall, minLength: 1, maxLength: 10 },
  ),
  errorsColumn: fc.boolean(),
  customOrder: fc.boolean(),
  order: permutationKeys(6),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 5, nil: undefined }),
});

describe("strace -c: generated summaries parse back", () => {
  it("every row, the total and the dominant call; blank errors, no errors column, -U orders", () => {
    fc.assert(
      fc.property(straceRun, (g) => {
        const all = g.errorsColumn
          ? STRACE_COLUMNS
          : STRACE_COLUMNS.filter((c) => c[2] !== "errors");
        const columns = g.customOrder ? permute(all, g.order) : [...all];
        const totalUs = g.calls.reduce((a, c) => a + c.usecs, 0);
        const rows = g.calls
          .map((c) => ({
            syscall: c.syscall,
            calls: c.calls,
            errors: g.errorsColumn ? Math.floor(c.calls * c.errorShare) : 0,
            seconds: c.usecs / 1e6,
            usecs_per_call: Math.round(c.usecs / c.calls),
            time_pct: totalUs > 0 ? Math.round((c.usecs / totalUs) * 10_000) / 100 : 0,
          }))
          .sort((a, b) => b.seconds - a.seconds);
        const calls = rows.reduce((a, r) => a + r.calls, 0);
        const errors = rows.reduce((a, r) => a + r.errors, 0);
        const total = {
          syscall: "total",
          calls,
          errors,
          seconds: totalUs / 1e6,
          usecs_per_call: Math.round(totalUs / calls),
          time_pct: 100,
        };
        const cell = (r: typeof total, key: string): string => {
          if (key === "time_pct") return r.time_pct.toFixed(2);
          if (key === "seconds") return r.seconds.toFixed(6);
          if (key === "errors")
            return r.errors === 0 && r.syscall !== "total" ? "" : String(r.errors);
          return String(r[key as keyof typeof r]);
        };
        const widths = columns.map((c) => Math.max(c[0].length, 11));
        const line = (cells: string[]) =>
          cells
            .map((c, i) => (columns[i][2] === "syscall" ? left(c, widths[i]) : right(c, widths[i])))
            .join(" ")
            .trimEnd();
        const rule = line(widths.map((w) => "-".repeat(w)));
        const out = [line(columns.map((c) => c[0])), rule];
        for (const r of rows) out.push(line(columns.map((c) => cell(r, c[2]))));
        out.push(rule, line(columns.map((c) => cell(total, c[2]))));
        const text = out.join("\n");

        const expectedRows = rows.map((r) => ({
          ...r,
          call_pct: Math.round((r.calls / calls) * 10_000) / 100,
        }));
        if (g.truncate !== undefined) {
          // The cut is in the total line: every system call row is whole (its share of calls
          // is only known from a whole total), and the cut total is never a system call.
          const cut = parseCut(parseStrace, truncateLastLine(text, g.truncate).text);
          const shares = (list: { call_pct?: number }[]) => list.map(({ call_pct, ...r }) => r);
          expect(shares(cut?.facts.syscalls ?? [])).toEqual(shares(expectedRows));
          return;
        }
        const { facts, problems } = parseText(parseStrace, text);
        expect(problems).toEqual([]);
        expect(facts.source).toBe("summary");
        expect(facts.syscalls).toEqual(expectedRows);
        expect(facts.total).toEqual({
          calls,
          errors,
          seconds: totalUs / 1e6,
          usecs_per_call: Math.round(totalUs / calls),
        });
        const byTime = totalUs > 0;
        const top = expectedRows.reduce((a, b) =>
          (byTime ? b.time_pct > a.time_pct : b.call_pct > a.call_pct) ? b : a,
        );
        expect(facts.dominant).toMatchObject({
          syscall: top.syscall,
          by: byTime ? "time" : "calls",
        });
      }),
      { numRuns: RUNS },
    );
  });
});
