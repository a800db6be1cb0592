import type { Rule } from "./types.js";

/**
 * JSON web tokens (RFC 7519): base64url of a JSON object, so they start `eyJ` (`{"`), in one
 * to three dot-separated parts (gitleaks' `jwt` rule keys on the same prefix). A token cut
 * anywhere after its first ten characters is still replaced. The `eyJ` start of any
 * base64url JSON object (a cut header alone) is replaced too: ordinary output has none.
 */
export const JWT_RULES: Rule[] = [
  {
    class: "jwt",
    re: /(?<![0-9A-Za-z_-])eyJ[0-9A-Za-z_-]{10,}={0,2}(?:\.[0-9A-Za-z_-]*={0,2}){0,2}/g,
  },
];
