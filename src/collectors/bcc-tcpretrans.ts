import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/**
 * Each TCP retransmit as it happens, traced with eBPF for the window (opt-in: intrusive, only
 * with `--deep`). The tool runs until `/usr/bin/timeout`, run as root ({@link underTimeout}),
 * stops it with SIGINT; bcc compiles its program first, which takes a few seconds, hence the
 * slack. Needs root.
 */
export const bccTcpretrans: Collector = {
  id: "bcc-tcpretrans",
  title: "TCP retransmits traced live (bcc tcpretrans)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 8,
  capBytes: 4 << 20,
  spansWindow: true,
  untilStopped: true,
  package: "bpfcc-tools",
  command: (ctx) => ({
    argv: underTimeout(boundSeconds(bccTcpretrans, ctx.windowSeconds), [
      "/usr/sbin/tcpretrans-bpfcc",
    ]),
    root: true,
  }),
};
