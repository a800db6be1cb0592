import { NOT_REDACTED, type Rule } from "./types.js";

/**
 * `user:password` given as one option: curl's `-u`/`--user` and `-U`/`--proxy-user`
 * (curl(1)), wget's and httpie's `--auth`, skopeo's `--creds`/`--src-creds`/`--dest-creds`,
 * `--basic-auth`, and smbclient's `-U user%password` (smbclient(1)). The user is kept, the
 * password replaced. `-u 1000:1000` (a uid:gid, as docker and sudo take it) is not a password.
 */
export const USER_PASSWORD_RULES: Rule[] = [
  {
    class: "user-password",
    re: new RegExp(
      `(?<pre>(?<![\\w-])(?:--(?:user|proxy-user|creds|src-creds|dest-creds|basic-auth|auth|http-auth|userpass|credentials)|-[uUa])(?:=|[ \\t]+)["']?[^\\s:%'"=-][^\\s:%'"]*[:%])(?<secret>${NOT_REDACTED}[^\\s"']+)`,
      "g",
    ),
    accept: (g) => !/^\d+$/.test(g.secret ?? ""),
  },
];
