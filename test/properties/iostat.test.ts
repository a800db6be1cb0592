import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type IostatDeviceRow, parseIostat } from "../../src/parsers/iostat.js";
import {
  dec,
  hundredths,
  left,
  names,
  parseText,
  pctHundredths,
  permutationKeys,
  permute,
  RUNS,
  right,
  truncateLastLine,
} from "./render.js";

/**
 * `iostat -x` as sysstat 9 to 12 print it. Each column: its header, the fact key and the
 * factor from the printed value to the key's unit (iostat(1): sectors are 512 bytes, MB are
 * 1024 kB). Values are generated in hundredths, as iostat prints them.
 */
type Column = [header: string, key: string, factor: 1 | 0.5 | 1024];

const C: Record<string, Column> = {
  "r/s": ["r/s", "r_per_s", 1],
  "w/s": ["w/s", "w_per_s", 1],
  "d/s": ["d/s", "d_per_s", 1],
  "f/s": ["f/s", "f_per_s", 1],
  "rkB/s": ["rkB/s", "r_kb_per_s", 1],
  "wkB/s": ["wkB/s", "w_kb_per_s", 1],
  "dkB/s": ["dkB/s", "d_kb_per_s", 1],
  "rMB/s": ["rMB/s", "r_kb_per_s", 1024],
  "wMB/s": ["wMB/s", "w_kb_per_s", 1024],
  "rsec/s": ["rsec/s", "r_kb_per_s", 0.5],
  "wsec/s": ["wsec/s", "w_kb_per_s", 0.5],
  "rrqm/s": ["rrqm/s", "rrqm_per_s", 1],
  "wrqm/s": ["wrqm/s", "wrqm_per_s", 1],
  "drqm/s": ["drqm/s", "drqm_per_s", 1],
  "%rrqm": ["%rrqm", "rrqm_pct", 1],
  "%wrqm": ["%wrqm", "wrqm_pct", 1],
  "%drqm": ["%drqm", "drqm_pct", 1],
  r_await: ["r_await", "r_await_ms", 1],
  w_await: ["w_await", "w_await_ms", 1],
  d_await: ["d_await", "d_await_ms", 1],
  f_await: ["f_await", "f_await_ms", 1],
  await: ["await", "await_ms", 1],
  "rareq-sz": ["rareq-sz", "rareq_sz_kb", 1],
  "wareq-sz": ["wareq-sz", "wareq_sz_kb", 1],
  "dareq-sz": ["dareq-sz", "dareq_sz_kb", 1],
  "avgrq-sz": ["avgrq-sz", "avgrq_sz_sectors", 1],
  "avgqu-sz": ["avgqu-sz", "aqu_sz", 1],
  "aqu-sz": ["aqu-sz", "aqu_sz", 1],
  svctm: ["svctm", "svctm_ms", 1],
  "%util": ["%util", "util_pct", 1],
  // A column this parser has no name for (a later sysstat): kept under its own name.
  "%xyz": ["%xyz", "xyz_pct", 1],
};

/** The column sets of sysstat versions, in their order, with the device header they print. */
const VERSIONS: { name: string; device: string; columns: string[] }[] = [
  {
    name: "sysstat 12",
    device: "Device",
    columns: [
      ...["r/s", "rkB/s", "rrqm/s", "%rrqm", "r_await", "rareq-sz"],
      ...["w/s", "wkB/s", "wrqm/s", "%wrqm", "w_await", "wareq-sz"],
      ...["d/s", "dkB/s", "drqm/s", "%drqm", "d_await", "dareq-sz"],
      ...["f/s", "f_await", "aqu-sz", "%util"],
    ],
  },
  {
    name: "sysstat 11",
    device: "Device",
    columns: [
      ...["r/s", "w/s", "rkB/s", "wkB/s", "rrqm/s", "wrqm/s", "%rrqm", "%wrqm"],
      ...["r_await", "w_await", "aqu-sz", "rareq-sz", "wareq-sz", "svctm", "%util"],
    ],
  },
  {
    name: "sysstat 10",
    device: "Device:",
    columns: [
      ...["rrqm/s", "wrqm/s", "r/s", "w/s", "rkB/s", "wkB/s", "avgrq-sz", "avgqu-sz"],
      ...["await", "r_await", "w_await", "svctm", "%util"],
    ],
  },
  {
    name: "sysstat 10 -m",
    device: "Device:",
    columns: [
      ...["rrqm/s", "wrqm/s", "r/s", "w/s", "rMB/s", "wMB/s", "avgrq-sz", "avgqu-sz"],
      ...["await", "r_await", "w_await", "svctm", "%util"],
    ],
  },
  {
    name: "sysstat 9 (sectors)",
    device: "Device:",
    columns: [
      ...["rrqm/s", "wrqm/s", "r/s", "w/s", "rsec/s", "wsec/s", "avgrq-sz", "avgqu-sz"],
      ...["await", "svctm", "%util"],
    ],
  },
];

