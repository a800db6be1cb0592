import type { SpawnSyncReturns } from "node:child_process";
import type { ExecResult } from "../../src/transport/types.js";

/** A finished `spawnSync` as the transport's result, for `classify` (never timed out or cut). */
export function execResultOf(r: SpawnSyncReturns<Buffer>): ExecResult {
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.status,
    timedOut: false,
    truncated: false,
    durationMs: 1,
  };
}
