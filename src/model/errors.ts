/**
 * One error type for everything diagbot reports to a person: a stable `code`, a `hint` that
 * says what to do next, and, from {@link ERROR_CODES}, what the code means for the exit status
 * and for the queue. Nothing else decides whether an error is a usage error or worth a retry.
 */

/** The exit codes of DESIGN.md "CLI contract" that an error can end a command with. */
export type ErrorExit = 1 | 2 | 3 | 5 | 130;

export interface ErrorKind {
  /** Bad user input or configuration: exit 2; the message names the file, field or value. */
  usage: boolean;
  /** Trying again later may help (an SSH connection refused, Redis away): the queue retries. */
  retryable: boolean;
  /** The exit code of a command that ends with this error. */
  exit: ErrorExit;
}

const usage: ErrorKind = { usage: true, retryable: false, exit: 2 };
/** Nothing could be collected, and trying again would not change that. */
const unreachable: ErrorKind = { usage: false, retryable: false, exit: 3 };

/** Every error code and what it means; the worker's retry decision and the CLI's exit read it. */
export const ERROR_CODES = {
  usage,
  config: usage,
  "unknown-host": usage,
  "unknown-collector": usage,
  runbook: usage,
  bundle: usage,
  "unrecognised-output": { usage: false, retryable: false, exit: 1 },
  "host-key-refused": unreachable,
  "auth-failed": unreachable,
  /** The host's address does not resolve: the inventory is wrong, a retry will not fix it. */
  "unresolved-host": unreachable,
  "connect-failed": { usage: false, retryable: true, exit: 3 },
  "connect-timeout": { usage: false, retryable: true, exit: 3 },
  "command-timeout": unreachable,
  "no-collector-ran": unreachable,
  interrupted: { usage: false, retryable: false, exit: 130 },
  /** A request over a rate limit (per person or channel): refused now, welcome later. */
  "rate-limited": { usage: false, retryable: true, exit: 2 },
  /** A ticket system did not take the evidence after retries: the report was produced (exit 5). */
  "ticket-failed": { usage: false, retryable: true, exit: 5 },
  /** A ticket system refused the request (400, 401, 403, 404): a setting or key to fix (exit 5). */
  "ticket-refused": { usage: false, retryable: false, exit: 5 },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DiagbotError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /**
   * `message` as a chat channel may show it: every local path named in `localPaths` (an SSH
   * key, a known_hosts file) is cut to its file name. The operator's terminal and logs get
   * `message`, with the whole path.
   */
  readonly publicMessage: string;
  /** `hint` with the same paths cut to their file names. */
  readonly publicHint?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; localPaths?: string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DiagbotError";
    this.code = code;
    this.hint = options.hint;
    const paths = options.localPaths ?? [];
    this.publicMessage = withFileNames(message, paths);
    this.publicHint = options.hint === undefined ? undefined : withFileNames(options.hint, paths);
  }

  /** What the code means: usage error, retryable, exit code. */
  get kind(): ErrorKind {
    return ERROR_CODES[this.code];
  }

  /** Whether trying again later may help (from {@link ERROR_CODES}). */
  get retryable(): boolean {
    return this.kind.retryable;
  }

  /** No retry can fix it: the queue fails the job at once. */
  get unrecoverable(): boolean {
    return !this.kind.retryable;
  }

  /** `message` followed by the hint, as one or two sentences for a terminal or chat. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }

  /** {@link describe} as a chat channel may show it: local paths cut to their file names. */
  describePublic(): string {
    return this.publicHint
      ? `${this.publicMessage}\n  hint: ${this.publicHint}`
      : this.publicMessage;
  }
}

/** `text` with each of `paths` (absolute, with a folder) replaced by its last component. */
function withFileNames(text: string, paths: readonly string[]): string {
  // Longest first, so that a path is not cut inside a longer one that starts with it.
  const sorted = paths.filter((p) => p.includes("/")).sort((a, b) => b.length - a.length);
  return sorted.reduce((out, p) => out.replaceAll(p, p.slice(p.lastIndexOf("/") + 1)), text);
}

/**
 * Why a file could not be read: `no such file`, `permission denied`, `a directory, not a file`,
 * `an I/O error` (a file the kernel refuses to stream, such as /proc/self/mem), else the error's
 * message.
 */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "a directory, not a file";
  if (code === "EIO") return "an I/O error (the file cannot be read as a stream)";
  return (err as Error).message;
}
