/**
 * Telling text from binary data, and showing what a file held in a message safely: the checks
 * shared by the evidence reader (`--from`), the inventory and `DIAGBOT_SWEEPS`.
 */

/** Bytes judged: the first 64 KiB. */
const HEAD_BYTES = 64 << 10;

/**
 * Why `bytes` are not text, or undefined when they are: a NUL byte, or more than 1 % (and more
 * than 8) of the characters of the first 64 KiB are invalid UTF-8 or control characters other
 * than tab, line breaks and escape (a pasted terminal keeps its colour escapes).
 * @returns e.g. "a NUL byte at offset 0", "312 of the first 65536 characters are invalid UTF-8
 *   or control characters".
 */
export function notTextReason(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, HEAD_BYTES);
  const nul = head.indexOf(0);
  if (nul !== -1) return `a NUL byte at offset ${nul}`;
  const text = head.toString("utf8");
  let bad = 0;
  let chars = 0;
  for (const ch of text) {
    chars++;
    if (ch === "\ufffd" || (ch < " " && ch !== "\n" && ch !== "\r" && ch !== "\t" && ch !== "\x1b"))
      bad++;
  }
  if (bad <= Math.max(8, text.length / 100)) return undefined;
  return `${bad} of the first ${chars} characters are invalid UTF-8 or control characters`;
}

/**
 * `text` with every control character (C0, DEL, C1) written as an escape (`\x1b`, `\x00`), so
 * a message quoting a file never drives the terminal it is printed on.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/**
 * `text` with its line breaks (and any run of white space) made single spaces, trimmed: a
 * library's message (V8's JSON.parse quotes the text it read, line breaks included) as one line.
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * One printable line for an error of the `yaml` package: its first line, without the excerpt
 * and caret that follow it (`prettyErrors`), and without its position (`at line 4, column 1`)
 * when the caller shows the line itself (`atLine: false`).
 */
export function yamlSyntax(error: { message: string }, atLine = true): string {
  let text = error.message.split("\n")[0].replace(/:\s*$/, "");
  if (!atLine) text = text.replace(/ at line \d+, column \d+$/, "");
  return `YAML syntax: ${printable(text)}`;
}

/** Problems shown of a file's syntax errors: a binary file that slipped through has thousands. */
export const MAX_SYNTAX_ERRORS = 10;

/** The first {@link MAX_SYNTAX_ERRORS} of `lines`, then "… and N more" when there are more. */
export function capped(lines: string[]): string[] {
  if (lines.length <= MAX_SYNTAX_ERRORS) return lines;
  return [...lines.slice(0, MAX_SYNTAX_ERRORS), `… and ${lines.length - MAX_SYNTAX_ERRORS} more`];
}
