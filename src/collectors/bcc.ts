import { boundSeconds, underTimeout } from "./command.js";
import type { Collector } from "./types.js";

/** What sets one bcc tool apart from the others. */
export interface BccTool {
  id: string;
  title: string;
  /** Seconds over the window: bcc compiles its eBPF program first, which takes a few seconds. */
  timeoutSeconds: number;
  capBytes: number;
  /** True for a tool that traces until stopped (exit 124 from `timeout` is its normal end). */
  untilStopped?: boolean;
  /** The tool's argv for a window of `windowSeconds` (Debian's `/usr/sbin/*-bpfcc` names). */
  argv: (windowSeconds: number) => string[];
}

/**
 * A bcc (eBPF) tool as a collector: opt-in (`cost: "intrusive"`, only with `--deep`), spanning
 * the window, needing root, and run behind a root `/usr/bin/timeout` ({@link underTimeout}).
 */
export function bccTool(tool: BccTool): Collector {
  const collector: Collector = {
    id: tool.id,
    title: tool.title,
    cost: "intrusive",
    stream: "stdout",
    timeoutSeconds: tool.timeoutSeconds,
    capBytes: tool.capBytes,
    spansWindow: true,
    ...(tool.untilStopped ? { untilStopped: true } : {}),
    package: "bpfcc-tools",
    command: (ctx) => ({
      argv: underTimeout(boundSeconds(collector, ctx.windowSeconds), tool.argv(ctx.windowSeconds)),
      root: true,
    }),
  };
  return collector;
}
