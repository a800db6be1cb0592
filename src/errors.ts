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
  | "interrupted"
  /** A ticket system did not take the evidence after retries (exit 5). */
  | "ticket-failed"
  /** A ticket system refused the request (401, 403, 404, 400): a setting or key to fix (exit 5). */
  | "ticket-refused";

export class DiagbotError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly hint?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DiagbotError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  /** `message` followed by the hint, as one or two sentences for a terminal or chat. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
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

/** Errors of delivering a produced report to a ticket system: the CLI exits 5 on these. */
export const DELIVERY_CODES: ReadonlySet<ErrorCode> = new Set(["ticket-failed", "ticket-refused"]);

/** Why a file could not be read: `no such file`, `permission denied`, else the error's message. */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return (err as Error).message;
}
