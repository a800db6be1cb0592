/**
 * One error type for everything diagbot reports to a person: a stable `code`, whether trying
 * again may help (`retryable`), and a `hint` that says what to do next.
 */
export type ErrorCode =
  | "usage"
  | "config"
  | "unknown-host"
  | "unknown-collector"
  | "unrecognised-output"
  | "host-key-refused"
  | "auth-failed"
  | "connect-failed"
  | "connect-timeout"
  | "command-timeout"
  | "bundle"
  | "runbook"
  | "no-collector-ran"
  | "interrupted";

export class DiagbotError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
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
    options: { hint?: string; retryable?: boolean; cause?: unknown; localPaths?: string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DiagbotError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
    const paths = options.localPaths ?? [];
    this.publicMessage = withFileNames(message, paths);
    this.publicHint = options.hint === undefined ? undefined : withFileNames(options.hint, paths);
  }

  /** `message` followed by the hint, as one or two sentences for a terminal or chat. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** `text` with each of `paths` (absolute, with a folder) replaced by its last component. */
function withFileNames(text: string, paths: readonly string[]): string {
  // Longest first, so that a path is not cut inside a longer one that starts with it.
  const sorted = paths.filter((p) => p.includes("/")).sort((a, b) => b.length - a.length);
  return sorted.reduce((out, p) => out.replaceAll(p, p.slice(p.lastIndexOf("/") + 1)), text);
}

/** Errors that come from bad user input or configuration: the CLI exits 2 on these. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  "usage",
  "config",
  "unknown-host",
  "unknown-collector",
  "runbook",
  "bundle",
]);

/** Why a file could not be read: `no such file`, `permission denied`, else the error's message. */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return (err as Error).message;
}
