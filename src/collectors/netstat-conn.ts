import { standIn } from "./stand-in.js";
import type { Collector } from "./types.js";

/**
 * TCP sockets as netstat lists them (what many people paste). `-p` would need root to name
 * other users' processes, so the collector runs `netstat -tan` (cheap, unprivileged). netstat
 * reads /proc/net/tcp and tcp6, slower than ss on 100k sockets: capped at 64 MiB. It runs only
 * where `ss` is missing ({@link standIn}): `ss -tani` (ss-tcp) lists the same sockets.
 */
export const netstatConn: Collector = {
  id: "netstat-conn",
  title: "TCP connections (netstat -tan)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 30,
  capBytes: 64 << 20,
  package: "net-tools",
  ...standIn({ tool: "ss", collector: "ss-tcp", reads: "sockets" }, ["netstat", "-tan"]),
};
