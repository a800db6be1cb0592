import { num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Kernel tunables, from `sysctl -a`, `sysctl key key …` (the collector runs
 * `sysctl -e` with the keys below), a pasted `/etc/sysctl.conf`, or BSD `sysctl` output:
 *
 * ```
 * net.core.somaxconn = 4096
 * net.ipv4.tcp_mem = 188316	251089	376632        (several numbers: tab-separated)
 * kern.maxfiles: 12288                             (BSD / macOS form)
 * ```
 * Yields: `net_core_somaxconn = 4096`, `values["net.core.somaxconn"] = "4096"`.
 *
 * `values` holds every key as printed (a key printed several times, like `dev.cdrom.info`,
 * has its values joined with newlines). The keys the runbooks read are also typed, named as
 * the key with `.` and `-` turned into `_`:
 *
 * | fact | key | unit |
 * |---|---|---|
 * | `net_core_somaxconn` | net.core.somaxconn | connections (listen backlog cap) |
 * | `net_ipv4_tcp_max_syn_backlog` | net.ipv4.tcp_max_syn_backlog | requests |
 * | `net_ipv4_tcp_tw_reuse` | net.ipv4.tcp_tw_reuse | 0 off, 1 on, 2 loopback only |
 * | `net_ipv4_ip_local_port_range` | net.ipv4.ip_local_port_range | [low, high] ports |
 * | `net_ipv4_tcp_mem_pages` | net.ipv4.tcp_mem | [min, pressure, max] in pages |
 * | `net_ipv4_tcp_max_orphans` | net.ipv4.tcp_max_orphans | sockets |
 * | `net_netfilter_nf_conntrack_max` | net.netfilter.nf_conntrack_max | entries |
 * | `fs_file_max`, `fs_nr_open` | fs.file-max, fs.nr_open | file handles |
 * | `vm_swappiness` | vm.swappiness | 0–200 |
 * | `vm_dirty_ratio`, `vm_dirty_background_ratio` | vm.dirty_ratio, vm.dirty_background_ratio | % of available memory |
 * | `vm_dirty_bytes`, `vm_dirty_background_bytes` | vm.dirty_bytes, vm.dirty_background_bytes | bytes (0 = the ratio applies) |
 * | `vm_min_free_kbytes` | vm.min_free_kbytes | KiB |
 * | `vm_overcommit_memory` | vm.overcommit_memory | 0 heuristic, 1 always, 2 never |
 * | `kernel_pid_max`, `kernel_threads_max` | kernel.pid_max, kernel.threads-max | ids / threads |
 * | `net_ipv4_tcp_syncookies` | net.ipv4.tcp_syncookies | 0 off, 1 on overflow, 2 always |
 * | `net_ipv4_tcp_sack` | net.ipv4.tcp_sack | 1 selective acknowledgments on (default), 0 off |
 *
 * Numbers above 2^53 (fs.file-max is LONG_MAX on recent kernels) lose precision.
 * Error lines (`sysctl: cannot stat /proc/sys/…`, `sysctl: permission denied on key '…'`),
 * normally on stderr, are read when pasted: their keys land in `unknown_keys` /
 * `denied_keys` and the line is recorded as a problem.
 *
 * Source: sysctl(8) and sysctl.conf(5) of procps-ng; kernel Documentation/admin-guide/sysctl/.
 */
export interface SysctlFacts {
  values: Record<string, string>;
  net_core_somaxconn?: number;
  net_ipv4_tcp_max_syn_backlog?: number;
  net_ipv4_tcp_tw_reuse?: number;
  net_ipv4_ip_local_port_range?: number[];
  /** Ports in the local range: high − low + 1. */
  ip_local_port_count?: number;
  net_ipv4_tcp_mem_pages?: number[];
  net_ipv4_tcp_max_orphans?: number;
  net_netfilter_nf_conntrack_max?: number;
  fs_file_max?: number;
  fs_nr_open?: number;
  vm_swappiness?: number;
  vm_dirty_ratio?: number;
  vm_dirty_background_ratio?: number;
  vm_dirty_bytes?: number;
  vm_dirty_background_bytes?: number;
  vm_min_free_kbytes?: number;
  vm_overcommit_memory?: number;
  kernel_pid_max?: number;
  kernel_threads_max?: number;
  net_ipv4_tcp_syncookies?: number;
  net_ipv4_tcp_sack?: number;
  /** Keys sysctl reported as missing (`cannot stat`): no such tunable on this kernel. */
  unknown_keys: string[];
  /** Keys sysctl could not read (`permission denied`). */
  denied_keys: string[];
}

type TypedKey = Exclude<
  keyof SysctlFacts,
  "values" | "unknown_keys" | "denied_keys" | "ip_local_port_count"
>;

/** Typed keys: sysctl key → [fact, numbers expected (1 = scalar)]. */
const TYPED: Record<string, [TypedKey, number]> = {
  "net.core.somaxconn": ["net_core_somaxconn", 1],
  "net.ipv4.tcp_max_syn_backlog": ["net_ipv4_tcp_max_syn_backlog", 1],
  "net.ipv4.tcp_tw_reuse": ["net_ipv4_tcp_tw_reuse", 1],
  "net.ipv4.ip_local_port_range": ["net_ipv4_ip_local_port_range", 2],
  "net.ipv4.tcp_mem": ["net_ipv4_tcp_mem_pages", 3],
  "net.ipv4.tcp_max_orphans": ["net_ipv4_tcp_max_orphans", 1],
  "net.netfilter.nf_conntrack_max": ["net_netfilter_nf_conntrack_max", 1],
  "fs.file-max": ["fs_file_max", 1],
  "fs.nr_open": ["fs_nr_open", 1],
  "vm.swappiness": ["vm_swappiness", 1],
  "vm.dirty_ratio": ["vm_dirty_ratio", 1],
  "vm.dirty_background_ratio": ["vm_dirty_background_ratio", 1],
  "vm.dirty_bytes": ["vm_dirty_bytes", 1],
  "vm.dirty_background_bytes": ["vm_dirty_background_bytes", 1],
  "vm.min_free_kbytes": ["vm_min_free_kbytes", 1],
  "vm.overcommit_memory": ["vm_overcommit_memory", 1],
  "kernel.pid_max": ["kernel_pid_max", 1],
  "kernel.threads-max": ["kernel_threads_max", 1],
  "net.ipv4.tcp_syncookies": ["net_ipv4_tcp_syncookies", 1],
  "net.ipv4.tcp_sack": ["net_ipv4_tcp_sack", 1],
};

/** The keys the runbooks read, in the order the collector asks for them. */
export const SYSCTL_KEYS: readonly string[] = Object.keys(TYPED);

const EQ_LINE = /^\s*([A-Za-z0-9_][^\s=]*)\s*=\s?(.*)$/;
const COLON_LINE = /^\s*([A-Za-z0-9_]+(?:\.[^\s:=]+)+):\s?(.*)$/;
const NOT_FOUND = /^(?:\S*\/)?sysctl: cannot stat (\/proc\/sys\/\S+?):/;
const UNKNOWN_KEY = /^(?:\S*\/)?sysctl: unknown oid '([^']+)'/;
const DENIED = /^(?:\S*\/)?sysctl: permission denied on key ['"]([^'"]+)['"]/;

