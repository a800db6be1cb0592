/**
 * What the redactor recognises, by class. Every class is counted apart, so a report can say
 * what kind of values it replaced.
 */
export type RedactionClass =
  | "private-key"
  | "vendor-token"
  | "jwt"
  | "url-credentials"
  | "http-header"
  | "option"
  | "user-password"
  | "env-assignment"
  | "key-value";

/** Every class, in the order the rules run. */
export const CLASSES: readonly RedactionClass[] = [
  "private-key",
  "vendor-token",
  "jwt",
  "url-credentials",
  "http-header",
  "user-password",
  "option",
  "env-assignment",
  "key-value",
];

/** What replaces a secret. */
export const REDACTED = "[REDACTED]";

/**
 * One rule: a global regular expression whose match is replaced. A match with a `secret`
 * group keeps what is around it (`pre` before, `post` after) and replaces only the group; a
 * match without one is replaced whole. `accept`, when given, may refuse a match (it is then
 * left as it was). `replace`, when given, rewrites the whole match itself and says how many
 * secrets it replaced in it.
 */
export interface Rule {
  class: RedactionClass;
  re: RegExp;
  accept?: (groups: Record<string, string | undefined>) => boolean;
  replace?: (match: string) => { text: string; count: number };
}

/** `(?!\[REDACTED\])`: a value that is already the placeholder is not a secret again. */
export const NOT_REDACTED = "(?!\\[REDACTED\\])";