const CPU_COLUMNS = ["%user", "%nice", "%system", "%iowait", "%steal", "%idle"];
const CPU_KEYS = ["user_pct", "nice_pct", "system_pct", "iowait_pct", "steal_pct", "idle_pct"];

/** A printed value (hundredths) in the unit of the key. */
function inUnit(h: number, factor: Column[2]): number {
  return factor === 0.5 ? h / 200 : (h * factor) / 100;
}

const run = fc
  .record({
    version: fc.integer({ min: 0, max: VERSIONS.length - 1 }),
    extraColumn: fc.boolean(),
    permuted: fc.boolean(),
    comma: fc.boolean(),
    stamps: fc.constantFrom("none", "locale", "iso"),
    devices: names(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), 1, 5),
    reports: fc.integer({ min: 1, max: 4 }),
    truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 3 }),
  })
  .chain((shape) => {
    const columns = [...VERSIONS[shape.version].columns, ...(shape.extraColumn ? ["%xyz"] : [])];
    const width = columns.length;
    return fc.record({
      shape: fc.constant(shape),
      columns: fc.constant(columns),
      order: permutationKeys(width),
      // values[report][device][column], hundredths; %util and the like stay percentages
      values: fc.array(
        fc.array(
          fc.tuple(...columns.map((c) => (c.startsWith("%") ? pctHundredths : hundredths))),
          { minLength: shape.devices.length, maxLength: shape.devices.length },
        ),
        { minLength: shape.reports, maxLength: shape.reports },
      ),
      cpu: fc.array(fc.tuple(...CPU_COLUMNS.map(() => pctHundredths)), {
        minLength: shape.reports,
        maxLength: shape.reports,
      }),
      widths: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: width, maxLength: width }),
    });
  });

function stamp(kind: string, report: number): string | undefined {
  const s = String(report % 60).padStart(2, "0");
  if (kind === "locale") return `11/30/2026 01:02:${s} PM`;
  if (kind === "iso") return `2026-11-30T13:02:${s}+0100`;
  return undefined;
}

