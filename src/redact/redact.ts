/**
 * Redaction of secrets in everything that leaves the worker (Slack messages, uploaded
 * evidence, tickets, an LLM prompt). Host output is full of command lines (`ps`, `top`,
 * `lsof`, `strace`) and those carry passwords, tokens and keys. Each secret is replaced by
 * {@link REDACTED} and counted, so that the message can say that something was redacted. Only a
 * local `--save` is byte-exact.
 *
 * What is recognised:
 * - private key blocks (`-----BEGIN ... PRIVATE KEY-----` to its END line);
 * - well-known token shapes: Slack (`xoxb-`, `xapp-`...), GitHub (`ghp_`, `github_pat_`),
 *   GitLab (`glpat-`), AWS access key ids (`AKIA...`), Google API keys (`AIza...`), OpenAI-style
 *   (`sk-...`), Stripe (`sk_live_`), JSON web tokens (`eyJ...`);
 * - HTTP credentials: `Authorization: Bearer|Basic ...`, `user:password@` in URLs;
 * - a value after a secret-sounding name: `--password=x`, `--token x`, `PGPASSWORD=x`,
 *   `password: x`, `"api_key": "x"`, `?access_token=x`, and mysql's `-pSECRET`.
 */
export const REDACTED = "[REDACTED]";

/** Names whose value is a secret (matched case-insensitively, as a whole word or suffix). */
const SECRET_NAME =
  "(?:[A-Za-z0-9_]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|session[_-]?key|signing[_-]?key|sas|dsn))";

interface Rule {
  re: RegExp;
  /** Replacement; `$<keep>` keeps the named group (the name and separator). */
  replace: string;
}

const RULES: Rule[] = [
  {
    re: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)/g,
    replace: REDACTED,
  },
  { re: /\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  {
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,})/g,
    replace: REDACTED,
  },
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  { re: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED },
  { re: /\b(?:sk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: REDACTED },
  {
    re: /(?<keep>\bAuthorization\s*[:=]\s*(?:Bearer|Basic|Token|Bot)?\s*)[^\s"',;]+/gi,
    replace: `$<keep>${REDACTED}`,
  },
  { re: /(?<keep>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{12,}/g, replace: `$<keep>${REDACTED}` },
  {
    re: /(?<keep>\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+(?=@)/gi,
    replace: `$<keep>${REDACTED}`,
  },
  {
    // --password=x, PGPASSWORD=x, password: x, "api_key": "x", ?access_token=x
    re: new RegExp(
      `(?<keep>(?:--?|\\b)${SECRET_NAME}["']?\\s*(?:=|:(?!//))\\s*["']?)(?!${escapeRegExp(REDACTED)})[^\\s"'&,;]+`,
      "gi",
    ),
    replace: `$<keep>${REDACTED}`,
  },
  {
    // --password x, --token x (a flag followed by its value)
    re: new RegExp(
      `(?<keep>(?:^|\\s)--?${SECRET_NAME}\\s+)(?!-)(?!${escapeRegExp(REDACTED)})[^\\s"']+`,
      "gi",
    ),
    replace: `$<keep>${REDACTED}`,
  },
  // mysql -pSECRET / mysqldump -pSECRET (a password glued to -p)
  {
    re: /(?<keep>\bmysql(?:dump|admin)?\b[^\n]*?\s-p)(?!\s)[^\s]+/g,
    replace: `$<keep>${REDACTED}`,
  },
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A redacted text and how many secrets were replaced. */
export interface Redacted {
  text: string;
  count: number;
}

/** Replaces every secret in `text`. */
export function redactText(text: string): Redacted {
  let count = 0;
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.re, (...args) => {
      count++;
      const groups = args[args.length - 1] as Record<string, string> | undefined;
      const keep =
        typeof groups === "object" && groups && groups.keep !== undefined ? groups.keep : "";
      return rule.replace.includes("$<keep>") ? `${keep}${REDACTED}` : REDACTED;
    });
  }
  return { text: out, count };
}

/**
 * Redacts every string inside a JSON-like value (a report), returning a copy and the count.
 * Keys are kept; numbers and booleans are untouched.
 */
export function redactDeep<T>(value: T): { value: T; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const r = redactText(v);
      count += r.count;
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return { value: walk(value) as T, count };
}
