import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stampedSeconds } from "../../src/derive/memory.js";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";

/**
 * One process's resident set growing over the window (runbooks/memory.yaml,
 * memory-leak-rss-growth), from pidstat reports through the real parser, derive and rules.
 *
 * pidstat(1) -r prints RSS ("the non-swapped physical memory used by the task in kilobytes")
 * once per interval, each report stamped with the end of its interval. The reports below use
 * sysstat 12's layouts with LC_ALL=C stamps: the collector's `pidstat -u -d -w -r -h 1 N` (its
 * header line from test/fixtures/pidstat/vm-debian12-k6.18__pidstat-udwrh.txt, a Debian 12 VM)
 * and a plain `pidstat -r 10 6` (one table per interval, header `HH:MM:SS UID PID minflt/s
 * majflt/s VSZ RSS %MEM Command`, as in pidstat(1) EXAMPLES). Each value is right-aligned under
 * its header as sysstat prints it. /proc/meminfo is the same VM's
 * (test/fixtures/meminfo/vm-debian12-k6.18__meminfo.txt): 24007332 of 24684092 kB available.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-rss-"));
  dirs.push(dir);
  for (const [id, text] of Object.entries(files)) writeFileSync(join(dir, `${id}.out`), text);
  return (await diagnoseBundle(dir, "t", "memory", await loadRunbooks())).report;
}

const BANNER = "Linux 6.18.44-fc-v657 (vm) \t2026-11-30 \t_x86_64_\t(2 CPU)";
const UDWRH_HEADER =
  readFixture("pidstat/vm-debian12-k6.18__pidstat-udwrh.txt")
    .split("\n")
    .find((l) => l.startsWith("# Time")) ?? "";
const R_HEADER = "HH:MM:SS      UID       PID  minflt/s  majflt/s     VSZ     RSS   %MEM  Command";

/**
 * A row under `header`: each value right-aligned to end where its column name ends, the
 * command after two spaces (sysstat's layout). `values` are the columns before Command.
 */
function row(header: string, values: (string | number)[], command: string): string {
  const ends = [...header.matchAll(/\S+/g)].map((m) => (m.index ?? 0) + m[0].length);
  // "# Time" is one column: its end is that of "Time".
  const cols = header.startsWith("# ") ? ends.slice(1) : ends;
  let out = "";
  values.forEach((v, i) => {
    out += String(v).padStart(cols[i] - out.length);
  });
  return `${out}  ${command}`;
}

/** `pidstat -u -d -w -r -h 1 N` reports, 1 s apart from 15:11:31: one table per interval. */
function udwrh(processes: { pid: number; command: string; rss: number[] }[]): string {
  const n = processes[0].rss.length;
  const out = [BANNER, ""];
  for (let i = 0; i < n; i++) {
    out.push(UDWRH_HEADER);
    const time = `15:11:${31 + i}`;
    for (const p of processes) {
      const rss = p.rss[i];
      const memPct = ((rss / 24684092) * 100).toFixed(2);
      out.push(
        row(
          UDWRH_HEADER,
          [
            time,
            1001,
            p.pid,
            "61.00",
            "7.00",
            "0.00",
            "0.00",
            "68.00",
            1,
            "8120.00",
            "0.00",
            rss + 412000,
            rss,
            memPct,
            "0.00",
            "12.00",
            "0.00",
            0,
            "31.00",
            "4.00",
          ],
          p.command,
        ),
      );
    }
    out.push("");
  }
  return out.join("\n");
}

/** `pidstat -r 10 N` (LC_ALL=C): one `-r` table per interval, `stamps` seconds apart. */
function rTables(rss: number[], stamps: string[]): string {
  const out = [BANNER, ""];
  rss.forEach((kb, i) => {
    out.push(R_HEADER.replace("HH:MM:SS", stamps[i]));
    out.push(
      row(
        R_HEADER,
        [
          stamps[i],
          1001,
          4242,
          "2210.00",
          "0.00",
          kb + 412000,
          kb,
          ((kb / 24684092) * 100).toFixed(2),
        ],
        "ingestd",
      ),
    );
    out.push("");
  });
  return out.join("\n");
}

