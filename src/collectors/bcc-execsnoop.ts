import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/**
 * Every exec() over the window, failed ones included, with seconds since the start
 * (`execsnoop-bpfcc -t -x`), traced with eBPF: opt-in (intrusive, only with `--deep`). The
 * tool runs until `/usr/bin/timeout`, run as root ({@link underTimeout}), stops it with SIGINT
 * (exit 124 is its normal end); bcc compiles its program first, hence the slack over the
 * window. Needs root.
 */
export const bccExecsnoop: Collector = {
  id: "bcc-execsnoop",
  title: "short-lived processes: every exec() (bcc execsnoop)",
  cost: "intrusive",
  stream: "stdout",
  timeoutSeconds: 8,
  capBytes: 4 << 20,
  spansWindow: true,
  untilStopped: true,
  package: "bpfcc-tools",
  command: (ctx) => ({
    argv: underTimeout(boundSeconds(bccExecsnoop, ctx.windowSeconds), [
      "/usr/sbin/execsnoop-bpfcc",
      "-t",
      "-x",
    ]),
    root: true,
  }),
};
