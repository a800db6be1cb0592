import { HttpException, Version2Client, Version3Client } from "jira.js";
import { DiagbotError } from "../model/errors.js";
import type { TicketKey } from "../model/ticket.js";
import { adfPlainText, renderAdf } from "../render/adf.js";
import { renderJiraWiki } from "../render/jira-wiki.js";
import { bundleMarker, fitOutline } from "../render/outline.js";
import { baseUrl, type Env, required, setting } from "./config.js";
import type { TicketEvidence } from "./evidence.js";
import { type CallContext, httpFailure, withRetry } from "./retry.js";
import { policyOf, type SinkOptions, type TicketSink } from "./sink.js";

type JiraKey = Extract<TicketKey, { system: "jira" }>;

/**
 * Jira refuses a comment over 32,767 characters ("The entered text is too long. It exceeds the
 * allowed limit of 32,767 characters"; Atlassian, "Jira Cloud platform REST API: Add comment" and
 * the `jira.text.field.character.limit` of Data Center). Data Center counts the wiki markup; for
 * Cloud's ADF the JSON of the document is measured, which is never shorter than the text Jira
 * counts.
 */
export const JIRA_COMMENT_LIMIT = 32_767;

/**
 * The Jira client of the settings (see {@link jiraSink}) and the base URL.
 * @throws DiagbotError "config" naming a missing or bad setting.
 */
export function jiraClient(env: Env): { client: Version2Client | Version3Client; host: string } {
  const host = baseUrl(env, "DIAGBOT_JIRA_URL");
  const flavour = setting(env, "DIAGBOT_JIRA_FLAVOUR") ?? "cloud";
  if (flavour !== "cloud" && flavour !== "datacenter") {
    throw new DiagbotError(
      "config",
      `DIAGBOT_JIRA_FLAVOUR=${flavour} is neither cloud nor datacenter`,
      {
        hint: "cloud: REST v3 with an email and API token; datacenter: REST v2 with a personal access token",
      },
    );
  }
  const token = required(
    env,
    "DIAGBOT_JIRA_TOKEN",
    "Jira needs an API token (Cloud) or personal access token (Data Center)",
  );
  const client =
    flavour === "cloud"
      ? new Version3Client({
          host,
          authentication: {
            basic: {
              email: required(
                env,
                "DIAGBOT_JIRA_EMAIL",
                "Jira Cloud signs in with an email and API token",
              ),
              apiToken: token,
            },
          },
        })
      : new Version2Client({
          host,
          baseRequestConfig: { headers: { Authorization: `Bearer ${token}` } },
        });
  return { client, host };
}

/**
 * Jira through jira.js: Cloud (`DIAGBOT_JIRA_FLAVOUR=cloud`, the default) uses REST v3 with an
 * ADF comment and basic auth `DIAGBOT_JIRA_EMAIL`:`DIAGBOT_JIRA_TOKEN` (an API token); Data
 * Center (`datacenter`) uses REST v2 with a wiki-markup comment and `Authorization: Bearer`
 * with a personal access token. The bundle and `report.md` are attachments
 * (`POST /rest/api/N/issue/KEY/attachments`, multipart, `X-Atlassian-Token: no-check`), each
 * uploaded only when the issue does not hold a file of that name yet; the comment is added
 * only when no comment carries the bundle's marker.
 */
