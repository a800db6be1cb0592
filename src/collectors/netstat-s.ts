import { standIn } from "./stand-in.js";
import type { Collector } from "./types.js";

/**
 * Protocol statistics as net-tools prints them, mapped to nstat's counter names. The same
 * counters as `nstat`, so it runs only where `nstat` is missing ({@link standIn}); read at the
 * start and the end of the window since they only grow.
 */
export const netstatS: Collector = {
  id: "netstat-s",
  title: "protocol statistics (netstat -s)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 1 << 20,
  windowed: true,
  package: "net-tools",
  ...standIn({ tool: "nstat", collector: "nstat", reads: "counters" }, ["netstat", "-s"]),
};
