import { NOT_REDACTED, type Rule } from "./types.js";

/**
 * Credentials in URLs and connection URIs, for every scheme (RFC 3986 section 3.2.1
 * `userinfo`: `scheme://user:password@host`; gitleaks and trufflehog both have a generic
 * URI-with-password rule). The password runs to the last `@` of the URL, so a password that
 * holds `@` or `/` is replaced whole. A URL cut before its `@` (a column width) keeps no more
 * than `scheme://user:`; `host:port` is not a password (a run of digits is a port).
 */
const SCHEME = "(?<![0-9A-Za-z+.-])[A-Za-z][0-9A-Za-z+.-]*://";
const USER = "[^\\s:/@'\"<>\\[\\]]*:";
const notAPort = (g: Record<string, string | undefined>) => !/^\d+(?:\/|$)/.test(g.secret ?? "");

export const URL_RULES: Rule[] = [
  {
    class: "url-credentials",
    re: new RegExp(
      `(?<pre>${SCHEME}${USER})${NOT_REDACTED}(?<secret>[^\\s'"<>]+)(?<post>@[0-9A-Za-z._\\-\\[\\]]+(?=[\\s:/?#'"<>,;)\\]]|$))`,
      "g",
    ),
    accept: notAPort,
  },
  {
    // cut before the @: `postgres://app:s3cr` at the end of a column
    class: "url-credentials",
    re: new RegExp(
      `(?<pre>${SCHEME}${USER})${NOT_REDACTED}(?<secret>[^\\s'"<>/@]+)(?=\\+?(?:[\\s'"<>]|$))`,
      "g",
    ),
    accept: notAPort,
  },
];
