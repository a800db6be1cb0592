import { Version3Client } from "jira.js";
import type { FindingTicketer } from "../model/answer.js";
import {
  type FindingTicketTarget,
  formatTicketKey,
  parseTicketKey,
  type TicketKey,
  type TicketSystem,
} from "../model/ticket.js";
import { redactDeep, redactText } from "../redact/index.js";
import { githubClient, octokitCall } from "./github.js";
import { jiraCall, jiraClient } from "./jira.js";
import { pagerdutyTicketer } from "./pagerduty.js";
import { type CallContext, withRetry } from "./retry.js";
import { policyOf, type SinkOptions } from "./sink.js";
import { webhookDelivery } from "./webhook.js";

/**
 * Sweep tickets, one per finding key (a sweep's `ticket:` in sweeps.yaml), through the same
 * systems and settings as `diagnose --ticket` (the table below, as `ticketSink`'s): a PagerDuty
 * alert (Events API v2, `dedup_key` the key), an issue opened in a Jira project or a GitHub
 * repository, or a signed webhook delivery. Resolving sends PagerDuty's resolve, a comment on the
 * Jira or GitHub issue the open made, or a webhook delivery with `action: "resolve"`. The sweep
 * runner (src/sweeps/run.ts) opens a key once while its ticket is open. Everything sent passes
 * the redactor.
 */

type OpenEvent = Extract<Parameters<FindingTicketer>[0], { action: "open" }>;
type ResolveEvent = Extract<Parameters<FindingTicketer>[0], { action: "resolve" }>;

/** The line that ties an issue to its finding key, found by people and searches alike. */
export function findingMarker(key: string): string {
  return `diagbot-finding: ${key}`;
}

/** Jira's summary field holds at most 255 characters (Jira "Create issue": summary). */
const SUMMARY_LIMIT = 255;

/** The redacted texts of an open: a summary line, the body's lines, and the details. */
function openText(e: OpenEvent): { summary: string; lines: string[] } {
  const { value } = redactDeep({
    summary: `diagbot: ${e.title} on ${e.host}`.slice(0, SUMMARY_LIMIT),
    lines: [
      `The diagbot sweep ${e.sweep} found this on ${e.host}: ${e.title}`,
      `Rule ${e.rule} (category ${e.category}), confidence ${Math.round(e.confidence * 100)} %.`,
      "A comment follows when the sweep no longer reports it; while this ticket is open the sweep opens no other for the same finding.",
      findingMarker(e.key),
    ],
  });
  return value;
}

function resolveText(e: ResolveEvent): string {
  return redactText(
    `Resolved: the diagbot sweep ${e.sweep} no longer reports ${e.key} (its rule ran on the host and did not fire, or the host left the sweep).`,
  ).text;
}

/** The issue an open returned, when it is of `system`; undefined for none (nothing to note). */
function ticketOf<S extends TicketSystem>(
  e: ResolveEvent,
  system: S,
): Extract<TicketKey, { system: S }> | undefined {
  if (e.ticket === undefined) return undefined;
  const key = parseTicketKey(e.ticket);
  return key.system === system ? (key as Extract<TicketKey, { system: S }>) : undefined;
}

/** Issues in `project` (REST v3 with an ADF description on Cloud, v2 with text on Data Center). */
function jiraFindings(
  target: Extract<FindingTicketTarget, { system: "jira" }>,
  options: SinkOptions,
): FindingTicketer {
  const { client } = jiraClient(options.env);
  const policy = policyOf(options);
  const cloud = client instanceof Version3Client;
  const ctx = (action: string, key: string): CallContext => ({
    system: "Jira",
    action,
    tokenSetting: "DIAGBOT_JIRA_TOKEN",
    urlSetting: "DIAGBOT_JIRA_URL",
    key,
  });
  const doc = (lines: string[]) =>
    cloud
      ? {
          type: "doc",
          version: 1,
          content: lines.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })),
        }
      : lines.join("\n\n");
  return async (e) => {
    if (e.action === "resolve") {
      const issue = ticketOf(e, "jira");
      if (!issue) return undefined;
      await withRetry(
        () =>
          jiraCall(() =>
            (client as Version3Client).issueComments.addComment({
              issueIdOrKey: issue.issue,
              comment: doc([resolveText(e)]) as never,
            }),
          ),
        ctx(`commenting on ${issue.issue}`, formatTicketKey(issue)),
        policy,
      );
      return undefined;
    }
    const text = openText(e);
    const created = await withRetry(
      () =>
        jiraCall(() =>
          (client as Version3Client).issues.createIssue({
            fields: {
              project: { key: target.project },
              issuetype: { name: target.issueType },
              summary: text.summary,
              description: doc(text.lines) as never,
            },
          }),
        ),
      ctx(`opening an issue in project ${target.project} for ${e.key}`, `jira:${target.project}`),
      policy,
    );
    return `jira:${created.key}`;
  };
}

