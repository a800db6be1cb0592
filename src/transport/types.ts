/**
 * A transport runs fixed command lines on one host and returns their output. Implementations:
 * `local` (child_process, this machine), `ssh` (ssh2, one connection per diagnosis). A replayed
 * evidence bundle needs no transport: it is loaded by `src/bundle/`.
 */
export interface ExecOptions {
  /** Wall-clock limit in ms. The command string itself also bounds the remote process. */
  timeoutMs: number;
  /** Bytes kept per stream; the rest is read and dropped, and `truncated` set. */
  capBytes: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status; null when the process was killed by a signal or the channel was closed. */
  exitCode: number | null;
  /** Set when `timeoutMs` passed and the command was abandoned (its channel closed). */
  timedOut: boolean;
  /** Set when either stream passed `capBytes`. */
  truncated: boolean;
  durationMs: number;
}

export interface Transport {
  /** Host label for reports and errors. */
  readonly host: string;
  /** True when commands run as root (uid 0). */
  readonly root: boolean;
  /** Concurrent commands allowed (ssh: the host's `maxSessions`). */
  readonly maxSessions: number;
  /** Runs one shell command line (already wrapped in the host-side bound). */
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
