import type { Rule } from "./types.js";

/**
 * Private key blocks: PEM (the armour line `BEGIN RSA PRIVATE KEY` between five dashes each
 * side; PKCS#8, EC, encrypted), OpenSSH (`BEGIN OPENSSH PRIVATE KEY`) and OpenPGP
 * (`BEGIN PGP PRIVATE KEY BLOCK`), as RFC 7468 and RFC 4880 section 6.2 frame them (gitleaks'
 * `private-key` rule covers the same armour). The block is replaced from its BEGIN line to its
 * END line; a block cut before its END line (an output cap, `head`) is replaced up to the last
 * line that still looks like its body: base64 lines, armour headers (`Proc-Type:`, `DEK-Info:`,
 * `Comment:`, `Version:`) and blank lines. A key inside a JSON string (`\n` escapes) is handled
 * the same way.
 */
const BEGIN = "-{5}BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-{5}";
const END = "-{5}END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-{5}";
/** A body line ends where its line ends: a token after a cut block (`xoxb-...`) is not body. */
const LINE_END = "(?=\\r?\\n|\\\\n|\\\\r|$)";
const BODY_LINE = `(?:\\r?\\n|\\\\n)(?:[A-Za-z0-9+/=]{4,}${LINE_END}|(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):[^\\n\\\\]*|=[A-Za-z0-9+/]{4}${LINE_END}|(?=\\r?\\n))`;

export const PRIVATE_KEY_RULES: Rule[] = [
  {
    class: "private-key",
    re: new RegExp(`${BEGIN}(?:[\\s\\S]*?${END}|(?:${BODY_LINE})*)`, "g"),
  },
];
