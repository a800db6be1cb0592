import type { Collector } from "./types.js";

/** Socket counts and TCP/UDP memory (in pages) from /proc/net/sockstat and sockstat6. */
export const sockstat: Collector = {
  id: "sockstat",
  title: "socket counts and memory (/proc/net/sockstat, sockstat6)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 16 << 10,
  command: () => ({
    argv: ["cat", "/proc/net/sockstat", "/proc/net/sockstat6"],
    readsKernelOnly: true,
  }),
};
