import type { Collector } from "./types.js";

/**
 * Listening TCP sockets with their accept queue (Recv-Q) against their effective backlog
 * (Send-Q = min(listen() backlog, net.core.somaxconn)). `ss -ltn` needs no root; `-p` (which
 * process) would need root for other users' sockets and is left out so the command stays
 * cheap and unprivileged (DESIGN.md).
 */
export const ssListen: Collector = {
  id: "ss-listen",
  title: "listening TCP sockets: accept queue vs backlog (ss -ltn)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 4 << 20,
  package: "iproute2",
  command: () => ({ argv: ["ss", "-ltn"] }),
};
