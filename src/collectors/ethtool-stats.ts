import type { Collector } from "./types.js";

/**
 * Every interface of /sys/class/net but `lo`, each under a `==> IFACE <==` marker: the
 * `driver:` line of `ethtool -i` (the counter names are the driver's own, so it says how to read
 * them), then `ethtool -S` with ethtool's complaint (virtual devices: "no stats available") kept
 * in the section. ETHTOOL_GDRVINFO and ETHTOOL_GSTATS need no root.
 */
const SCRIPT = [
  "for d in /sys/class/net/*",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  'do i=${d##*/}; [ "$i" = lo ] && continue; [ -e "$d" ] || continue',
  'echo "==> $i <=="; ethtool -i "$i" 2>/dev/null | grep "^driver:"; ethtool -S "$i" 2>&1',
  "done",
].join("; ");

/** NIC driver counters (rx_missed_errors, rx_no_buffer_count, drops), start and end of the window. */
export const ethtoolStats: Collector = {
  id: "ethtool-stats",
  title: "NIC driver statistics (ethtool -S, every interface but lo)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 20,
  capBytes: 4 << 20,
  windowed: true,
  package: "ethtool",
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT }),
};
