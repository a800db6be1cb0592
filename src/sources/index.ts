import { bccBiolatency } from "../collectors/bcc-biolatency.js";
import { bccExecsnoop } from "../collectors/bcc-execsnoop.js";
import { bccRunqlat } from "../collectors/bcc-runqlat.js";
import { bccTcpretrans } from "../collectors/bcc-tcpretrans.js";
import { cgroupCpu } from "../collectors/cgroup-cpu.js";
import { cgroupMemory } from "../collectors/cgroup-memory.js";
import { cgroupPids } from "../collectors/cgroup-pids.js";
import { clocksource } from "../collectors/clocksource.js";
import { conntrack } from "../collectors/conntrack.js";
import { conntrackStats } from "../collectors/conntrack-stats.js";
import { deletedOpenFiles } from "../collectors/deleted-open-files.js";
import { df, dfInodes } from "../collectors/df.js";
import { diskstats } from "../collectors/diskstats.js";
import { dmesg } from "../collectors/dmesg.js";
import { ethtoolStats } from "../collectors/ethtool-stats.js";
import { fileNr } from "../collectors/file-nr.js";
import { free } from "../collectors/free.js";
import { iostat } from "../collectors/iostat.js";
import { iotop } from "../collectors/iotop.js";
import { meminfo } from "../collectors/meminfo.js";
import { mpstat } from "../collectors/mpstat.js";
import { netstatConn } from "../collectors/netstat-conn.js";
import { netstatS } from "../collectors/netstat-s.js";
import { nstat } from "../collectors/nstat.js";
import { openFiles } from "../collectors/open-files.js";
import { perfReport } from "../collectors/perf-report.js";
import { perfSched } from "../collectors/perf-sched.js";
import { perfStat } from "../collectors/perf-stat.js";
import { pidstat } from "../collectors/pidstat.js";
import { pressureCpu, pressureIo, pressureMemory } from "../collectors/pressure.js";
import { procFds } from "../collectors/proc-fds.js";
import { procLimits } from "../collectors/proc-limits.js";
import { procStat } from "../collectors/proc-stat.js";
import { sar } from "../collectors/sar.js";
import { sockstat } from "../collectors/sockstat.js";
import { ssListen } from "../collectors/ss-listen.js";
import { ssSummary } from "../collectors/ss-summary.js";
import { ssTcp } from "../collectors/ss-tcp.js";
import { strace } from "../collectors/strace.js";
import { sysctl } from "../collectors/sysctl.js";
import { top } from "../collectors/top.js";
import type { Collector } from "../collectors/types.js";
import { uname } from "../collectors/uname.js";
import { uptime } from "../collectors/uptime.js";
import { vmstat } from "../collectors/vmstat.js";
import type { Parser } from "../parsers/types.js";

/**
 * The sources registry: one entry per collector id, pairing the collector (what runs on the
 * host) with the parser of its output, in one explicit array (insights-core's specs with their
 * parsers). Parsers load on demand, so `diagbot parse <id>` imports only the module it needs;
 * their fact types are known statically all the same ({@link FactsOf}).
 *
 * A source without a collector is read from evidence only (a sos report's
 * `/proc/vmstat`, `zoneinfo`, `ulimit -a`). The order is the order of the report's collector
 * table.
 */
interface SourceSpec<Id extends string, F> {
  id: Id;
  /** Absent for a source read from evidence only. */
  collector?: Collector;
  parser: () => Promise<Parser<F>>;
}

/** One source; keeps the literal id and the parser's fact type for {@link FactsOf}. */
function defineSource<const Id extends string, F>(spec: SourceSpec<Id, F>): SourceSpec<Id, F> {
  if (spec.collector && spec.collector.id !== spec.id) {
    throw new Error(`source ${spec.id}: its collector is ${spec.collector.id}`);
  }
  return spec;
}

