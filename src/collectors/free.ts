import type { Collector } from "./types.js";

/** Memory and swap totals in bytes (`free -b`). */
export const free: Collector = {
  id: "free",
  title: "memory and swap (free -b)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 16 << 10,
  package: "procps",
  command: () => ({ argv: ["free", "-b"] }),
};
