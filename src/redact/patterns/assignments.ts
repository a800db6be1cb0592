import { carriesSecret } from "./names.js";
import { NOT_REDACTED, type Rule } from "./types.js";

/**
 * Assignments whose name carries a secret word anywhere (see `names.ts`):
 * - environment assignments, as shells, `env`, `/proc/PID/environ`, systemd `Environment=`
 *   and Docker `-e` show them: an upper-case name (POSIX.1-2017 section 8.1 names environment
 *   variables in upper case) at the start of a word, optionally after `export`:
 *   `MY_DB_PASSWD=…`, `AWS_SECRET_ACCESS_KEY=…`, `export GH_TOKEN=…`;
 * - key/value pairs everywhere else: connection strings (libpq `password=… host=…`, JDBC and
 *   ADO.NET `;password=…`, `Pwd=`, Azure `AccountKey=`/`SharedAccessKey=`, `sig=`), query
 *   strings (`?access_token=…`), JVM properties, and config excerpts (`password = …`,
 *   `password: …`, `"api_key": "…"`, Ruby `=>`).
 * A quoted value is replaced to its closing quote (in double quotes, as in JSON and the shell,
 * a backslash escapes the next character: `"a\"b"` is one value); an unquoted one to the next
 * blank (and, for key/value pairs, the next `&`, `;`, `,` or closing bracket).
 */
const QUOTED = `(?:(?<=")(?:[^"\\\\\\n]|\\\\.)+|(?<=')[^'\\n]+)`;

export const ASSIGNMENT_RULES: Rule[] = [
  {
    class: "env-assignment",
    re: new RegExp(
      `(?<pre>(?:^|(?<=[\\s;&|('"\`]))(?:export[ \\t]+|declare[ \\t]+-x[ \\t]+)?(?<name>[A-Z_][A-Z0-9_]*)=["']?)(?<secret>${NOT_REDACTED}(?:${QUOTED}|(?<!["'])[^\\s"']+))`,
      "gm",
    ),
    accept: (g) => carriesSecret(g.name ?? "", g.secret ?? ""),
  },
  {
    class: "key-value",
    re: new RegExp(
      `(?<pre>(?<![\\w.-])(?<q>["']?)(?<name>[A-Za-z_][\\w.-]*)\\k<q>[ \\t]*(?:=>|=|:(?!//))[ \\t]*["']?)(?<secret>${NOT_REDACTED}(?:${QUOTED}|(?<!["'])[^\\s"'&;,)}\\]]+))`,
      "g",
    ),
    accept: (g) => carriesSecret(g.name ?? "", g.secret ?? ""),
  },
];
