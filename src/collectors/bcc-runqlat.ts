import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/**
 * Run-queue latency histograms, one per second of the window (`runqlat-bpfcc 1 N`), traced
 * with eBPF: opt-in (intrusive, only with `--deep`). bcc compiles its program first, which
 * takes a few seconds, hence the slack over the window. Needs root; runs behind a root
 * `/usr/bin/timeout` ({@link underTimeout}) like every bcc tool.
 */
export const bccRunqlat: Collector = {
  id: "bcc-runqlat",
  title: "run-queue (scheduler) latency histograms (bcc runqlat)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 15,
  capBytes: 1 << 20,
  spansWindow: true,
  package: "bpfcc-tools",
  command: (ctx) => ({
    argv: underTimeout(boundSeconds(bccRunqlat, ctx.windowSeconds), [
      "/usr/sbin/runqlat-bpfcc",
      "1",
      String(ctx.windowSeconds),
    ]),
    root: true,
  }),
};
