import type { Collector } from "./types.js";

/**
 * The kernel's network counters (ListenOverflows, RetransSegs, …), read at the start and the
 * end of the window. `-a` prints absolute values and `-s` keeps nstat from writing its
 * history file: with both, nstat does not even open it (iproute2 misc/nstat.c opens the
 * history only when `!ignore_history || !no_update`), so the command never rewrites it
 * (DESIGN.md). `-z` keeps zero counters, so a counter absent at the start is known to be 0.
 */
export const nstat: Collector = {
  id: "nstat",
  title: "kernel network counters (nstat -asz)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  windowed: true,
  package: "iproute2",
  command: () => ({ argv: ["nstat", "-asz"] }),
};
