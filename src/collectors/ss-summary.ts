import type { Collector } from "./types.js";

/** Socket counts by transport and TCP state totals (estab, orphaned, timewait). */
export const ssSummary: Collector = {
  id: "ss-summary",
  title: "socket summary (ss -s)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 64 << 10,
  package: "iproute2",
  command: () => ({ argv: ["ss", "-s"] }),
};
