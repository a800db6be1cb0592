import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { bundleDirs } from "../helpers/bundle-dir.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * cpu-saturation and disk-saturation reached from outputs, one kind of evidence at a time, over
 * the quiet bundle recorded on a 2-vCPU VM (test/fixtures/bundles/quiet-deep-cpu-2vcpu, a 3 s
 * window) with the outputs of a saturated CPU or disk written over it:
 * - counters: /proc/stat and /proc/diskstats snapshots (Documentation/filesystems/proc.rst,
 *   Documentation/admin-guide/iostats.rst), vmstat in procps-ng's layout;
 * - tool outputs: mpstat and `iostat -x -t` in sysstat 12's layouts (as recorded in
 *   test/fixtures/mpstat and test/fixtures/iostat/vm-debian12-k6.18__iostat-x-t.txt).
 */
const QUIET = fixturePath("bundles/quiet-deep-cpu-2vcpu");
const bundle = bundleDirs("diagbot-test-saturation-");

async function diagnose(files: Record<string, string | null>, symptom: "latency" | "disk") {
  const dir = bundle(files, QUIET);
  return (await diagnoseBundle(dir, "vm", symptom, await loadRunbooks())).report;
}

/** `vmstat 1 4` (the first line since boot) with `r` runnable threads and `id` % idle. */
function vmstat(r: number, idle: number): string {
  const row = (rr: number, us: number, sy: number, id: number) =>
    ` ${rr}  0      0 22555316  52576 1721868    0    0     0     0 2210 9140 ${us} ${sy} ${id}  0  0`;
  return [
    "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----",
    " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st",
    " 1  0      0 22555316  52576 1721868    0    0  2189  4534  990 3773 27 12 60  1  0",
    row(r, 90 - idle, 10, idle),
    row(r + 1, 90 - idle, 10, idle),
    row(r - 1, 90 - idle, 10, idle),
    "",
  ].join("\n");
}

/** /proc/stat after 3 s of 2 CPUs (600 ticks at USER_HZ 100), `idle` ticks of them idle. */
function procStatEnd(idle: number): string {
  const user = 600 - idle - 40;
  return [
    `cpu  ${12080 + user} 229 ${5519 + 40} ${27696 + idle} 316 0 97 37 0 0`,
    `cpu0 ${5839 + user / 2} 41 ${2542 + 20} ${14483 + idle / 2} 42 0 9 19 0 0`,
    `cpu1 ${6241 + user / 2} 187 ${2976 + 20} ${13212 + idle / 2} 274 0 88 18 0 0`,
    "intr 3311205 0 9 0 0 0 0 0 0 0 0",
    "ctxt 6001234",
    "btime 1796538250",
    "processes 8300",
    "procs_running 7",
    "procs_blocked 0",
    "softirq 1514306 0 313422 1 9548 0 0 12 561811 0 629512",
    "",
  ].join("\n");
}

/** mpstat over 3 intervals with every CPU at `idle` % idle, in sysstat 12's layout. */
function mpstat(idle: number): string {
  const usr = (100 - idle - 6).toFixed(2);
  const row = (t: string, cpu: string) =>
    `${t}     ${cpu.padStart(3)}   ${usr.padStart(6)}    0.00    6.00    0.00    0.00    0.00    0.00    0.00    0.00  ${idle.toFixed(2).padStart(6)}`;
  const head = (t: string) =>
    `${t}     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle`;
  const out = ["Linux 6.18.44-fc-v1300 (vm) \t2026-12-07 \t_x86_64_\t(2 CPU)", ""];
  for (const t of ["06:28:07", "06:28:08", "06:28:09"]) {
    out.push(head(t), row(t, "all"), row(t, "0"), row(t, "1"), "");
  }
  out.push(
    head("Average:"),
    row("Average:", "all"),
    row("Average:", "0"),
    row("Average:", "1"),
    "",
  );
  return out.join("\n");
}

