import type { Collector } from "./types.js";

const DIR = "/sys/devices/system/edac/mc";
const SCRIPT = [
  `set -- ${DIR}/mc[0-9]*`,
  `[ -d "$1" ] || { echo "${DIR}/mc0: No such file or directory" >&2; exit 1; }`,
  'for m in "$@"; do',
  '  for f in "$m"/ce_count "$m"/ue_count "$m"/ce_noinfo_count "$m"/ue_noinfo_count "$m"/seconds_since_reset \\',
  '    "$m"/dimm[0-9]*/dimm_label "$m"/dimm[0-9]*/dimm_ce_count "$m"/dimm[0-9]*/dimm_ue_count \\',
  '    "$m"/rank[0-9]*/dimm_label "$m"/rank[0-9]*/dimm_ce_count "$m"/rank[0-9]*/dimm_ue_count; do',
  '    [ -r "$f" ] || continue',
  `    printf '==> %s <==\\n' "$f"`,
  '    cat "$f"',
  "  done",
  "done",
  "",
].join("\n");

/**
 * The corrected and uncorrected memory error counts of each EDAC memory controller and DIMM
 * (kernel Documentation/admin-guide/ras.rst, drivers/edac/edac_mc_sysfs.c). A host without an
 * EDAC driver (most virtual machines, platforms without one) has no `mc0`: skipped, saying so.
 */
export const edac: Collector = {
  id: "edac",
  title: "memory error counts per controller and DIMM (/sys/devices/system/edac/mc)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 65536,
  absent: {
    stderr: /edac\/mc\/mc0: No such file or directory/,
    reason:
      "no EDAC memory controller is registered (no EDAC driver for this platform, or a virtual machine)",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
