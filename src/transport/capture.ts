import type { ExecResult } from "./types.js";

/**
 * A byte sink that keeps the first `capBytes` of a stream and drops the rest while still
 * consuming it, so the writer never blocks on a full pipe or SSH window.
 */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes received in all, kept or dropped. */
  total = 0;
  /** Set once any byte was dropped. */
  truncated = false;

  constructor(private readonly capBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.capBytes - this.kept;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    if (chunk.length > room) {
      this.chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.kept += room;
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}

/**
 * The result of a command from its captured output: no exit code when it timed out;
 * `started` is its `performance.now()` at the start.
 */
export function execResult(
  stdout: CappedBuffer,
  stderr: CappedBuffer,
  exitCode: number | null,
  timedOut: boolean,
  started: number,
): ExecResult {
  return {
    stdout: stdout.toBuffer(),
    stderr: stderr.toBuffer(),
    exitCode: timedOut ? null : exitCode,
    timedOut,
    truncated: stdout.truncated || stderr.truncated,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Throws when options are out of range (a programming error, not a user one). */
export function checkExecOptions(options: { timeoutMs: number; capBytes: number }): void {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }
  if (!Number.isInteger(options.capBytes) || options.capBytes < 0) {
    throw new RangeError(`capBytes must be a whole number >= 0, got ${options.capBytes}`);
  }
}

/** The reason an AbortSignal carries, or a standard AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}
