import type { Parser } from "./types.js";

/**
 * The parser of every collector id, loaded on demand so that `diagbot parse <id>` imports only
 * the module it needs. One explicit table; no import side effects.
 */
type Loader = () => Promise<Parser<unknown>>;

export const PARSERS: Readonly<Record<string, Loader>> = {
  uptime: async () => (await import("./uptime.js")).parseUptime,
  iostat: async () => (await import("./iostat.js")).parseIostat,
  mpstat: async () => (await import("./mpstat.js")).parseMpstat,
  pidstat: async () => (await import("./pidstat.js")).parsePidstat,
  sar: async () => (await import("./sar.js")).parseSar,
  vmstat: async () => (await import("./vmstat.js")).parseVmstat,
  free: async () => (await import("./free.js")).parseFree,
  meminfo: async () => (await import("./meminfo.js")).parseMeminfo,
  top: async () => (await import("./top.js")).parseTop,
  uname: async () => (await import("./uname.js")).parseUname,
  "proc-stat": async () => (await import("./proc-stat.js")).parseProcStat,
  diskstats: async () => (await import("./diskstats.js")).parseDiskstats,
  iotop: async () => (await import("./iotop.js")).parseIotop,
  df: async () => (await import("./df.js")).parseDf,
  "df-inodes": async () => (await import("./df.js")).parseDf,
  sysctl: async () => (await import("./sysctl.js")).parseSysctl,
  "file-nr": async () => (await import("./file-nr.js")).parseFileNr,
  "proc-fds": async () => (await import("./proc-fds.js")).parseProcFds,
  "proc-limits": async () => (await import("./proc-limits.js")).parseProcLimits,
  "pressure-cpu": async () => (await import("./pressure.js")).parsePressure,
  "pressure-memory": async () => (await import("./pressure.js")).parsePressure,
  "pressure-io": async () => (await import("./pressure.js")).parsePressure,
  "cgroup-cpu": async () => (await import("./cgroup-cpu.js")).parseCgroupCpu,
  "cgroup-memory": async () => (await import("./cgroup-memory.js")).parseCgroupMemory,
  "cgroup-pids": async () => (await import("./cgroup-pids.js")).parseCgroupPids,
  "deleted-open-files": async () => (await import("./deleted-open-files.js")).parseDeletedOpenFiles,
  "open-files": async () => (await import("./open-files.js")).parseOpenFiles,
  clocksource: async () => (await import("./clocksource.js")).parseClocksource,
  "ss-listen": async () => (await import("./ss.js")).parseSs,
  "ss-tcp": async () => (await import("./ss.js")).parseSs,
  "ss-summary": async () => (await import("./ss-summary.js")).parseSsSummary,
  nstat: async () => (await import("./nstat.js")).parseNstat,
  "netstat-s": async () => (await import("./netstat-s.js")).parseNetstatS,
  "netstat-conn": async () => (await import("./netstat-conn.js")).parseNetstatConn,
  sockstat: async () => (await import("./sockstat.js")).parseSockstat,
  conntrack: async () => (await import("./conntrack.js")).parseConntrack,
  "conntrack-stats": async () => (await import("./conntrack-stats.js")).parseConntrackStats,
  "ethtool-stats": async () => (await import("./ethtool-stats.js")).parseEthtoolStats,
  "bcc-tcpretrans": async () => (await import("./bcc-tcpretrans.js")).parseBccTcpretrans,
  dmesg: async () => (await import("./dmesg.js")).parseDmesg,
  "perf-stat": async () => (await import("./perf-stat.js")).parsePerfStat,
  "perf-sched": async () => (await import("./perf-sched.js")).parsePerfSched,
  "perf-report": async () => (await import("./perf-report.js")).parsePerfReport,
  strace: async () => (await import("./strace.js")).parseStrace,
  "bcc-runqlat": async () => (await import("./bcc-runqlat.js")).parseBccRunqlat,
  "bcc-biolatency": async () => (await import("./bcc-biolatency.js")).parseBccBiolatency,
  "bcc-execsnoop": async () => (await import("./bcc-execsnoop.js")).parseBccExecsnoop,
  "proc-vmstat": async () => (await import("./proc-vmstat.js")).parseProcVmstat,
  zoneinfo: async () => (await import("./zoneinfo.js")).parseZoneinfo,
  ulimit: async () => (await import("./ulimit.js")).parseUlimit,
};

/** Loads the parser for `id`, or undefined when no parser has that id. */
export async function loadParser(id: string): Promise<Parser<unknown> | undefined> {
  const loader = Object.hasOwn(PARSERS, id) ? PARSERS[id] : undefined;
  return loader ? loader() : undefined;
}
