import type { IotopTask } from "../parsers/iotop.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n, round } from "./util.js";

/**
 * Facts that corroborate or direct a finding rather than decide one: the kernel release
 * (`uname`), block I/O latency percentiles (bcc `biolatency`), the heaviest I/O process
 * (`iotop`) and per-peer TCP retransmits (bcc `tcpretrans`).
 *
 * Sources: uname(1); bcc tools/biolatency.py and tcpretrans.py; iotop(8).
 */

const provides: ModuleFactSpec[] = [
  {
    path: "host.kernel",
    type: "string",
    from: ["uname"],
    doc: "Kernel release (`uname -r`), for bug reports and known-fix lookups.",
  },
  {
    path: "disk.biolat_p99_us",
    type: "number",
    unit: "µs",
    from: ["bcc-biolatency"],
    doc: "99th percentile block I/O latency of the worst disk (or of all I/O), bucket upper bound.",
  },
  {
    path: "disk.biolat_disk",
    type: "string",
    from: ["bcc-biolatency"],
    doc: "The disk with that latency, when biolatency ran with -D.",
  },
  {
    path: "proc.top_io.command",
    type: "string",
    from: ["iotop"],
    doc: "The process reading and writing the most (iotop mean over its iterations).",
  },
  {
    path: "proc.top_io.pid",
    type: "number",
    from: ["iotop"],
    doc: "Its PID (or TID without iotop -P).",
  },
  {
    path: "proc.top_io.kb_per_s",
    type: "number",
    unit: "kB/s",
    from: ["iotop"],
    doc: "Its read + write rate.",
  },
  {
    path: "proc.top_io.io_pct",
    type: "number",
    unit: "%",
    from: ["iotop"],
    doc: "Share of time it waited on I/O (iotop IO%), when delay accounting is on.",
  },
  {
    path: "net.tcp.retrans_events",
    type: "number",
    unit: "count",
    from: ["bcc-tcpretrans"],
    doc: "Retransmits traced by tcpretrans (tail loss probes left out).",
  },
  {
    path: "net.tcp.retrans_top_peer",
    type: "string",
    from: ["bcc-tcpretrans"],
    doc: "The peer address with the most traced retransmits.",
  },
];

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const un = factsOf(parsed, "uname");
  if (un?.kernel_release) {
    bag.set(
      "host.kernel",
      un.kernel_release,
      "uname",
      `${un.kernel_name ?? "Linux"} ${un.kernel_release}`,
    );
  }
  const bio = factsOf(parsed, "bcc-biolatency");
  if (bio) {
    const w = bio.worst_disk;
    if (w && n(w.p99_us) !== undefined) {
      const line = `biolatency: ${w.disk} p99 ≤ ${w.p99_us} µs over ${w.count} I/Os`;
      bag.set("disk.biolat_p99_us", n(w.p99_us), "bcc-biolatency", line);
      bag.set("disk.biolat_disk", w.disk, "bcc-biolatency", line);
    } else if (bio.summary && n(bio.summary.p99_us) !== undefined && bio.summary.count > 0) {
      const line = `biolatency: p99 ≤ ${bio.summary.p99_us} µs over ${bio.summary.count} I/Os`;
      bag.set("disk.biolat_p99_us", n(bio.summary.p99_us), "bcc-biolatency", line);
    }
  }
  const io = factsOf(parsed, "iotop");
  const top = arr<IotopTask>(io?.tasks)[0];
  if (top) {
    const kb = round((top.read_bytes_per_s_mean + top.write_bytes_per_s_mean) / 1024);
    if (kb !== undefined && kb > 0) {
      const line = `iotop: ${top.command} (${top.pid ?? top.tid ?? "?"}) read ${round(top.read_bytes_per_s_mean / 1024)} kB/s, write ${round(top.write_bytes_per_s_mean / 1024)} kB/s${top.io_pct_mean !== undefined ? `, IO ${top.io_pct_mean} %` : ""}`;
      bag.set("proc.top_io.command", top.command, "iotop", line);
      bag.set("proc.top_io.pid", n(top.pid) ?? n(top.tid), "iotop", line);
      bag.set("proc.top_io.kb_per_s", kb, "iotop", line);
      bag.set("proc.top_io.io_pct", n(top.io_pct_mean), "iotop", line);
    }
  }
  const tr = factsOf(parsed, "bcc-tcpretrans");
  if (tr && typeof tr.retransmits === "number") {
    const peer = Object.entries(tr.by_peer ?? {}).sort((a, b) => b[1] - a[1])[0];
    const line = `tcpretrans: ${tr.retransmits} retransmits${peer ? `, most to ${peer[0]} (${peer[1]})` : ""}`;
    bag.set("net.tcp.retrans_events", tr.retransmits, "bcc-tcpretrans", line);
    if (peer) bag.set("net.tcp.retrans_top_peer", peer[0], "bcc-tcpretrans", line);
  }
  return bag;
}

/** The `extras` derive module (see the header comment of this file). */
export const extrasModule: DeriveModule = {
  id: "extras",
  needs: ["uname", "bcc-biolatency", "iotop", "bcc-tcpretrans"],
  provides,
  derive,
};
