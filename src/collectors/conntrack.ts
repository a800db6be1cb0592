import type { Collector } from "./types.js";

/**
 * Prints each file under a `==> path <==` marker, and nothing under it when the file is
 * absent (no nf_conntrack module: the parser reports `loaded: false`). Reading these files
 * never loads the module.
 */
const SCRIPT = [
  "for f in /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max",
  'do echo "==> $f <=="; if [ -r "$f" ]; then cat "$f"; fi',
  "done",
].join("; ");

/** Connection-tracking table fill: nf_conntrack_count against nf_conntrack_max. */
export const conntrack: Collector = {
  id: "conntrack",
  title: "conntrack table count and max (/proc/sys/net/netfilter)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4 << 10,
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
