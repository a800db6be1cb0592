import { type DiskstatsFacts, diskstatsDelta } from "../parsers/diskstats.js";
import type { IostatDeviceRow, IostatDeviceSummary, IostatFacts } from "../parsers/iostat.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, factsOf, n, round, setPressure, startOf } from "./util.js";

/**
 * Block device facts: the busiest device (highest %util, then await) over the window, from
 * `iostat -x` (its summary over the reports that are not since boot), else from two
 * `/proc/diskstats` snapshots, plus PSI io.
 *
 * From diskstats (Documentation/admin-guide/iostats.rst): %util = Δ(time doing I/O) / window;
 * await = Δ(ms reading + ms writing) / Δ(reads + writes); aqu-sz = Δ(weighted ms) / window.
 * Service time (`service_ms`, what one request takes on the device) = %util × 10 / IOPS,
 * so `await_ms / service_ms` says how long requests queue compared with being served.
 * Virtual devices that cannot saturate (ram, zram, sr, fd) are left out. Loop devices are
 * kept: a loop device is a blk-mq device whose requests queue and are accounted like a
 * disk's, and when its backing file's disk is slow or throttled its users wait on it (the
 * live fault suite measures %util 100, aqu-sz ~32, await ~160 ms on one).
 */

const IO = ["iostat", "diskstats"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "disk.worst.device",
    type: "string",
    from: IO,
    doc: "The busiest block device (highest %util, then await).",
  },
  {
    path: "disk.worst.util_pct",
    says: "busiest disk {} busy",
    type: "number",
    unit: "%",
    from: IO,
    doc: "Its %util: share of the window with at least one request in flight.",
  },
  {
    path: "disk.worst.util_pct_max",
    type: "number",
    unit: "%",
    from: ["iostat"],
    doc: "Its highest %util in one report.",
  },
  {
    path: "disk.worst.aqu_sz",
    says: "{} requests queued on it on average",
    type: "number",
    unit: "requests",
    from: IO,
    doc: "Its average queue size (aqu-sz / avgqu-sz).",
  },
  {
    path: "disk.worst.await_ms",
    says: "{} per request on it",
    type: "number",
    unit: "ms",
    from: IO,
    doc: "Its average time per request, queue + service.",
  },
  {
    path: "disk.worst.r_await_ms",
    type: "number",
    unit: "ms",
    from: ["iostat"],
    doc: "Its read await.",
  },
  {
    path: "disk.worst.w_await_ms",
    type: "number",
    unit: "ms",
    from: ["iostat"],
    doc: "Its write await.",
  },
  {
    path: "disk.worst.service_ms",
    type: "number",
    unit: "ms",
    from: IO,
    doc: "Its service time per request: svctm, else %util × 10 / IOPS.",
  },
  {
    path: "disk.worst.queue_ratio",
    says: "a request on it waits {} service times in all (await / svctm)",
    type: "number",
    unit: "ratio",
    from: IO,
    doc: "await / service time: how many service times a request waits in all.",
  },
  {
    path: "disk.worst.iops",
    type: "number",
    unit: "/s",
    from: IO,
    doc: "Its reads + writes per second.",
  },
  {
    path: "disk.worst.kb_per_s",
    type: "number",
    unit: "kB/s",
    from: IO,
    doc: "Its read + write throughput.",
  },
  {
    path: "disk.max_await_ms",
    type: "number",
    unit: "ms",
    from: IO,
    doc: "Highest await of any device.",
  },
  { path: "disk.max_await_device", type: "string", from: IO, doc: "The device with that await." },
  {
    path: "disk.since_boot",
    type: "boolean",
    from: IO,
    doc: "True when the disk figures are averages since boot (one iostat report, one diskstats snapshot).",
  },
  {
    path: "psi.io.some_avg10",
    says: "some task stalled on I/O {} of the time (PSI some avg10)",
    type: "number",
    unit: "%",
    from: ["pressure-io"],
    doc: "PSI io some avg10: share of the last 10 s in which some task waited for I/O.",
  },
  {
    path: "psi.io.full_avg10",
    says: "all tasks stalled on I/O {} of the time (PSI full avg10)",
    type: "number",
    unit: "%",
    from: ["pressure-io"],
    doc: "PSI io full avg10: share in which every non-idle task waited for I/O.",
  },
  {
    path: "psi.io.some_pct",
    type: "number",
    unit: "%",
    from: ["pressure-io"],
    doc: "PSI io some over the window (total counter).",
  },
  {
    path: "psi.io.full_pct",
    type: "number",
    unit: "%",
    from: ["pressure-io"],
    doc: "PSI io full over the window (total counter).",
  },
];

const VIRTUAL = /^(ram|zram|sr|fd|nbd)\d*/;

interface Dev {
  device: string;
  util?: number;
  utilMax?: number;
  aqu?: number;
  await?: number;
  rAwait?: number;
  wAwait?: number;
  svctm?: number;
  iops?: number;
  kbps?: number;
  excerpt: string;
}

function rowLine(r: IostatDeviceRow): string {
  const f = (k: string, label: string) => (r[k] !== undefined ? ` ${label} ${r[k]}` : "");
  return `iostat ${r.device}:${f("r_per_s", "r/s")}${f("w_per_s", "w/s")}${f("r_await_ms", "r_await")}${f("w_await_ms", "w_await")}${f("await_ms", "await")}${f("aqu_sz", "aqu-sz")}${f("svctm_ms", "svctm")}${f("util_pct", "%util")}`;
}

