import { isSecretName } from "./names.js";
import { NOT_REDACTED, type Rule } from "./types.js";

/**
 * HTTP credentials (RFC 9110 section 11.6 `Authorization` and `Proxy-Authorization`, RFC 6265
 * `Cookie` and `Set-Cookie`, and the `X-…-Key` / `X-…-Token` headers that APIs take keys in:
 * `X-Api-Key`, `X-Vault-Token`, `X-Amz-Security-Token`, GitLab's `Private-Token`), as curl
 * `-H` arguments, logged requests or config. The value is replaced to the end of the header
 * (end of line or closing quote); an auth scheme (`Bearer`, `Basic`…) is kept. A bare
 * `Bearer <token>` is replaced too.
 */
const REST = "(?![^\\r\\n\"']*\\[REDACTED\\])(?<secret>[^\\r\\n\"']*[^\\s\"'])";

export const HEADER_RULES: Rule[] = [
  {
    class: "http-header",
    re: new RegExp(
      `(?<pre>(?<![\\w-])(?:Proxy-)?Authorization["']?[ \\t]*[:=][ \\t]*["']?(?:(?:Bearer|Basic|Token|Bot|Digest|Negotiate|NTLM|ApiKey|SSWS|OAuth|AWS4-HMAC-SHA256)[ \\t]+)?)${REST}`,
      "gi",
    ),
  },
  {
    class: "http-header",
    re: new RegExp(`(?<pre>(?<![\\w-])(?:Set-)?Cookie["']?[ \\t]*:[ \\t]*["']?)${REST}`, "gi"),
  },
  {
    class: "http-header",
    re: new RegExp(
      `(?<pre>(?<![\\w-])(?<name>X-[\\w-]+|Private-Token|Api-Key|Apikey)["']?[ \\t]*:[ \\t]*["']?)${REST}`,
      "gi",
    ),
    accept: (g) => isSecretName(g.name ?? ""),
  },
  {
    class: "http-header",
    re: new RegExp(`(?<pre>\\bBearer[ \\t]+)${NOT_REDACTED}(?<secret>[A-Za-z0-9._~+/=-]{8,})`, "g"),
  },
];
