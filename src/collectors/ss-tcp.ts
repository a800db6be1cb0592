import type { Collector } from "./types.js";

/**
 * Every TCP socket with its queues and `-i` detail (rtt, cwnd, retransmits, rates). Cheap
 * (netlink sock_diag, no root), but a busy host can have 100k sockets: capped at 64 MiB.
 */
export const ssTcp: Collector = {
  id: "ss-tcp",
  title: "TCP sockets with queues and TCP info (ss -tani)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 30,
  capBytes: 64 << 20,
  package: "iproute2",
  command: () => ({ argv: ["ss", "-tani"] }),
};