export function jiraSink(options: SinkOptions): TicketSink<JiraKey> {
  const { client, host } = jiraClient(options.env);
  const policy = policyOf(options);

  return {
    async attach(key, evidence) {
      const ctx = (action: string): CallContext => ({
        system: "Jira",
        action: `${action} ${key.issue}`,
        tokenSetting: "DIAGBOT_JIRA_TOKEN",
        urlSetting: "DIAGBOT_JIRA_URL",
        key: `jira:${key.issue}`,
      });
      const call = <T>(action: string, fn: () => Promise<T>) =>
        withRetry(() => jiraCall(fn), ctx(action), policy);
      const marker = bundleMarker(evidence.sha256);
      const found = await call("listing the comments of", () =>
        findMarker(client, key.issue, marker),
      );
      if (found) return { status: "already-attached", url: commentUrl(host, key.issue, found) };

      const issue = await call("reading the attachments of", () =>
        (client as Version3Client).issues.getIssue({
          issueIdOrKey: key.issue,
          fields: ["attachment"],
        }),
      );
      const held = new Set(
        ((issue.fields as { attachment?: { filename: string }[] }).attachment ?? []).map(
          (a) => a.filename,
        ),
      );
      const reportName = evidence.bundleName.replace(/\.tar\.gz$/, ".md");
      for (const file of [
        { filename: evidence.bundleName, file: evidence.bundle, mimeType: "application/gzip" },
        {
          filename: reportName,
          file: Buffer.from(evidence.markdown, "utf8"),
          mimeType: "text/markdown",
        },
      ]) {
        if (held.has(file.filename)) continue;
        await call("attaching a file to", () =>
          client.issueAttachments.addAttachment({ issueIdOrKey: key.issue, attachment: file }),
        );
      }
      const bundleLine = `Evidence bundle attached: ${evidence.bundleName} (sha256 ${evidence.sha256}); the report: ${reportName}.`;
      const added = await call("adding the comment to", () =>
        addComment(client, key.issue, evidence, marker, bundleLine),
      );
      return { status: "attached", url: commentUrl(host, key.issue, added) };
    },
  };
}

/**
 * Reads go through the v3 signatures: both clients have the same methods, each with its own
 * REST version in the path, and TypeScript cannot call a union of their overloads.
 */
async function findMarker(
  client: Version2Client | Version3Client,
  issue: string,
  marker: string,
): Promise<string | undefined> {
  for (let startAt = 0; ; ) {
    const page = await (client as Version3Client).issueComments.getComments({
      issueIdOrKey: issue,
      startAt,
      maxResults: 100,
    });
    const comments = (page.comments ?? []) as { id?: string; body?: unknown }[];
    const hit = comments.find((c) =>
      (typeof c.body === "string" ? c.body : adfPlainText(c.body)).includes(marker),
    );
    if (hit) return hit.id ?? "";
    startAt += comments.length;
    if (comments.length === 0 || startAt >= (page.total ?? 0)) return undefined;
  }
}

async function addComment(
  client: Version2Client | Version3Client,
  issue: string,
  evidence: TicketEvidence,
  marker: string,
  bundleLine: string,
): Promise<string | undefined> {
  const line = (cut: boolean) =>
    cut
      ? `${bundleLine} This comment was cut to fit Jira's ${JIRA_COMMENT_LIMIT.toLocaleString("en")}-character limit: the whole report is in the attachments.`
      : bundleLine;
  if (client instanceof Version3Client) {
    const doc = fitOutline(
      evidence.outline,
      (o, cut) => renderAdf(o, { marker, bundleLine: line(cut) }),
      (d) => JSON.stringify(d).length,
      JIRA_COMMENT_LIMIT,
    );
    return (await client.issueComments.addComment({ issueIdOrKey: issue, comment: doc as never }))
      .id;
  }
  const body = fitOutline(
    evidence.outline,
    (o, cut) => renderJiraWiki(o, { marker, bundleLine: line(cut) }),
    (b) => b.length,
    JIRA_COMMENT_LIMIT,
  );
  return (await client.issueComments.addComment({ issueIdOrKey: issue, comment: body })).id;
}

function commentUrl(host: string, issue: string, id: string | undefined): string {
  return id ? `${host}/browse/${issue}?focusedCommentId=${id}` : `${host}/browse/${issue}`;
}

/** jira.js errors (its HttpException around an axios error) as an HTTP failure. */
export async function jiraCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const axios = (err instanceof HttpException ? err.cause : err) as
      | { response?: { status: number; headers?: Record<string, unknown>; data?: unknown } }
      | undefined;
    const response = axios?.response;
    if (!response) throw err;
    throw httpFailure(response.status, response.headers, response.data);
  }
}
