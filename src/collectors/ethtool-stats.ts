import type { Collector } from "./types.js";

/** What the script says on a host whose interfaces are all virtual. */
const NO_NIC =
  "no network interface backed by a device: only lo and virtual ones (veth, bridges, tunnels, VLANs), whose ethtool statistics hold no NIC counters";

/**
 * Every interface of /sys/class/net backed by a device (`/sys/class/net/IFACE/device`, a PCI,
 * virtio, VMBus or platform device), each under a `==> IFACE <==` marker: a `driver:` line with
 * the name of the device's driver (the basename of `device/driver`, the name `ethtool -i` also
 * prints: the counter names are the driver's own, so it says how to read them), then
 * `ethtool -S` with ethtool's complaint kept in the section. Virtual interfaces (lo, veth,
 * bridges, tunnels, VLANs, which have no parent device, and drivers/base/core.c
 * device_add_class_symlinks() links `device` only to a parent) are left out: their statistics, if any, are no NIC's, and a container host has hundreds. The
 * driver is read by the shell (`cd -P`), so each interface costs one process. ETHTOOL_GSTATS
 * needs no root.
 */
const SCRIPT = [
  "found=",
  "for d in /sys/class/net/*; do",
  '  [ -e "$d/device" ] || continue',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  '  i=${d##*/}; found=1; echo "==> $i <=="',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  '  cd -P "$d/device/driver" 2>/dev/null && echo "driver: ${PWD##*/}"',
  '  ethtool -S "$i" 2>&1',
  "done",
  `[ -n "$found" ] || { echo '${NO_NIC}' >&2; exit 1; }`,
  "",
].join("\n");

/** NIC driver counters (rx_missed_errors, rx_no_buffer_count, drops), start and end of the window. */
export const ethtoolStats: Collector = {
  id: "ethtool-stats",
  title: "NIC driver statistics (ethtool -S, every interface backed by a device)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 20,
  capBytes: 4 << 20,
  windowed: true,
  package: "ethtool",
  absent: { stderr: /^no network interface backed by a device: /m, reason: NO_NIC },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT }),
};
