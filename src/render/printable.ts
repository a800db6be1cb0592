/**
 * Text from a host made safe to print on a terminal. A host's outputs are not trusted
 * (SECURITY.md): a process name, a kernel message or a file name can carry control codes
 * that a terminal acts on (`ESC ] 0;` retitles the window, `ESC ] 52;` writes the clipboard,
 * `CR` overwrites the line). Every C0 control but tab and newline, DEL and every C1 control
 * (U+0080 to U+009F, which some terminals take as `ESC` sequences) is shown as `\xNN`.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** `value` with {@link printable} applied to every string in it; same shape. */
export function printableDeep<T>(value: T): T {
  if (typeof value === "string") return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableDeep) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)])) as T;
  }
  return value;
}
