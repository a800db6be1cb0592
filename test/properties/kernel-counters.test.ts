import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNstat } from "../../src/parsers/nstat.js";
import { type PsiRow, parsePressure } from "../../src/parsers/pressure.js";
import { parseCut, parseText, RUNS, truncateLastLine } from "./render.js";

/** PSI files (kernel Documentation/accounting/psi.rst) and `nstat` (iproute2 misc/nstat.c). */

const avg = fc.integer({ min: 0, max: 10_000 }); // hundredths of a percent
const total = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const psiLine = fc.record({ a10: avg, a60: avg, a300: avg, total });

const cgroupDir = fc.constantFrom(
  "/sys/fs/cgroup",
  "/sys/fs/cgroup/system.slice",
  "/sys/fs/cgroup/system.slice/nginx.service",
  "/sys/fs/cgroup/user.slice/user-1000.slice",
  "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice",
);
const file = fc.oneof(
  fc
    .constantFrom("cpu", "memory", "io", "irq")
    .map((r) => ({ path: `/proc/pressure/${r}`, resource: r, cgroup: null as string | null })),
  fc.tuple(cgroupDir, fc.constantFrom("cpu", "memory", "io")).map(([dir, r]) => ({
    path: `${dir}/${r}.pressure`,
    resource: r,
    cgroup: dir === "/sys/fs/cgroup" ? "/" : dir.slice("/sys/fs/cgroup".length),
  })),
);
const psiFile = fc.record({
  file,
  some: fc.option(psiLine, { nil: undefined }),
  full: fc.option(psiLine, { nil: undefined }),
});

function psiText(kind: string, l: { a10: number; a60: number; a300: number; total: number }) {
  const f = (h: number) => (h / 100).toFixed(2);
  return `${kind} avg10=${f(l.a10)} avg60=${f(l.a60)} avg300=${f(l.a300)} total=${l.total}`;
}

function psiValues(kind: string, l: { a10: number; a60: number; a300: number; total: number }) {
  return {
    [`${kind}_avg10`]: l.a10 / 100,
    [`${kind}_avg60`]: l.a60 / 100,
    [`${kind}_avg300`]: l.a300 / 100,
    [`${kind}_total_us`]: l.total,
  };
}

describe("PSI: generated pressure files parse back", () => {
  it("one unmarked file, or several behind `==> path <==` markers (system-wide and cgroups)", () => {
    fc.assert(
      fc.property(
        fc
          .array(psiFile, { minLength: 1, maxLength: 6 })
          .filter((fs) => fs.some((f) => f.some || f.full)),
        fc.boolean(),
        fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 4, nil: undefined }),
        (files, marked, truncate) => {
          const list = marked ? files : files.slice(0, 1).filter((f) => f.some || f.full);
          if (list.length === 0) return;
          const out: string[] = [];
          const system: PsiRow[] = [];
          const cgroups: PsiRow[] = [];
          list.forEach((f, i) => {
            if (marked) {
              if (i > 0) out.push("");
              out.push(`==> ${f.file.path} <==`);
            }
            if (f.some) out.push(psiText("some", f.some));
            if (f.full) out.push(psiText("full", f.full));
            if (!f.some && !f.full) return; // an empty file is no row
            const row: PsiRow = {
              path: marked ? f.file.path : "",
              resource: marked ? f.file.resource : null,
              cgroup: marked ? f.file.cgroup : null,
              ...(f.some ? psiValues("some", f.some) : {}),
              ...(f.full ? psiValues("full", f.full) : {}),
            };
            (row.cgroup === null ? system : cgroups).push(row);
          });
          const text = out.join("\n");
          if (truncate !== undefined) {
            // Rows before the cut file are exact; a cut of the only line finds nothing.
            const lastPath = list[list.length - 1].file.path;
            const earlier = (rows: PsiRow[]) => rows.filter((r) => marked && r.path !== lastPath);
            const cut = parseCut(parsePressure, truncateLastLine(text, truncate).text);
            expect(earlier(cut?.facts.system ?? [])).toEqual(earlier(system));
            expect(earlier(cut?.facts.cgroups ?? [])).toEqual(earlier(cgroups));
            return;
          }
          const { facts, problems } = parseText(parsePressure, text);
          expect(problems).toEqual([]);
          expect(facts.system).toEqual(system);
          expect(facts.cgroups).toEqual(cgroups);
          const top = system[0];
          for (const k of [
            "some_avg10",
            "some_total_us",
            "full_avg300",
            "full_total_us",
          ] as const) {
            expect(facts[k]).toBe(top?.[k]);
          }
          expect(facts.resource).toBe(top?.resource ?? undefined);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// --- nstat -----------------------------------------------------------------------------------

const counterName = fc
  .tuple(
    fc.constantFrom("Ip", "Icmp", "Tcp", "Udp", "TcpExt", "IpExt", "Ip6", "Udp6"),
    fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,14}$/),
  )
  .map(([a, b]) => a + b);

const nstatRun = fc.record({
  counters: fc.uniqueArray(
    fc.record({
      name: counterName,
      value: fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 2 ** 53 - 1 })),
      rate: fc.integer({ min: 0, max: 99_999 }),
    }),
    { selector: (c) => c.name, minLength: 0, maxLength: 30 },
  ),
  format: fc.constantFrom("text", "json", "pretty-json"),
  kernelHeader: fc.boolean(),
  comma: fc.boolean(),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 4, nil: undefined }),
});

describe("nstat: generated counters parse back", () => {
  it("text (with or without #kernel, rates with a decimal point or comma) and -j / -jp JSON", () => {
    fc.assert(
      fc.property(nstatRun, (g) => {
        const counters = Object.fromEntries(g.counters.map((c) => [c.name, c.value]));
        const rates = Object.fromEntries(g.counters.map((c) => [c.name, c.rate / 10]));
        let text: string;
        if (g.format === "text") {
          const lines = g.kernelHeader || g.counters.length === 0 ? ["#kernel"] : [];
          for (const c of g.counters) {
            const rate = (c.rate / 10).toFixed(1);
            lines.push(
              `${c.name.padEnd(32)}${String(c.value).padEnd(19)}${g.comma ? rate.replace(".", ",") : rate}`,
            );
          }
          text = lines.join("\n");
        } else {
          const doc = { kernel: counters };
          text = g.format === "json" ? JSON.stringify(doc) : JSON.stringify(doc, null, 4);
        }
        if (g.truncate !== undefined && g.format === "text" && g.counters.length > 0) {
          const cut = parseCut(parseNstat, truncateLastLine(text, g.truncate).text);
          const whole = g.counters.slice(0, -1);
          for (const c of whole) expect(cut?.facts.counters[c.name]).toBe(c.value);
          return;
        }
        const { facts, problems } = parseText(parseNstat, text);
        expect(problems).toEqual([]);
        expect(facts.counters).toEqual(counters);
        if (g.format === "text" && g.counters.length > 0) expect(facts.rates_per_s).toEqual(rates);
      }),
      { numRuns: RUNS },
    );
  });
});
