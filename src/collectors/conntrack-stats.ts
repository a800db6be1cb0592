import type { Collector } from "./types.js";

const FILE = "/proc/net/stat/nf_conntrack";
const SCRIPT = `echo "==> ${FILE} <=="; if [ -r ${FILE} ]; then cat ${FILE}; fi`;

/**
 * Per-CPU conntrack statistics (insert_failed, drop, early_drop, …), read at the start and
 * the end of the window.
 *
 * The collector reads /proc/net/stat/nf_conntrack (world-readable) rather than running
 * `conntrack -S`: the same counters, no root, no package, and no side effect. `conntrack -S`
 * talks ctnetlink, and on a host without the module the kernel would load
 * nf_conntrack_netlink and nf_conntrack to answer it (nfnetlink's request_module), which
 * changes the host being diagnosed. The parser reads both formats, so a pasted `conntrack -S`
 * is understood too. An absent file (module not loaded) gives the marker alone: `loaded: false`.
 */
export const conntrackStats: Collector = {
  id: "conntrack-stats",
  title: "conntrack per-CPU statistics (/proc/net/stat/nf_conntrack)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 256 << 10,
  windowed: true,
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
