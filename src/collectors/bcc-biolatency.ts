import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/**
 * Block I/O latency histograms per disk, one set per second of the window
 * (`biolatency-bpfcc -D 1 N`), traced with eBPF: opt-in (intrusive, only with `--deep`).
 * bcc compiles its program first, hence the slack over the window. Needs root; runs behind a
 * root `/usr/bin/timeout` ({@link underTimeout}) like every bcc tool.
 */
export const bccBiolatency: Collector = {
  id: "bcc-biolatency",
  title: "block I/O latency histograms per disk (bcc biolatency -D)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 15,
  capBytes: 1 << 20,
  spansWindow: true,
  package: "bpfcc-tools",
  command: (ctx) => ({
    argv: underTimeout(boundSeconds(bccBiolatency, ctx.windowSeconds), [
      "/usr/sbin/biolatency-bpfcc",
      "-D",
      "1",
      String(ctx.windowSeconds),
    ]),
    root: true,
  }),
};
