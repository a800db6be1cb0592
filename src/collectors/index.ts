import { PARSERS } from "../parsers/index.js";
import { bccBiolatency } from "./bcc-biolatency.js";
import { bccExecsnoop } from "./bcc-execsnoop.js";
import { bccRunqlat } from "./bcc-runqlat.js";
import { bccTcpretrans } from "./bcc-tcpretrans.js";
import { cgroupCpu } from "./cgroup-cpu.js";
import { cgroupMemory } from "./cgroup-memory.js";
import { cgroupPids } from "./cgroup-pids.js";
import { clocksource } from "./clocksource.js";
import { conntrack } from "./conntrack.js";
import { conntrackStats } from "./conntrack-stats.js";
import { deletedOpenFiles } from "./deleted-open-files.js";
import { df, dfInodes } from "./df.js";
import { diskstats } from "./diskstats.js";
import { dmesg } from "./dmesg.js";
import { ethtoolStats } from "./ethtool-stats.js";
import { fileNr } from "./file-nr.js";
import { free } from "./free.js";
import { iostat } from "./iostat.js";
import { iotop } from "./iotop.js";
import { meminfo } from "./meminfo.js";
import { mpstat } from "./mpstat.js";
import { netstatConn } from "./netstat-conn.js";
import { netstatS } from "./netstat-s.js";
import { nstat } from "./nstat.js";
import { openFiles } from "./open-files.js";
import { perfReport } from "./perf-report.js";
import { perfSched } from "./perf-sched.js";
import { perfStat } from "./perf-stat.js";
import { pidstat } from "./pidstat.js";
import { pressureCpu, pressureIo, pressureMemory } from "./pressure.js";
import { procFds } from "./proc-fds.js";
import { procLimits } from "./proc-limits.js";
import { procStat } from "./proc-stat.js";
import { sar } from "./sar.js";
import { sockstat } from "./sockstat.js";
import { ssListen } from "./ss-listen.js";
import { ssSummary } from "./ss-summary.js";
import { ssTcp } from "./ss-tcp.js";
import { strace } from "./strace.js";
import { sysctl } from "./sysctl.js";
import { top } from "./top.js";
import type { Collector } from "./types.js";
import { uname } from "./uname.js";
import { uptime } from "./uptime.js";
import { vmstat } from "./vmstat.js";

/** Every collector, in one explicit list. Order is the order of the report's collector table. */
export const COLLECTORS: readonly Collector[] = [
  uptime,
  uname,
  meminfo,
  free,
  procStat,
  diskstats,
  top,
  vmstat,
  iostat,
  mpstat,
  pidstat,
  iotop,
  sar,
  df,
  dfInodes,
  sysctl,
  fileNr,
  procFds,
  procLimits,
  pressureCpu,
  pressureMemory,
  pressureIo,
  cgroupCpu,
  cgroupMemory,
  cgroupPids,
  deletedOpenFiles,
  openFiles,
  clocksource,
  ssSummary,
  ssListen,
  ssTcp,
  nstat,
  netstatS,
  netstatConn,
  sockstat,
  conntrack,
  conntrackStats,
  ethtoolStats,
  bccTcpretrans,
  dmesg,
  perfStat,
  perfSched,
  perfReport,
  strace,
  bccRunqlat,
  bccBiolatency,
  bccExecsnoop,
];

export function collectorById(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}

/** Every collector id this version can read from a bundle: its collectors' and its parsers'. */
export function knownCollectorIds(): Set<string> {
  return new Set([...COLLECTORS.map((c) => c.id), ...Object.keys(PARSERS)]);
}