export const SOURCES = [
  defineSource({
    id: "uptime",
    collector: uptime,
    parser: async () => (await import("../parsers/uptime.js")).parseUptime,
  }),
  defineSource({
    id: "uname",
    collector: uname,
    parser: async () => (await import("../parsers/uname.js")).parseUname,
  }),
  defineSource({
    id: "meminfo",
    collector: meminfo,
    parser: async () => (await import("../parsers/meminfo.js")).parseMeminfo,
  }),
  defineSource({
    id: "free",
    collector: free,
    parser: async () => (await import("../parsers/free.js")).parseFree,
  }),
  defineSource({
    id: "proc-stat",
    collector: procStat,
    parser: async () => (await import("../parsers/proc-stat.js")).parseProcStat,
  }),
  defineSource({
    id: "diskstats",
    collector: diskstats,
    parser: async () => (await import("../parsers/diskstats.js")).parseDiskstats,
  }),
  defineSource({
    id: "top",
    collector: top,
    parser: async () => (await import("../parsers/top.js")).parseTop,
  }),
  defineSource({
    id: "vmstat",
    collector: vmstat,
    parser: async () => (await import("../parsers/vmstat.js")).parseVmstat,
  }),
  defineSource({
    id: "iostat",
    collector: iostat,
    parser: async () => (await import("../parsers/iostat.js")).parseIostat,
  }),
  defineSource({
    id: "mpstat",
    collector: mpstat,
    parser: async () => (await import("../parsers/mpstat.js")).parseMpstat,
  }),
  defineSource({
    id: "pidstat",
    collector: pidstat,
    parser: async () => (await import("../parsers/pidstat.js")).parsePidstat,
  }),
  defineSource({
    id: "iotop",
    collector: iotop,
    parser: async () => (await import("../parsers/iotop.js")).parseIotop,
  }),
  defineSource({
    id: "sar",
    collector: sar,
    parser: async () => (await import("../parsers/sar.js")).parseSar,
  }),
  defineSource({
    id: "df",
    collector: df,
    parser: async () => (await import("../parsers/df.js")).parseDf,
  }),
  defineSource({
    id: "df-inodes",
    collector: dfInodes,
    parser: async () => (await import("../parsers/df.js")).parseDf,
  }),
  defineSource({
    id: "sysctl",
    collector: sysctl,
    parser: async () => (await import("../parsers/sysctl.js")).parseSysctl,
  }),
  defineSource({
    id: "file-nr",
    collector: fileNr,
    parser: async () => (await import("../parsers/file-nr.js")).parseFileNr,
  }),
  defineSource({
    id: "proc-fds",
    collector: procFds,
    parser: async () => (await import("../parsers/proc-fds.js")).parseProcFds,
  }),
  defineSource({
    id: "proc-limits",
    collector: procLimits,
    parser: async () => (await import("../parsers/proc-limits.js")).parseProcLimits,
  }),
  defineSource({
    id: "pressure-cpu",
    collector: pressureCpu,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "pressure-memory",
    collector: pressureMemory,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "pressure-io",
    collector: pressureIo,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "cgroup-cpu",
    collector: cgroupCpu,
    parser: async () => (await import("../parsers/cgroup-cpu.js")).parseCgroupCpu,
  }),
  defineSource({
    id: "cgroup-memory",
    collector: cgroupMemory,
    parser: async () => (await import("../parsers/cgroup-memory.js")).parseCgroupMemory,
  }),
  defineSource({
    id: "cgroup-pids",
    collector: cgroupPids,
    parser: async () => (await import("../parsers/cgroup-pids.js")).parseCgroupPids,
  }),
  defineSource({
    id: "deleted-open-files",
    collector: deletedOpenFiles,
    parser: async () => (await import("../parsers/deleted-open-files.js")).parseDeletedOpenFiles,
  }),
  defineSource({
    id: "open-files",
    collector: openFiles,
    parser: async () => (await import("../parsers/open-files.js")).parseOpenFiles,
  }),
  defineSource({
    id: "clocksource",
    collector: clocksource,
    parser: async () => (await import("../parsers/clocksource.js")).parseClocksource,
  }),
  defineSource({
    id: "ss-summary",
    collector: ssSummary,
    parser: async () => (await import("../parsers/ss-summary.js")).parseSsSummary,
  }),
  defineSource({
    id: "ss-listen",
    collector: ssListen,
    parser: async () => (await import("../parsers/ss.js")).parseSs,
  }),
  defineSource({
    id: "ss-tcp",
    collector: ssTcp,
    parser: async () => (await import("../parsers/ss.js")).parseSs,
  }),
  defineSource({
    id: "nstat",
    collector: nstat,
    parser: async () => (await import("../parsers/nstat.js")).parseNstat,
  }),
  defineSource({
    id: "netstat-s",
    collector: netstatS,
    parser: async () => (await import("../parsers/netstat-s.js")).parseNetstatS,
  }),
  defineSource({
    id: "netstat-conn",
    collector: netstatConn,
    parser: async () => (await import("../parsers/netstat-conn.js")).parseNetstatConn,
  }),
  defineSource({
    id: "sockstat",
    collector: sockstat,
    parser: async () => (await import("../parsers/sockstat.js")).parseSockstat,
  }),
  defineSource({
    id: "conntrack",
    collector: conntrack,
    parser: async () => (await import("../parsers/conntrack.js")).parseConntrack,
  }),
  defineSource({
    id: "conntrack-stats",
    collector: conntrackStats,
    parser: async () => (await import("../parsers/conntrack-stats.js")).parseConntrackStats,
  }),
  defineSource({
    id: "ethtool-stats",
    collector: ethtoolStats,
    parser: async () => (await import("../parsers/ethtool-stats.js")).parseEthtoolStats,
  }),
  defineSource({
    id: "bcc-tcpretrans",
    collector: bccTcpretrans,
    parser: async () => (await import("../parsers/bcc-tcpretrans.js")).parseBccTcpretrans,
  }),
  defineSource({
    id: "dmesg",
    collector: dmesg,
    parser: async () => (await import("../parsers/dmesg.js")).parseDmesg,
  }),
  defineSource({
    id: "perf-stat",
    collector: perfStat,
    parser: async () => (await import("../parsers/perf-stat.js")).parsePerfStat,
  }),
  defineSource({
    id: "perf-sched",
    collector: perfSched,
    parser: async () => (await import("../parsers/perf-sched.js")).parsePerfSched,
  }),
  defineSource({
    id: "perf-report",
    collector: perfReport,
    parser: async () => (await import("../parsers/perf-report.js")).parsePerfReport,
  }),
  defineSource({
    id: "strace",
    collector: strace,
    parser: async () => (await import("../parsers/strace.js")).parseStrace,
  }),
  defineSource({
    id: "bcc-runqlat",
    collector: bccRunqlat,
    parser: async () => (await import("../parsers/bcc-runqlat.js")).parseBccRunqlat,
  }),
  defineSource({
    id: "bcc-biolatency",
    collector: bccBiolatency,
    parser: async () => (await import("../parsers/bcc-biolatency.js")).parseBccBiolatency,
  }),
  defineSource({
    id: "bcc-execsnoop",
    collector: bccExecsnoop,
    parser: async () => (await import("../parsers/bcc-execsnoop.js")).parseBccExecsnoop,
  }),
  defineSource({
    id: "proc-vmstat",
    parser: async () => (await import("../parsers/proc-vmstat.js")).parseProcVmstat,
  }),
  defineSource({
    id: "zoneinfo",
    parser: async () => (await import("../parsers/zoneinfo.js")).parseZoneinfo,
  }),
  defineSource({
    id: "ulimit",
    parser: async () => (await import("../parsers/ulimit.js")).parseUlimit,
  }),
] as const;

type Source = (typeof SOURCES)[number];

/** Every source id: a collector's id, or an evidence-only source's. */
export type SourceId = Source["id"];

/** The facts the parser of source `Id` returns (`IostatFacts` for `"iostat"`). */
export type FactsOf<Id extends SourceId> =
  Extract<Source, { id: Id }> extends SourceSpec<Id, infer F> ? F : never;

/** Every collector, in the order of the report's collector table. */
export const COLLECTORS: readonly Collector[] = SOURCES.flatMap((s) =>
  s.collector ? [s.collector] : [],
);

const BY_ID: ReadonlyMap<string, Source> = new Map(SOURCES.map((s) => [s.id, s]));

/** True when `id` names a source of this version. */
export function isSourceId(id: string): id is SourceId {
  return BY_ID.has(id);
}

/** Every source id, in registry order. */
export function sourceIds(): SourceId[] {
  return SOURCES.map((s) => s.id);
}

/** The collector with this id, if any. */
export function collectorById(id: string): Collector | undefined {
  return BY_ID.get(id)?.collector;
}

/** Loads the parser for `id`, or undefined when no source has that id. */
export async function loadParser(id: string): Promise<Parser<unknown> | undefined> {
  return BY_ID.get(id)?.parser();
}
