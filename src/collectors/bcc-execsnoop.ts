import { bccTool } from "./bcc.js";

/**
 * Every exec() over the window, failed ones included, with seconds since the start
 * (`execsnoop-bpfcc -t -x`), traced with eBPF until `timeout` stops it with SIGINT.
 */
export const bccExecsnoop = bccTool({
  id: "bcc-execsnoop",
  title: "short-lived processes: every exec() (bcc execsnoop)",
  timeoutSeconds: 8,
  capBytes: 4 << 20,
  untilStopped: true,
  argv: () => ["/usr/sbin/execsnoop-bpfcc", "-t", "-x"],
});
