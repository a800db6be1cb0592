import type { Collector, CommandLine } from "./types.js";

/** The collector whose tool a stand-in gives way to, and what both of them read. */
export interface Preferred {
  /** The preferred collector's program, looked up on the host's PATH (`nstat`). */
  tool: string;
  /** The preferred collector's id (`nstat`). */
  collector: string;
  /** What both read, for the sentence that says why the stand-in did not run ("counters"). */
  reads: string;
}

/**
 * A collector that stands in for another where the other's tool is missing: `netstat -s`
 * where iproute2's `nstat` is (busybox, old hosts), `netstat -tan` where `ss` is. On a host
 * with the preferred tool, the command ({@link CommandLine.unless}, built by `guarded` in
 * command.ts) says so on stderr and exits 1 without starting its own tool, and the engine
 * records the collector skipped ({@link Collector.absent}): both read the same kernel tables,
 * and running the two only doubles the host's work. Without either tool, `exec` fails with
 * status 127 and the stand-in is reported missing.
 */
export function standIn(
  preferred: Preferred,
  argv: readonly string[],
): Pick<Collector, "absent" | "command"> {
  const said = `${preferred.tool} is installed: collector ${preferred.collector} reads the same ${preferred.reads}`;
  const pattern = said.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    absent: { stderr: new RegExp(`^${pattern}$`, "m"), reason: said },
    command: () => ({ argv: [...argv], unless: { tool: preferred.tool, said } }),
  };
}
