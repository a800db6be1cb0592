/**
 * Whether a name (an option, an environment variable, a configuration key, a query
 * parameter) carries a secret, wherever the secret word sits in it: `--x-secret-key`,
 * `MY_DB_PASSWD`, `clientSecret`, `spring.datasource.password`, `-storepass`.
 *
 * The words come from how programs name their credentials and from the keyword lists of the
 * generic rules of gitleaks (`generic-api-key`: access, auth, api, credential, creds, key,
 * passwd, password, secret, token; https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml)
 * and trufflehog's keyword pre-filters (https://github.com/trufflesecurity/trufflehog/tree/main/pkg/detectors).
 * A name whose last word says the value only points at a secret (`--password-file`,
 * `TOKEN_URL`, `--secret-name`) does not carry one; nor does a bare `key` (`--sort-key`).
 */

/** Words that are a secret on their own, as a whole word of the name. */
const WORDS = new Set([
  "pass",
  "password",
  "passwd",
  "passphrase",
  "pwd",
  "pw",
  "secret",
  "secrets",
  "token",
  "apikey",
  "credential",
  "credentials",
  "creds",
  "cookie",
  "sig",
  "signature",
  "privatekey",
  "accesskey",
  "secretkey",
  "accountkey",
  "sharedaccesskey",
  "masterkey",
  "authkey",
  "licensekey",
  "masterauth",
  "requirepass",
  "dsn",
  "sas",
]);

/** Words that make the next word `key` a secret (`api key`, `access key`). */
const KEY_QUALIFIERS = new Set([
  "api",
  "access",
  "secret",
  "private",
  "auth",
  "client",
  "master",
  "encryption",
  "enc",
  "signing",
  "account",
  "shared",
  "app",
  "license",
  "session",
  "service",
  "subscription",
  "primary",
  "secondary",
  "hmac",
]);

/** A last word that makes the value a reference to a secret, or a property of one. */
const NOT_THE_VALUE = new Set([
  "file",
  "files",
  "path",
  "dir",
  "name",
  "names",
  "id",
  "ids",
  "ref",
  "arn",
  "type",
  "length",
  "len",
  "min",
  "max",
  "version",
  "ttl",
  "count",
  "expiry",
  "expires",
  "expiration",
  "url",
  "uri",
  "endpoint",
  "env",
  "stdin",
  "fd",
  "cmd",
  "command",
  "policy",
  "prompt",
  "size",
  "format",
  "sock",
  "socket",
  "store",
  "provider",
  "mode",
  "enabled",
  "required",
  "header",
  "location",
  "source",
  "kind",
]);

/** Suffixes that make a glued word a secret (`storepass`, `bindpw`, `authtoken`). */
const SUFFIXES = ["password", "passwd", "pass", "pwd", "pw", "token", "secret", "apikey"];
const NOT_SUFFIXED = new Set(["bypass", "compass", "onepass", "multipass", "nopass", "firstpass"]);

/** The words of a name: split on `-`, `_`, `.`, and camelCase, lower-cased. */
export function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isSecretWord(word: string, previous: string | undefined, last: boolean): boolean {
  if (WORDS.has(word)) return true;
  if (word === "key" && previous !== undefined && KEY_QUALIFIERS.has(previous)) return true;
  if (word === "auth" && previous !== undefined && last) return true;
  if (NOT_SUFFIXED.has(word)) return false;
  return SUFFIXES.some((s) => word.length > s.length && word.endsWith(s));
}

/**
 * Whether `name` carries a secret (see the module's comment): `"last"` when its last word is a
 * secret word (`DB_PASSWORD`, `--x-secret-key`), `"inside"` when a secret word sits before
 * the last (`PASSWORD_PROD`, `net.ipv4.ipfrag_secret_interval`), else false.
 */
export function secretName(name: string): "last" | "inside" | false {
  const words = wordsOf(name);
  if (words.length === 0) return false;
  if (words[0] === "no" || NOT_THE_VALUE.has(words[words.length - 1])) return false;
  // The working directories of a shell are paths, not passwords.
  if (words.length === 1 && (words[0] === "oldpwd" || name === "PWD")) return false;
  const last = words.length - 1;
  if (isSecretWord(words[last], words[last - 1], true)) return "last";
  return words.some((w, i) => isSecretWord(w, words[i - 1], i === last)) ? "inside" : false;
}

/** A value no one uses as a secret: a small number or a switch (`600`, `0`, `yes`, `off`). */
const SETTING = /^(?:\d{1,6}|true|false|yes|no|on|off|none|null|enabled|disabled)$/i;

/**
 * Whether the value given to `name` is to be replaced: any value of a name ending in a secret
 * word; for a name with the secret word inside, any value but a small number or a switch
 * (sysctl has `net.ipv4.ipfrag_secret_interval = 600` and
 * `net.netfilter.nf_conntrack_sctp_timeout_cookie_wait = 3`).
 */
export function carriesSecret(name: string, value: string): boolean {
  const where = secretName(name);
  return where === "last" || (where === "inside" && !SETTING.test(value));
}

/** Whether `name` carries a secret, wherever the secret word sits in it. */
export function isSecretName(name: string): boolean {
  return secretName(name) !== false;
}