/** Issues in `owner/repo`; a resolve is a comment (the issue is left for people to close). */
function githubFindings(
  target: Extract<FindingTicketTarget, { system: "github" }>,
  options: SinkOptions,
): FindingTicketer {
  const octokit = githubClient(options.env);
  const policy = policyOf(options);
  const repo = `${target.owner}/${target.repo}`;
  const ctx = (action: string): CallContext => ({
    system: "GitHub",
    action,
    tokenSetting: "DIAGBOT_GITHUB_TOKEN",
    urlSetting: "DIAGBOT_GITHUB_URL",
    key: `github:${repo}`,
  });
  return async (e) => {
    if (e.action === "resolve") {
      const issue = ticketOf(e, "github");
      if (!issue) return undefined;
      await withRetry(
        () =>
          octokitCall(() =>
            octokit.rest.issues.createComment({
              owner: issue.owner,
              repo: issue.repo,
              issue_number: issue.number,
              body: resolveText(e),
            }),
          ),
        ctx(`commenting on ${repo}#${issue.number}`),
        policy,
      );
      return undefined;
    }
    const text = openText(e);
    const created = await withRetry(
      () =>
        octokitCall(() =>
          octokit.rest.issues.create({
            owner: target.owner,
            repo: target.repo,
            title: text.summary,
            body: text.lines.join("\n\n"),
          }),
        ),
      ctx(`opening an issue in ${repo} for ${e.key}`),
      policy,
    );
    return `github:${repo}#${created.data.number}`;
  };
}

/**
 * The finding webhook payload (README "Scheduled sweeps"): `type: "diagbot.finding"`, `action`
 * open or resolve, `id` the finding key (also `X-Diagbot-Delivery`), signed as evidence payloads.
 */
function webhookFindings(
  target: Extract<FindingTicketTarget, { system: "webhook" }>,
  options: SinkOptions,
): FindingTicketer {
  const deliver = webhookDelivery(options);
  return async (e) => {
    // The receiver keys on `id`; the ticket a resolve carries is this webhook's own label.
    const { ticket: _ticket, ...event } = { ticket: undefined, ...e };
    const { value } = redactDeep({
      version: 1,
      type: "diagbot.finding",
      id: e.key,
      label: target.label,
      ...event,
    });
    await deliver(JSON.stringify(value), e.key, target.label);
    return e.action === "open" ? `webhook:${target.label}` : undefined;
  };
}

const FINDING_TICKETERS: {
  [S in TicketSystem]: (
    target: Extract<FindingTicketTarget, { system: S }>,
    options: SinkOptions,
  ) => FindingTicketer;
} = {
  pagerduty: (_target, options) => pagerdutyTicketer(options.env, options.policy),
  jira: jiraFindings,
  github: githubFindings,
  webhook: webhookFindings,
};

/**
 * The ticketer of a sweep's `ticket:`, its settings read at once.
 * @throws DiagbotError "config" naming a missing or bad setting: call it before scheduling.
 */
export function findingTicketer(
  target: FindingTicketTarget,
  options: SinkOptions,
): FindingTicketer {
  const make = FINDING_TICKETERS[target.system] as (
    t: FindingTicketTarget,
    o: SinkOptions,
  ) => FindingTicketer;
  return make(target, options);
}
