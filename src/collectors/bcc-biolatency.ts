import { bccTool } from "./bcc.js";

/**
 * Block I/O latency histograms per disk, one set per second of the window
 * (`biolatency-bpfcc -D 1 N`), traced with eBPF.
 */
export const bccBiolatency = bccTool({
  id: "bcc-biolatency",
  title: "block I/O latency histograms per disk (bcc biolatency -D)",
  timeoutSeconds: 15,
  capBytes: 1 << 20,
  argv: (window) => ["/usr/sbin/biolatency-bpfcc", "-D", "1", String(window)],
});
