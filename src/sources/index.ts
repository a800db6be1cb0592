import type { Collector } from "../collectors/types.js";
import type { Parser } from "../parsers/types.js";

/**
 * The sources registry: one entry per collector id, pairing the collector (what runs on the
 * host) with the parser of its output, in one explicit array (insights-core's specs with their
 * parsers). Both load on demand, so `diagbot parse <id>` imports only the parser it needs and
 * no collector (the collectors are loaded together by `./collectors.ts`); the parsers' fact
 * types are known statically all the same ({@link FactsOf}).
 *
 * A source without a collector is read from evidence only (a sos report's
 * `/proc/vmstat`, `zoneinfo`, `ulimit -a`). The order is the order of the report's collector
 * table.
 */
interface SourceSpec<Id extends string, F> {
  id: Id;
  /** Absent for a source read from evidence only. */
  collector?: () => Promise<Collector>;
  parser: () => Promise<Parser<F>>;
}

/** One source; keeps the literal id and the parser's fact type for {@link FactsOf}. */
function defineSource<const Id extends string, F>(spec: SourceSpec<Id, F>): SourceSpec<Id, F> {
  return spec;
}

export const SOURCES = [
  defineSource({
    id: "uptime",
    collector: async () => (await import("../collectors/uptime.js")).uptime,
    parser: async () => (await import("../parsers/uptime.js")).parseUptime,
  }),
  defineSource({
    id: "uname",
    collector: async () => (await import("../collectors/uname.js")).uname,
    parser: async () => (await import("../parsers/uname.js")).parseUname,
  }),
  defineSource({
    id: "meminfo",
    collector: async () => (await import("../collectors/meminfo.js")).meminfo,
    parser: async () => (await import("../parsers/meminfo.js")).parseMeminfo,
  }),
  defineSource({
    id: "free",
    collector: async () => (await import("../collectors/free.js")).free,
    parser: async () => (await import("../parsers/free.js")).parseFree,
  }),
  defineSource({
    id: "proc-stat",
    collector: async () => (await import("../collectors/proc-stat.js")).procStat,
    parser: async () => (await import("../parsers/proc-stat.js")).parseProcStat,
  }),
  defineSource({
    id: "diskstats",
    collector: async () => (await import("../collectors/diskstats.js")).diskstats,
    parser: async () => (await import("../parsers/diskstats.js")).parseDiskstats,
  }),
  defineSource({
    id: "top",
    collector: async () => (await import("../collectors/top.js")).top,
    parser: async () => (await import("../parsers/top.js")).parseTop,
  }),
  defineSource({
    id: "vmstat",
    collector: async () => (await import("../collectors/vmstat.js")).vmstat,
    parser: async () => (await import("../parsers/vmstat.js")).parseVmstat,
  }),
  defineSource({
    id: "iostat",
    collector: async () => (await import("../collectors/iostat.js")).iostat,
    parser: async () => (await import("../parsers/iostat.js")).parseIostat,
  }),
  defineSource({
    id: "mpstat",
    collector: async () => (await import("../collectors/mpstat.js")).mpstat,
    parser: async () => (await import("../parsers/mpstat.js")).parseMpstat,
  }),
  defineSource({
    id: "pidstat",
    collector: async () => (await import("../collectors/pidstat.js")).pidstat,
    parser: async () => (await import("../parsers/pidstat.js")).parsePidstat,
  }),
  defineSource({
    id: "iotop",
    collector: async () => (await import("../collectors/iotop.js")).iotop,
    parser: async () => (await import("../parsers/iotop.js")).parseIotop,
  }),
  defineSource({
    id: "sar",
    collector: async () => (await import("../collectors/sar.js")).sar,
    parser: async () => (await import("../parsers/sar.js")).parseSar,
  }),
  defineSource({
    id: "df",
    collector: async () => (await import("../collectors/df.js")).df,
    parser: async () => (await import("../parsers/df.js")).parseDf,
  }),
  defineSource({
    id: "df-inodes",
    collector: async () => (await import("../collectors/df.js")).dfInodes,
    parser: async () => (await import("../parsers/df.js")).parseDf,
  }),
  defineSource({
    id: "sysctl",
    collector: async () => (await import("../collectors/sysctl.js")).sysctl,
    parser: async () => (await import("../parsers/sysctl.js")).parseSysctl,
  }),
  defineSource({
    id: "file-nr",
    collector: async () => (await import("../collectors/file-nr.js")).fileNr,
    parser: async () => (await import("../parsers/file-nr.js")).parseFileNr,
  }),
  defineSource({
    id: "proc-fds",
    collector: async () => (await import("../collectors/proc-fds.js")).procFds,
    parser: async () => (await import("../parsers/proc-fds.js")).parseProcFds,
  }),
  defineSource({
    id: "proc-limits",
    collector: async () => (await import("../collectors/proc-limits.js")).procLimits,
    parser: async () => (await import("../parsers/proc-limits.js")).parseProcLimits,
  }),
  defineSource({
    id: "pressure-cpu",
    collector: async () => (await import("../collectors/pressure.js")).pressureCpu,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "pressure-memory",
    collector: async () => (await import("../collectors/pressure.js")).pressureMemory,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "pressure-io",
    collector: async () => (await import("../collectors/pressure.js")).pressureIo,
    parser: async () => (await import("../parsers/pressure.js")).parsePressure,
  }),
  defineSource({
    id: "cgroup-cpu",
    collector: async () => (await import("../collectors/cgroup-cpu.js")).cgroupCpu,
    parser: async () => (await import("../parsers/cgroup-cpu.js")).parseCgroupCpu,
  }),
  defineSource({
    id: "cgroup-memory",
    collector: async () => (await import("../collectors/cgroup-memory.js")).cgroupMemory,
    parser: async () => (await import("../parsers/cgroup-memory.js")).parseCgroupMemory,
  }),
  defineSource({
    id: "cgroup-pids",
    collector: async () => (await import("../collectors/cgroup-pids.js")).cgroupPids,
    parser: async () => (await import("../parsers/cgroup-pids.js")).parseCgroupPids,
  }),
  defineSource({
    id: "deleted-open-files",
    collector: async () => (await import("../collectors/deleted-open-files.js")).deletedOpenFiles,
    parser: async () => (await import("../parsers/deleted-open-files.js")).parseDeletedOpenFiles,
  }),
  defineSource({
    id: "open-files",
    collector: async () => (await import("../collectors/open-files.js")).openFiles,
    parser: async () => (await import("../parsers/open-files.js")).parseOpenFiles,
  }),
  defineSource({
    id: "clocksource",
    collector: async () => (await import("../collectors/clocksource.js")).clocksource,
    parser: async () => (await import("../parsers/clocksource.js")).parseClocksource,
  }),
  defineSource({
    id: "edac",
    collector: async () => (await import("../collectors/edac.js")).edac,
    parser: async () => (await import("../parsers/edac.js")).parseEdac,
  }),
  defineSource({
    id: "scsi-ioerr",
    collector: async () => (await import("../collectors/scsi-ioerr.js")).scsiIoerr,
    parser: async () => (await import("../parsers/scsi-ioerr.js")).parseScsiIoerr,
  }),
  defineSource({
    id: "smartctl",
    collector: async () => (await import("../collectors/smartctl.js")).smartctl,
    parser: async () => (await import("../parsers/smartctl.js")).parseSmartctl,
  }),
  defineSource({
    id: "ras-mc-ctl",
    collector: async () => (await import("../collectors/ras-mc-ctl.js")).rasMcCtl,
    parser: async () => (await import("../parsers/ras-mc-ctl.js")).parseRasMcCtl,
  }),
  defineSource({
    id: "chronyc-tracking",
    collector: async () => (await import("../collectors/chronyc-tracking.js")).chronycTracking,
    parser: async () => (await import("../parsers/chronyc-tracking.js")).parseChronycTracking,
  }),
  defineSource({
    id: "ss-summary",
    collector: async () => (await import("../collectors/ss-summary.js")).ssSummary,
    parser: async () => (await import("../parsers/ss-summary.js")).parseSsSummary,
  }),
  defineSource({
    id: "ss-listen",
    collector: async () => (await import("../collectors/ss-listen.js")).ssListen,
    parser: async () => (await import("../parsers/ss.js")).parseSs,
  }),
  defineSource({
    id: "ss-tcp",
    collector: async () => (await import("../collectors/ss-tcp.js")).ssTcp,
    parser: async () => (await import("../parsers/ss.js")).parseSs,
  }),
  defineSource({
    id: "nstat",
    collector: async () => (await import("../collectors/nstat.js")).nstat,
    parser: async () => (await import("../parsers/nstat.js")).parseNstat,
  }),
  defineSource({
    id: "netstat-s",
    collector: async () => (await import("../collectors/netstat-s.js")).netstatS,
    parser: async () => (await import("../parsers/netstat-s.js")).parseNetstatS,
  }),
  defineSource({
    id: "netstat-conn",
    collector: async () => (await import("../collectors/netstat-conn.js")).netstatConn,
    parser: async () => (await import("../parsers/netstat-conn.js")).parseNetstatConn,
  }),
  defineSource({
    id: "sockstat",
    collector: async () => (await import("../collectors/sockstat.js")).sockstat,
    parser: async () => (await import("../parsers/sockstat.js")).parseSockstat,
  }),
  defineSource({
    id: "nfs-client",
    collector: async () => (await import("../collectors/nfs-client.js")).nfsClient,
    parser: async () => (await import("../parsers/nfs-client.js")).parseNfsClient,
  }),
  defineSource({
    id: "conntrack",
    collector: async () => (await import("../collectors/conntrack.js")).conntrack,
    parser: async () => (await import("../parsers/conntrack.js")).parseConntrack,
  }),
  defineSource({
    id: "conntrack-stats",
    collector: async () => (await import("../collectors/conntrack-stats.js")).conntrackStats,
    parser: async () => (await import("../parsers/conntrack-stats.js")).parseConntrackStats,
  }),
  defineSource({
    id: "ethtool-stats",
    collector: async () => (await import("../collectors/ethtool-stats.js")).ethtoolStats,
    parser: async () => (await import("../parsers/ethtool-stats.js")).parseEthtoolStats,
  }),
  defineSource({
    id: "bcc-tcpretrans",
    collector: async () => (await import("../collectors/bcc-tcpretrans.js")).bccTcpretrans,
    parser: async () => (await import("../parsers/bcc-tcpretrans.js")).parseBccTcpretrans,
  }),
  defineSource({
    id: "dmesg",
    collector: async () => (await import("../collectors/dmesg.js")).dmesg,
    parser: async () => (await import("../parsers/dmesg.js")).parseDmesg,
  }),
  defineSource({
    id: "perf-stat",
    collector: async () => (await import("../collectors/perf-stat.js")).perfStat,
    parser: async () => (await import("../parsers/perf-stat.js")).parsePerfStat,
  }),
  defineSource({
    id: "perf-sched",
    collector: async () => (await import("../collectors/perf-sched.js")).perfSched,
    parser: async () => (await import("../parsers/perf-sched.js")).parsePerfSched,
  }),
  defineSource({
    id: "perf-report",
    collector: async () => (await import("../collectors/perf-report.js")).perfReport,
    parser: async () => (await import("../parsers/perf-report.js")).parsePerfReport,
  }),
  defineSource({
    id: "strace",
    collector: async () => (await import("../collectors/strace.js")).strace,
    parser: async () => (await import("../parsers/strace.js")).parseStrace,
  }),
  defineSource({
    id: "bcc-runqlat",
    collector: async () => (await import("../collectors/bcc-runqlat.js")).bccRunqlat,
    parser: async () => (await import("../parsers/bcc-runqlat.js")).parseBccRunqlat,
  }),
  defineSource({
    id: "bcc-biolatency",
    collector: async () => (await import("../collectors/bcc-biolatency.js")).bccBiolatency,
    parser: async () => (await import("../parsers/bcc-biolatency.js")).parseBccBiolatency,
  }),
  defineSource({
    id: "bcc-execsnoop",
    collector: async () => (await import("../collectors/bcc-execsnoop.js")).bccExecsnoop,
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

const BY_ID: ReadonlyMap<string, Source> = new Map(SOURCES.map((s) => [s.id, s]));

/** True when `id` names a source of this version. */
export function isSourceId(id: string): id is SourceId {
  return BY_ID.has(id);
}

/** Every source id, in registry order. */
export function sourceIds(): SourceId[] {
  return SOURCES.map((s) => s.id);
}

/** Loads the parser for `id`, or undefined when no source has that id. */
export async function loadParser(id: string): Promise<Parser<unknown> | undefined> {
  return BY_ID.get(id)?.parser();
}
