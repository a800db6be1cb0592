import { carriesSecret, isSecretName } from "./names.js";
import { NOT_REDACTED, type Rule } from "./types.js";

/**
 * Command-line options that carry a secret, as `ps auxww`, `top -c`, execsnoop and shell
 * history show them:
 * - any option whose name carries a secret word wherever it sits (see `names.ts`), with one or
 *   two dashes, with `=` or a space: `--x-secret-key V`, `--client-secret=V`, `-storepass V`
 *   (keytool), `-Dspring.datasource.password=V` (a JVM property);
 * - the one-letter options that are a password for the programs that take one that way, from
 *   their manuals: `-pSECRET` and `-p SECRET` for mysql(1), mysqldump, mysqladmin and the
 *   other MySQL/MariaDB clients; `-p` for mongosh and the MongoDB tools, sshpass(1),
 *   rdesktop(1), 7z and unrar (glued), and `docker|podman|helm registry… login`; `-a` for
 *   redis-cli(1); `-w` for the OpenLDAP clients (ldapsearch(1)…); `-P` for sqlcmd, bcp,
 *   ipmitool(1) and zip(1); `/p:` for xfreerdp;
 * - OpenSSL's pass phrase arguments `pass:SECRET` (openssl-passphrase-options(1)).
 * A value after a space must not start with `-` (that is the next option).
 */
const VALUE = `${NOT_REDACTED}(?:(?<=["'])[^"'\\n]+|(?<!["'])[^\\s"']+)`;

interface ToolFlags {
  /** Program names (a path before them is allowed), or a program and its subcommand. */
  tools: string[];
  /** The flag, as typed. */
  flag: string;
  /** The value may be glued to the flag (`-pSECRET`). */
  glued: boolean;
  /** The value may be the next argument (`-p SECRET`). */
  spaced: boolean;
}

const MYSQL = [
  "mysql",
  "mysqldump",
  "mysqladmin",
  "mysqlimport",
  "mysqlcheck",
  "mysqlshow",
  "mysqlslap",
  "mysqlpump",
  "mysqlsh",
  "mariadb",
  "mariadb-dump",
  "mariadb-admin",
  "mariadb-import",
  "mariadb-check",
];
const MONGO = [
  "mongo",
  "mongosh",
  "mongodump",
  "mongorestore",
  "mongoexport",
  "mongoimport",
  "mongostat",
  "mongotop",
];
const LOGIN = [
  "docker login",
  "podman login",
  "nerdctl login",
  "buildah login",
  "skopeo login",
  "oras login",
  "helm registry login",
];
const LDAP = [
  "ldapsearch",
  "ldapadd",
  "ldapmodify",
  "ldapdelete",
  "ldapwhoami",
  "ldappasswd",
  "ldapmodrdn",
  "ldapcompare",
  "ldapexop",
];

export const TOOL_FLAGS: readonly ToolFlags[] = [
  { tools: MYSQL, flag: "-p", glued: true, spaced: true },
  { tools: [...MONGO, "sshpass", "rdesktop", ...LOGIN], flag: "-p", glued: false, spaced: true },
  { tools: ["sshpass"], flag: "-p", glued: true, spaced: false },
  { tools: ["7z", "7za", "7zr", "unrar", "rar"], flag: "-p", glued: true, spaced: false },
  { tools: ["redis-cli", "keydb-cli"], flag: "-a", glued: false, spaced: true },
  { tools: LDAP, flag: "-w", glued: false, spaced: true },
  { tools: ["sqlcmd", "bcp", "osql", "ipmitool", "zip"], flag: "-P", glued: false, spaced: true },
  { tools: ["xfreerdp", "xfreerdp3", "wlfreerdp"], flag: "/p:", glued: true, spaced: false },
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/** A rule per tool group: the invocation to the end of its command, then the flags in it. */
function toolRule(t: ToolFlags): Rule {
  const tools = t.tools.map((x) => x.split(" ").map(escapeRegExp).join("\\s+")).join("|");
  const forms: string[] = [];
  if (t.glued) forms.push(`(?<glued>${NOT_REDACTED}[^\\s"']+)`);
  if (t.spaced) forms.push(`[ \\t]+["']?(?<spaced>${NOT_REDACTED}(?!-)[^\\s"']+)`);
  const flag = new RegExp(`(?<=\\s)${escapeRegExp(t.flag)}(?:${forms.join("|")})`, "g");
  return {
    class: "option",
    re: new RegExp(`(?<=^|[\\s/'"(=])(?:${tools})(?![\\w.-])[^\\n|;&]*`, "gm"),
    replace: (segment) => {
      let count = 0;
      const text = segment.replace(flag, (...args) => {
        count++;
        const g = args[args.length - 1] as Record<string, string | undefined>;
        return g.glued !== undefined
          ? `${t.flag}[REDACTED]`
          : args[0].slice(0, args[0].length - (g.spaced ?? "").length) + "[REDACTED]";
      });
      return { text, count };
    },
  };
}

/**
 * Whether `-name VALUE` is an option in the single-dash long style (keytool's `-storepass`,
 * `-password`): lower case, and not a password glued to a short `-p` (`-pS3cret`, `-ppassword`,
 * whose next word is a database name, not a value).
 */
function isSingleDashOption(name: string): boolean {
  if (!/^[a-z][a-z0-9.]*$/.test(name)) return false;
  return !(name.startsWith("p") && isSecretName(name.slice(1)));
}

export const OPTION_RULES: Rule[] = [
  {
    class: "option",
    re: new RegExp(`(?<pre>(?<![\\w-])--?(?<name>[A-Za-z][\\w.-]*)=["']?)(?<secret>${VALUE})`, "g"),
    accept: (g) => carriesSecret(g.name ?? "", g.secret ?? ""),
  },
  {
    class: "option",
    re: new RegExp(
      `(?<pre>(?<![\\w-])(?<dashes>--?)(?<name>[A-Za-z][\\w.-]*)[ \\t]+["']?)(?!-)(?<secret>${VALUE})`,
      "g",
    ),
    accept: (g) =>
      (g.dashes === "--" || isSingleDashOption(g.name ?? "")) &&
      carriesSecret(g.name ?? "", g.secret ?? ""),
  },
  ...TOOL_FLAGS.map(toolRule),
  {
    class: "option",
    re: new RegExp(`(?<pre>(?<![\\w-])pass:)(?<secret>${NOT_REDACTED}[^\\s"']+)`, "g"),
  },
];