/** `/proc/sys/net/ipv4/conf/eth0.100/rp_filter` → `net.ipv4.conf.eth0/100.rp_filter`. */
function keyOfPath(path: string): string {
  return path
    .replace(/^\/proc\/sys\//, "")
    .split("/")
    .map((part) => part.replaceAll(".", "/"))
    .join(".");
}

/**
 * Parses sysctl output (see {@link SysctlFacts}). Throws UnrecognisedOutputError when not
 * one `key = value` / `key: value` line or sysctl error line was found.
 */
export function parseSysctl(lines: Iterable<string>): ParseResult<SysctlFacts> {
  const problems = new ProblemLog();
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  const denied: string[] = [];
  const typedLine: Record<string, number> = {};
  let found = false;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let m = NOT_FOUND.exec(line) ?? UNKNOWN_KEY.exec(line);
    if (m) {
      unknown.push(m[1].startsWith("/proc/sys/") ? keyOfPath(m[1]) : m[1]);
      problems.add(n, line, "sysctl error: no such key");
      found = true;
      continue;
    }
    m = DENIED.exec(line);
    if (m) {
      denied.push(m[1]);
      problems.add(n, line, "sysctl error: permission denied");
      found = true;
      continue;
    }
    m = EQ_LINE.exec(line) ?? COLON_LINE.exec(line);
    if (!m?.[1].includes(".") || /^(?:\S*\/)?sysctl:/.test(line)) {
      problems.add(n, line, "not a sysctl `key = value` line");
      continue;
    }
    found = true;
    const key = m[1];
    const value = m[2].replace(/\s+$/, "");
    values[key] = Object.hasOwn(values, key) ? `${values[key]}\n${value}` : value;
    if (Object.hasOwn(TYPED, key)) typedLine[key] = n;
  }
  if (!found) throw new UnrecognisedOutputError("sysctl", "no `key = value` line was found");

  const facts = { values } as SysctlFacts;
  const typed = facts as unknown as Record<string, number | number[]>;
  for (const [key, [fact, count]] of Object.entries(TYPED)) {
    if (!Object.hasOwn(values, key)) continue;
    const nums = values[key]
      .trim()
      .split(/\s+/)
      .map((t) => num(t));
    if (nums.length !== count || nums.some((v) => v === undefined)) {
      problems.add(typedLine[key], `${key} = ${values[key]}`, `expected ${count} number(s)`);
      continue;
    }
    typed[fact] = count === 1 ? (nums[0] as number) : (nums as number[]);
  }
  const range = facts.net_ipv4_ip_local_port_range;
  if (range) facts.ip_local_port_count = range[1] - range[0] + 1;
  facts.unknown_keys = unknown;
  facts.denied_keys = denied;
  return { facts, problems: problems.list() };
}