describe("cpu-saturation from outputs", () => {
  it("counters: vmstat with 7 runnable threads on 2 CPUs and 2 % idle, /proc/stat alike", async () => {
    const report = await diagnose(
      {
        "vmstat.out": vmstat(7, 2),
        "proc-stat.out": procStatEnd(10),
        "mpstat.out": null,
        "pressure-cpu.out": null,
        "pressure-cpu.start.out": null,
      },
      "latency",
    );
    const hyp = report.hypotheses.find((h) => h.rule === "cpu-saturation");
    expect(hyp?.category).toBe("cpu-saturation");
    expect(hyp?.title).toMatch(/^CPUs are saturated: 7 runnable threads for 2 CPUs, 2 % idle/);
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toMatch(/^vmstat: 7 runnable threads/m);
  });

  it("tool outputs: mpstat with every CPU 1 % idle and a 1-minute load of 4.1 per CPU", async () => {
    const report = await diagnose(
      {
        "mpstat.out": mpstat(1),
        "uptime.out": "8.21 6.02 3.10 9/231 8207\n232.87 276.96\n",
        "vmstat.out": null,
        "proc-stat.out": null,
        "proc-stat.start.out": null,
        "pressure-cpu.out": null,
        "pressure-cpu.start.out": null,
      },
      "latency",
    );
    const hyp = report.hypotheses.find((h) => h.rule === "cpu-saturation");
    expect(hyp?.category).toBe("cpu-saturation");
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toMatch(/mpstat all: .*%idle 1\b/);
  });

  it("is fine on the quiet recording (60 % idle)", async () => {
    const report = await diagnose({}, "latency");
    expect(report.hypotheses.find((h) => h.rule === "cpu-saturation")).toBeUndefined();
    expect(report.checked.find((c) => c.rule === "cpu-saturation")?.verdict).toBe("fine");
  });
});

/** vda's /proc/diskstats line after 3 s of 1000 writes/s of 128 KiB, 24 ms each, 8 queued. */
const VDA_SATURATED =
  " 254       0 vda 43509 6919 2013162 5721 62213 64930 4937352 91073 8 11646 97895 12338 20 859168 777 6869 324";

/** `iostat -x -t 1 4`: the since-boot report, then three of vda writing at `wAwait` ms. */
function iostat(util: number, aqu: number, wAwait: number): string {
  const head =
    "Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   wrqm/s  %wrqm w_await wareq-sz     d/s     dkB/s   drqm/s  %drqm d_await dareq-sz     f/s f_await  aqu-sz  %util";
  const vda = (w: string, wkb: string, await_: string, q: string, u: string) =>
    `vda              0.00      0.00     0.00   0.00    0.00     0.00 ${w.padStart(7)} ${wkb.padStart(9)}     0.00   0.00 ${await_.padStart(7)}   128.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00    0.00 ${q.padStart(7)} ${u.padStart(6)}`;
  const report = (t: string, idle: string, iowait: string, row: string) =>
    [
      `2026-12-07T06:28:0${t}+0000`,
      "avg-cpu:  %user   %nice %system %iowait  %steal   %idle",
      `           2.00    0.00    3.00 ${iowait.padStart(7)}    0.00 ${idle.padStart(7)}`,
      "",
      head,
      row,
      "",
      "",
    ].join("\n");
  const busy = vda("1000.00", "128000.00", wAwait.toFixed(2), aqu.toFixed(2), util.toFixed(2));
  return [
    "Linux 6.18.44-fc-v1300 (vm) \t2026-12-07 \t_x86_64_\t(2 CPU)",
    "",
    report("6", "96.00", "0.37", vda("43.26", "12925.30", "0.57", "0.03", "1.19")),
    report("7", "45.00", "50.00", busy),
    report("8", "45.00", "50.00", busy),
    report("9", "45.00", "50.00", busy),
  ].join("\n");
}

describe("disk-saturation from outputs", () => {
  it("counters: two /proc/diskstats snapshots 3 s apart, vda 99 % busy with 8 requests queued", async () => {
    const start = readFileSync(`${QUIET}/diskstats.start.out`, "utf8");
    const end = start.replace(/^ *254 +0 vda .*$/m, VDA_SATURATED);
    const report = await diagnose({ "diskstats.out": end, "iostat.out": null }, "disk");
    const hyp = report.hypotheses.find((h) => h.rule === "disk-saturation");
    expect(hyp?.category).toBe("disk-saturation");
    expect(hyp?.title).toBe(
      "vda is saturated: requests queue behind each other (99 % busy, await 24 ms)",
    );
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toMatch(
      /\/proc\/diskstats vda over 3 s: .*aqu-sz 24 %util 99/,
    );
  });

  it("tool outputs: iostat -x with vda at 99.2 %util, aqu-sz 24 and w_await 24 ms", async () => {
    const report = await diagnose({ "iostat.out": iostat(99.2, 24, 24) }, "disk");
    const hyp = report.hypotheses.find((h) => h.rule === "disk-saturation");
    expect(hyp?.category).toBe("disk-saturation");
    expect(hyp?.title).toMatch(/^vda is saturated: .*\(99\.2 % busy, await 24 ms\)$/);
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toMatch(/iostat vda:.*aqu-sz 24/);
  });

  it("is fine when the disk is busy but nothing queues (aqu-sz 0.9, await 1 ms)", async () => {
    const report = await diagnose({ "iostat.out": iostat(95, 0.9, 1) }, "disk");
    expect(report.hypotheses.find((h) => h.rule === "disk-saturation")).toBeUndefined();
    expect(report.checked.find((c) => c.rule === "disk-saturation")?.verdict).toBe("fine");
  });
});