const MEMINFO = readFixture("meminfo/vm-debian12-k6.18__meminfo.txt");
/** The VM's /proc/meminfo with MemAvailable at `kb` (the rest as read). */
function meminfoAvailable(kb: number): string {
  expect(MEMINFO).toMatch(/^MemAvailable: +24007332 kB$/m);
  return MEMINFO.replace(/^MemAvailable: +\d+ kB$/m, `MemAvailable:   ${kb} kB`);
}
/** 1974727 of 24684092 kB: 8 % available. */
const SHORT = meminfoAvailable(1974727);

const SSHD = { pid: 870, command: "sshd", rss: [9212, 9212, 9212, 9212, 9212] };

describe("a process growing across pidstat's reports", () => {
  it("is a leak when memory runs short: the collector's 1 s reports", async () => {
    // 2 400 000 → 2 560 000 kB in 4 s: +6.67 %, 40 000 kB/s, never falling.
    const java = { pid: 2211, command: "java", rss: [2400000, 2440000, 2480000, 2520000, 2560000] };
    const r = await replay({ pidstat: udwrh([SSHD, java]), meminfo: SHORT });
    const h = r.hypotheses.find((x) => x.rule === "memory-leak-rss-growth");
    expect(h?.category).toBe("memory-leak");
    expect(h?.title).toBe(
      "java (pid 2211) grows steadily: +6.67 % resident over the window (40000 kB/s)",
    );
    // base 0.45, MemAvailable 8 % < 10: +0.2
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    const ev = h?.evidence.find((e) => e.fact === "proc.rss_growth.pct");
    expect(ev?.excerpt).toBe(
      "pidstat -r: java (pid 2211) RSS 2400000 → 2560000 kB over 5 samples (4 s)",
    );
  });

  it("reads the time between reports from their stamps (pidstat -r 10)", async () => {
    // 10 s apart: 2 000 000 → 2 300 000 kB in 50 s is 6 000 kB/s (not 75 000 per report).
    const stamps = ["10:14:00", "10:14:10", "10:14:20", "10:14:30", "10:14:40", "10:14:50"];
    const rss = [2000000, 2060000, 2120000, 2180000, 2240000, 2300000];
    const r = await replay({ pidstat: rTables(rss, stamps), meminfo: SHORT });
    const h = r.hypotheses.find((x) => x.rule === "memory-leak-rss-growth");
    expect(h?.title).toBe(
      "ingestd (pid 4242) grows steadily: +15 % resident over the window (6000 kB/s)",
    );
  });

  it("is not a leak on a host with memory to spare (warm-up)", async () => {
    const java = { pid: 2211, command: "java", rss: [2400000, 2440000, 2480000, 2520000, 2560000] };
    const r = await replay({ pidstat: udwrh([SSHD, java]), meminfo: MEMINFO });
    expect(r.hypotheses.find((h) => h.rule === "memory-leak-rss-growth")).toBeUndefined();
    const c = r.checked.find((x) => x.rule === "memory-leak-rss-growth");
    expect(c?.verdict).toBe("fine");
  });

  it("is not a leak when the resident set falls back between reports (a collected heap)", async () => {
    const java = { pid: 2211, command: "java", rss: [2400000, 2520000, 2410000, 2540000, 2560000] };
    const r = await replay({ pidstat: udwrh([SSHD, java]), meminfo: SHORT });
    expect(r.hypotheses.find((h) => h.rule === "memory-leak-rss-growth")).toBeUndefined();
  });

  it("is not judged from two reports", async () => {
    const java = { pid: 2211, command: "java", rss: [2400000, 2560000] };
    const r = await replay({
      pidstat: udwrh([{ ...SSHD, rss: [9212, 9212] }, java]),
      meminfo: SHORT,
    });
    const c = r.checked.find((x) => x.rule === "memory-leak-rss-growth");
    expect(c?.verdict).toBe("not-evaluated");
    expect(c?.why).toMatch(/too few samples: proc\.rss_growth\.samples is 2 reports/);
  });
});

describe("seconds between pidstat stamps", () => {
  it("reads clock and epoch stamps, across midnight", () => {
    expect(stampedSeconds("10:14:00", "10:14:50")).toBe(50);
    expect(stampedSeconds("23:59:55", "00:00:05")).toBe(10);
    expect(stampedSeconds("1646857494", "1646857504")).toBe(10);
    expect(stampedSeconds(undefined, "10:14:50")).toBeUndefined();
    expect(stampedSeconds("10:14:50", "10:14:50")).toBeUndefined();
  });
});
