import { bccTool } from "./bcc.js";

/** Each TCP retransmit as it happens, traced with eBPF until `timeout` stops it with SIGINT. */
export const bccTcpretrans = bccTool({
  id: "bcc-tcpretrans",
  title: "TCP retransmits traced live (bcc tcpretrans)",
  timeoutSeconds: 8,
  capBytes: 4 << 20,
  untilStopped: true,
  argv: () => ["/usr/sbin/tcpretrans-bpfcc"],
});
