import {
  type DeriveModule,
  FactBag,
  type FactSpec,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { factsOf, n } from "./util.js";

/**
 * Kernel tunables the rules compare against (`sysctl`), under `sysctl.<key>` with `.` and `-`
 * of the key turned into `_` (the sysctl parser's names). Other modules read the same values
 * for their own limits (fd, conntrack, pids, listen backlog).
 */

const FROM = ["sysctl"] as const;
/**
 * Each tunable read: `[key, unit, says, doc]`, the FactSpec fields; `says` is sysctl's own
 * `name = value` form, save for the port count, which is not a tunable of its own.
 */
const KEYS: [string, string, string, string][] = [
  [
    "net_core_somaxconn",
    "connections",
    "net.core.somaxconn = {}",
    "net.core.somaxconn: cap on every listen() backlog.",
  ],
  [
    "net_ipv4_tcp_max_syn_backlog",
    "requests",
    "net.ipv4.tcp_max_syn_backlog = {}",
    "net.ipv4.tcp_max_syn_backlog: SYN-RECV requests kept per listener.",
  ],
  [
    "net_ipv4_tcp_syncookies",
    "mode",
    "net.ipv4.tcp_syncookies = {}",
    "net.ipv4.tcp_syncookies: 0 off, 1 when the SYN queue overflows, 2 always.",
  ],
  [
    "net_ipv4_tcp_sack",
    "mode",
    "net.ipv4.tcp_sack = {}",
    "net.ipv4.tcp_sack: 1 selective acknowledgments on (the default), 0 off.",
  ],
  [
    "net_ipv4_tcp_tw_reuse",
    "mode",
    "net.ipv4.tcp_tw_reuse = {}",
    "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only.",
  ],
  [
    "ip_local_port_count",
    "ports",
    "{} ports in net.ipv4.ip_local_port_range",
    "Ports in net.ipv4.ip_local_port_range (high − low + 1).",
  ],
  [
    "net_ipv4_tcp_max_orphans",
    "sockets",
    "net.ipv4.tcp_max_orphans = {}",
    "net.ipv4.tcp_max_orphans.",
  ],
  [
    "net_netfilter_nf_conntrack_max",
    "entries",
    "net.netfilter.nf_conntrack_max = {}",
    "net.netfilter.nf_conntrack_max.",
  ],
  [
    "fs_file_max",
    "handles",
    "fs.file-max = {}",
    "fs.file-max: system-wide limit on open file handles.",
  ],
  [
    "fs_nr_open",
    "handles",
    "fs.nr_open = {}",
    "fs.nr_open: ceiling of any process's RLIMIT_NOFILE.",
  ],
  ["vm_swappiness", "", "vm.swappiness = {}", "vm.swappiness (0–200)."],
  [
    "vm_dirty_ratio",
    "%",
    "vm.dirty_ratio = {}",
    "vm.dirty_ratio: % of dirtyable memory at which writers are throttled.",
  ],
  [
    "vm_dirty_background_ratio",
    "%",
    "vm.dirty_background_ratio = {}",
    "vm.dirty_background_ratio: % at which background writeback starts.",
  ],
  [
    "vm_dirty_bytes",
    "bytes",
    "vm.dirty_bytes = {}",
    "vm.dirty_bytes (0 = vm.dirty_ratio applies).",
  ],
  [
    "vm_dirty_background_bytes",
    "bytes",
    "vm.dirty_background_bytes = {}",
    "vm.dirty_background_bytes (0 = the ratio applies).",
  ],
  ["vm_min_free_kbytes", "kB", "vm.min_free_kbytes = {}", "vm.min_free_kbytes."],
  [
    "vm_overcommit_memory",
    "mode",
    "vm.overcommit_memory = {}",
    "vm.overcommit_memory: 0 heuristic, 1 always, 2 never.",
  ],
  ["kernel_pid_max", "ids", "kernel.pid_max = {}", "kernel.pid_max."],
  ["kernel_threads_max", "threads", "kernel.threads-max = {}", "kernel.threads-max."],
];

const provides: ModuleFactSpec[] = [
  ...KEYS.map(
    ([key, unit, says, doc]): FactSpec => ({
      path: `sysctl.${key}`,
      says,
      type: "number",
      unit: unit || undefined,
      from: FROM,
      doc,
    }),
  ),
  {
    path: "sysctl.tcp_mem_pressure_pages",
    type: "number",
    unit: "pages",
    doc: "Second value of net.ipv4.tcp_mem: TCP enters memory pressure above it.",
  },
  {
    path: "sysctl.tcp_mem_max_pages",
    type: "number",
    unit: "pages",
    doc: "Third value of net.ipv4.tcp_mem: TCP refuses socket memory above it.",
  },
];

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const f = factsOf(parsed, "sysctl");
  if (!f) return bag;
  const raw = f.values ?? {};
  const lineOf = (key: string): string | undefined => {
    const dotted = Object.keys(raw).find((k) => k.replace(/[.-]/g, "_") === key);
    return dotted ? `${dotted} = ${raw[dotted]}` : undefined;
  };
  const typed = f as unknown as Record<string, unknown>;
  for (const [key] of KEYS) {
    const v = n(typed[key]);
    if (v !== undefined) bag.set(`sysctl.${key}`, v, "sysctl", lineOf(key) ?? `${key} = ${v}`);
  }
  const mem = Array.isArray(f.net_ipv4_tcp_mem_pages) ? f.net_ipv4_tcp_mem_pages : [];
  const line = lineOf("net_ipv4_tcp_mem");
  bag.set("sysctl.tcp_mem_pressure_pages", n(mem[1]), "sysctl", line);
  bag.set("sysctl.tcp_mem_max_pages", n(mem[2]), "sysctl", line);
  return bag;
}

/** The `sysctl` derive module (see the header comment of this file). */
export const sysctlModule: DeriveModule = {
  id: "sysctl",
  needs: ["sysctl"],
  provides,
  derive,
};
