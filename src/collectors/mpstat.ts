import type { Collector } from "./types.js";

/** Per-CPU utilisation (usr, sys, iowait, irq, soft, steal, idle) over the window, with Average rows. */
export const mpstat: Collector = {
  id: "mpstat",
  title: "per-CPU utilisation over the window (mpstat -P ALL)",
  cost: "sampling",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 4 << 20,
  spansWindow: true,
  package: "sysstat",
  command: (ctx) => ({ argv: ["mpstat", "-P", "ALL", "1", String(ctx.windowSeconds)] }),
};