function fromIostat(io: IostatFacts): Dev[] {
  const rows = arr<IostatDeviceRow>(io.devices).filter(
    (r) => !(io.first_report_since_boot && io.reports > 1 && r.report === 0),
  );
  const out: Dev[] = [];
  for (const sm of arr<IostatDeviceSummary>(io.summary)) {
    if (VIRTUAL.test(sm.device)) continue;
    const mine = rows.filter((r) => r.device === sm.device);
    const peak = [...mine].sort((a, b) => (n(b.util_pct) ?? 0) - (n(a.util_pct) ?? 0))[0];
    const mean = (k: string) => {
      const v = mine.map((r) => n(r[k])).filter((x): x is number => x !== undefined);
      return v.length ? round(v.reduce((a, b) => a + b, 0) / v.length) : undefined;
    };
    const r = n(sm.r_per_s_mean) ?? 0;
    const w = n(sm.w_per_s_mean) ?? 0;
    out.push({
      device: sm.device,
      util: n(sm.util_pct_mean),
      utilMax: n(sm.util_pct_max),
      aqu: n(sm.aqu_sz_mean),
      await: n(sm.await_ms_mean),
      rAwait: mean("r_await_ms"),
      wAwait: mean("w_await_ms"),
      svctm: n(sm.svctm_ms_mean),
      iops: round(r + w),
      kbps: round((n(sm.r_kb_per_s_mean) ?? 0) + (n(sm.w_kb_per_s_mean) ?? 0)),
      excerpt: peak ? rowLine(peak) : `iostat ${sm.device}`,
    });
  }
  return out;
}

function fromDiskstats(end: DiskstatsFacts, start: DiskstatsFacts, seconds: number): Dev[] {
  return diskstatsDelta(start, end, seconds)
    .filter((r) => !VIRTUAL.test(r.device))
    .map((r) => ({
      device: r.device,
      util: r.util_pct,
      aqu: r.aqu_sz,
      await: r.await_ms,
      rAwait: r.r_await_ms,
      wAwait: r.w_await_ms,
      iops: round(r.r_per_s + r.w_per_s),
      kbps: round(r.r_kb_per_s + r.w_kb_per_s),
      excerpt: `/proc/diskstats ${r.device} over ${seconds} s: r/s ${r.r_per_s} w/s ${r.w_per_s} await ${r.await_ms} ms aqu-sz ${r.aqu_sz} %util ${r.util_pct}`,
    }));
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  let devs: Dev[] = [];
  let source = "iostat";
  let sinceBoot = false;
  const io = factsOf(parsed, "iostat");
  if (io) {
    devs = fromIostat(io);
    sinceBoot = io.reports <= 1 && io.first_report_since_boot !== false;
  }
  if (devs.length === 0 && parsed.has("diskstats")) {
    const start = startOf(parsed, "diskstats");
    const end = factsOf(parsed, "diskstats");
    if (start && end && ctx.windowSeconds) {
      devs = fromDiskstats(end, start, ctx.windowSeconds);
      source = "diskstats";
    } else {
      sinceBoot = true;
      bag.note("/proc/diskstats was read once: no disk rates without a start snapshot.");
    }
  }
  if (sinceBoot) {
    bag.sinceBoot = true;
    bag.note("iostat printed one report: device figures are averages since boot.");
  }
  if (devs.length > 0) {
    bag.set("disk.since_boot", sinceBoot, source);
    const worst = [...devs].sort(
      (a, b) => (b.util ?? -1) - (a.util ?? -1) || (b.await ?? -1) - (a.await ?? -1),
    )[0];
    const service =
      worst.svctm ??
      (worst.util !== undefined && worst.iops !== undefined && worst.iops > 0
        ? round((worst.util * 10) / worst.iops, 3)
        : undefined);
    const x = worst.excerpt;
    bag.set("disk.worst.device", worst.device, source, x);
    bag.set("disk.worst.util_pct", worst.util, source, x);
    bag.set("disk.worst.util_pct_max", worst.utilMax, source, x);
    bag.set("disk.worst.aqu_sz", worst.aqu, source, x);
    bag.set("disk.worst.await_ms", worst.await, source, x);
    bag.set("disk.worst.r_await_ms", worst.rAwait, source, x);
    bag.set("disk.worst.w_await_ms", worst.wAwait, source, x);
    bag.set("disk.worst.service_ms", service, source, x);
    if (service !== undefined && service > 0 && worst.await !== undefined) {
      bag.set("disk.worst.queue_ratio", round(worst.await / service), source, x);
    }
    bag.set("disk.worst.iops", worst.iops, source, x);
    bag.set("disk.worst.kb_per_s", worst.kbps, source, x);
    const slow = [...devs].sort((a, b) => (b.await ?? -1) - (a.await ?? -1))[0];
    if (slow.await !== undefined) {
      bag.set("disk.max_await_ms", slow.await, source, slow.excerpt);
      bag.set("disk.max_await_device", slow.device, source, slow.excerpt);
    }
  }
  setPressure(bag, parsed, ctx, "io");
  return bag;
}

/** The `disk` derive module (see the header comment of this file). */
export const diskModule: DeriveModule = {
  id: "disk",
  needs: ["iostat", "diskstats", "pressure-io"],
  provides,
  derive,
};
