import type { CollectorStatus } from "./report.js";

/** The raw result of one collector, as saved in an evidence bundle. */
export interface CollectedOutput {
  id: string;
  status: CollectorStatus;
  /** The report stream (stdout, or stderr for tools that report there), byte-exact. */
  out?: Buffer;
  /** First snapshot of a windowed counter (`<id>.start.out`). */
  start?: Buffer;
  /** The other stream, for the manifest's excerpt. */
  stderr?: Buffer;
  exitCode?: number;
  durationMs: number;
  truncated?: boolean;
  /** The exact command line run on the host. */
  command?: string;
  stream?: "stdout" | "stderr";
  /** What went wrong and what to do next. */
  error?: string;
  /** How evidence that was not collected here was read (`pasted \`free -m\` (line 4)`). */
  recognisedAs?: string;
  /** Only part of the output is present (it went through `grep`, `head`, …). */
  partial?: boolean;
}
