import { bccTool } from "./bcc.js";

/** Run-queue latency histograms, one per second of the window (`runqlat-bpfcc 1 N`), traced with eBPF. */
export const bccRunqlat = bccTool({
  id: "bcc-runqlat",
  title: "run-queue (scheduler) latency histograms (bcc runqlat)",
  timeoutSeconds: 15,
  capBytes: 1 << 20,
  argv: (window) => ["/usr/sbin/runqlat-bpfcc", "1", String(window)],
});
