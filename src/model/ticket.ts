import { DiagbotError } from "./errors.js";

/**
 * Where evidence goes, parsed from DESIGN's `SYSTEM:KEY` forms: `jira:OPS-7`,
 * `github:owner/repo#12`, `pagerduty:PXXXXXX` (an incident id), `webhook:ANY-LABEL`.
 */
export type TicketKey =
  | { system: "jira"; issue: string }
  | { system: "github"; owner: string; repo: string; number: number }
  | { system: "pagerduty"; incident: string }
  | { system: "webhook"; label: string };

export type TicketSystem = TicketKey["system"];

export const TICKET_SYSTEMS: readonly TicketSystem[] = ["jira", "github", "pagerduty", "webhook"];

/**
 * The key forms, each with its source: a Jira issue key is the project key (an uppercase
 * letter, then uppercase letters, digits or `_`; Jira "Project key format") and a number;
 * GitHub owners are 1-39 letters, digits or inner hyphens, repository names letters, digits,
 * `.`, `_`, `-`; PagerDuty object ids are uppercase letters and digits (`PT4KHLK`, `Q2W7...`).
 */
const FORMS = {
  jira: { pattern: /^([A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,9})$/, example: "jira:OPS-7" },
  github: {
    pattern:
      /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)\/([A-Za-z0-9._-]{1,100})#([1-9][0-9]{0,9})$/,
    example: "github:owner/repo#12",
  },
  pagerduty: { pattern: /^([A-Z0-9]{5,20})$/, example: "pagerduty:PXXXXXX" },
  webhook: { pattern: /^([A-Za-z0-9._-]{1,64})$/, example: "webhook:ANY-LABEL" },
} as const;

/**
 * Where a sweep opens one ticket per finding key (sweeps.yaml `ticket:`): a PagerDuty alert
 * (Events API v2), an issue in a Jira project or a GitHub repository, or a webhook delivery.
 */
export type FindingTicketTarget =
  | { system: "pagerduty" }
  | { system: "jira"; project: string; issueType: string }
  | { system: "github"; owner: string; repo: string }
  | { system: "webhook"; label: string };

/** A Jira project key (Jira "Project key format"), as in the issue keys of {@link FORMS}. */
export const JIRA_PROJECT = /^[A-Z][A-Z0-9_]{0,254}$/;
/** `owner/repo`, GitHub's forms as in {@link FORMS}. */
export const GITHUB_REPO =
  /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)\/([A-Za-z0-9._-]{1,100})$/;
/** A webhook label, as in {@link FORMS}. */
export const WEBHOOK_LABEL = /^[A-Za-z0-9._-]{1,64}$/;

/** `SYSTEM:KEY` → a key. @throws DiagbotError "usage" naming the expected form. */
export function parseTicketKey(text: string): TicketKey {
  const colon = text.indexOf(":");
  const system = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? "" : text.slice(colon + 1);
  const forms = TICKET_SYSTEMS.map((s) => FORMS[s].example).join(", ");
  if (!(TICKET_SYSTEMS as readonly string[]).includes(system)) {
    throw new DiagbotError("usage", `--ticket ${text}: unknown ticket system "${system}"`, {
      hint: `give SYSTEM:KEY, one of ${forms}`,
    });
  }
  const form = FORMS[system as TicketSystem];
  const m = form.pattern.exec(rest);
  if (!m) {
    throw new DiagbotError("usage", `--ticket ${text}: "${rest}" is not a ${system} key`, {
      hint: `the form is ${form.example}`,
    });
  }
  switch (system as TicketSystem) {
    case "jira":
      return { system: "jira", issue: m[1] };
    case "github":
      return { system: "github", owner: m[1], repo: m[2], number: Number(m[3]) };
    case "pagerduty":
      return { system: "pagerduty", incident: m[1] };
    case "webhook":
      return { system: "webhook", label: m[1] };
  }
}

/** The key as typed: `github:owner/repo#12`. */
export function formatTicketKey(key: TicketKey): string {
  switch (key.system) {
    case "jira":
      return `jira:${key.issue}`;
    case "github":
      return `github:${key.owner}/${key.repo}#${key.number}`;
    case "pagerduty":
      return `pagerduty:${key.incident}`;
    case "webhook":
      return `webhook:${key.label}`;
  }
}
