import { DiagbotError } from "../model/errors.js";
import { escapeMrkdwn, redactText } from "../redact/index.js";

/** The texts every listener answers with: ephemeral replies, errors for people and for the audit log. */

export const ephemeral = (text: string) => ({ response_type: "ephemeral" as const, text });

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * An error as one or two sentences for a chat message: redacted, mrkdwn-escaped, and with local
 * paths (SSH keys, known_hosts) cut to their file names.
 */
export function describe(err: unknown): string {
  const text =
    err instanceof DiagbotError
      ? err.publicHint
        ? `${err.publicMessage}. ${capital(err.publicHint)}.`
        : `${err.publicMessage}.`
      : `unexpected error: ${(err as Error).message}`;
  return escapeMrkdwn(redactText(text).text);
}

/** An error for the audit log: its message and, when set, its cause. */
export function reasonOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return typeof cause === "string"
    ? `${(err as Error).message} (${cause})`
    : (err as Error).message;
}