describe("iostat -x: generated reports parse back to their facts", () => {
  it("every device row, avg-cpu row and summary, in any sysstat column set", () => {
    fc.assert(
      fc.property(run, ({ shape, columns: tool, order, values, cpu, widths }) => {
        const columns = shape.permuted ? permute(tool, order) : tool;
        const where = columns.map((c) => tool.indexOf(c));
        const version = VERSIONS[shape.version];
        const out: string[] = ["Linux 6.1.0-28-amd64 (db-7) \t11/30/2026 \t_x86_64_\t(4 CPU)", ""];
        const expectedCpu: Record<string, unknown>[] = [];
        const expected: Record<string, unknown>[] = [];
        for (let r = 0; r < shape.reports; r++) {
          const time = stamp(shape.stamps, r);
          if (time) out.push(time);
          out.push(`avg-cpu:  ${CPU_COLUMNS.map((c) => right(c, 7)).join(" ")}`);
          out.push(
            `         ${cpu[r].map((h) => right(dec(h / 100, 2, shape.comma), 7)).join(" ")}`,
          );
          out.push("");
          const cpuRow: Record<string, unknown> = { report: r };
          if (time) cpuRow.time = time;
          CPU_KEYS.forEach((k, i) => {
            cpuRow[k] = cpu[r][i] / 100;
          });
          if (r === 0) cpuRow.since_boot = true;
          expectedCpu.push(cpuRow);
          out.push(
            `${left(version.device, 14)}${columns.map((c, i) => right(c, 8 + widths[i])).join(" ")}`,
          );
          shape.devices.forEach((device, d) => {
            const printed = where.map((w) => values[r][d][w]);
            out.push(
              `${left(device, 14)}${printed
                .map((h, i) => right(dec(h / 100, 2, shape.comma), 8 + widths[i]))
                .join(" ")}`,
            );
            const row: Record<string, unknown> = { report: r, device };
            if (time) row.time = time;
            for (const c of tool) {
              const [, key, factor] = C[c];
              row[key] = inUnit(values[r][d][tool.indexOf(c)], factor);
            }
            if (row.avgrq_sz_sectors !== undefined) {
              row.areq_sz_kb = values[r][d][tool.indexOf("avgrq-sz")] / 200;
            }
            if (row.await_ms === undefined) {
              // iostat(1): await is the mean over all requests; the parser weighs r/w/d awaits.
              let ios = 0;
              let weighted = 0;
              for (const p of ["r", "w", "d"]) {
                const rate = row[`${p}_per_s`] as number | undefined;
                const wait = row[`${p}_await_ms`] as number | undefined;
                if (rate === undefined || wait === undefined) continue;
                ios += rate;
                weighted += rate * wait;
              }
              row.await_ms = ios > 0 ? weighted / ios : 0;
              row.await_computed = true;
            }
            if (r === 0) row.since_boot = true;
            expected.push(row);
          });
          out.push("");
        }
        let text = out.join("\n");
        let lastLine = 0;
        if (shape.truncate !== null) ({ text, lastLine } = truncateLastLine(text, shape.truncate));

        const { facts, problems } = parseText(parseIostat, text);
        const got = facts.devices as IostatDeviceRow[];
        // await_ms computed from rounded values: compare it apart, to 3 decimals.
        const approx = (rows: Record<string, unknown>[], from: IostatDeviceRow[]) =>
          rows.map((row, i) => {
            if (row.await_computed && from[i]) {
              expect(from[i].await_ms).toBeCloseTo(row.await_ms as number, 3);
              return { ...row, await_ms: from[i].await_ms };
            }
            return row;
          });
        expect(facts.reports).toBe(shape.reports);
        expect(facts.cpu).toEqual(expectedCpu);
        if (shape.truncate === null) {
          expect(problems).toEqual([]);
          expect(got).toEqual(approx(expected, got));
        } else {
          // Every row before the cut is exact; the cut row is a problem or (when the cut fell
          // inside its last value) a row of that device.
          const whole = expected.slice(0, -1);
          expect(got.slice(0, whole.length)).toEqual(approx(whole, got));
          if (got.length === whole.length) {
            expect(problems.map((p) => p.line)).toEqual([lastLine]);
          } else {
            expect(got.length).toBe(expected.length);
            expect(got[got.length - 1].device).toBe(expected[expected.length - 1].device);
          }
        }

        // Summaries come from the rows: every report but the first (since boot) when there are
        // several.
        if (shape.truncate === null) {
          const used = expected.filter((r) => shape.reports === 1 || r.report !== 0);
          for (const device of shape.devices) {
            const mine = used.filter((r) => r.device === device);
            const s = facts.summary.find((x) => x.device === device)!;
            const util = mine.map((r) => r.util_pct as number);
            expect(s.samples).toBe(mine.length);
            expect(s.util_pct_max).toBe(Math.max(...util));
            expect(s.util_pct_mean).toBeCloseTo(util.reduce((a, b) => a + b, 0) / util.length, 3);
          }
          expect(facts.summarised_reports).toBe(shape.reports > 1 ? shape.reports - 1 : 1);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
