import { Octokit } from "@octokit/rest";
import type { TicketKey } from "../model/ticket.js";
import { markdownComment } from "../render/markdown.js";
import { bundleMarker } from "../render/outline.js";
import { baseUrl, type Env, required } from "./config.js";
import { bundleLink } from "./evidence.js";
import { httpFailure, withRetry } from "./retry.js";
import { policyOf, type SinkOptions, type TicketSink } from "./sink.js";

type GithubKey = Extract<TicketKey, { system: "github" }>;

/** GitHub refuses issue comment bodies over 65,536 characters (REST "Create an issue comment"). */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * GitHub Issues, or GitHub Enterprise Server with `DIAGBOT_GITHUB_URL`
 * (`https://HOST/api/v3`), through @octokit/rest with `DIAGBOT_GITHUB_TOKEN`. One Markdown
 * comment: the summary, the report in a collapsed `<details>` section, the bundle as a signed,
 * expiring `/evidence/<sha256>` link (the issues API takes no files) or a line saying why it
 * is not linked, and the hidden marker. Existing comments are listed first.
 */
export function githubSink(options: SinkOptions): TicketSink<GithubKey> {
  const { env } = options;
  const octokit = githubClient(env);
  const policy = policyOf(options);
  return {
    async attach(key, evidence) {
      const issue = { owner: key.owner, repo: key.repo, issue_number: key.number };
      const ctx = (action: string) => ({
        system: "GitHub",
        action: `${action} ${key.owner}/${key.repo}#${key.number}`,
        tokenSetting: "DIAGBOT_GITHUB_TOKEN",
        urlSetting: "DIAGBOT_GITHUB_URL",
        key: `github:${key.owner}/${key.repo}#${key.number}`,
      });
      const marker = bundleMarker(evidence.sha256);
      const comments = await withRetry(
        () =>
          octokitCall(() =>
            octokit.paginate(octokit.rest.issues.listComments, { ...issue, per_page: 100 }),
          ),
        ctx("listing the comments of"),
        policy,
      );
      const found = comments.find((c) => c.body?.includes(marker));
      if (found) return { status: "already-attached", url: found.html_url };
      const body = markdownComment(evidence.outline, {
        marker,
        bundleLine: bundleLink(env, evidence, options.now?.()).line,
        maxChars: GITHUB_COMMENT_LIMIT,
      });
      const created = await withRetry(
        () => octokitCall(() => octokit.rest.issues.createComment({ ...issue, body })),
        ctx("commenting on"),
        policy,
      );
      return { status: "attached", url: created.data.html_url };
    },
  };
}

/**
 * Octokit for `DIAGBOT_GITHUB_URL` (default `https://api.github.com`) with `DIAGBOT_GITHUB_TOKEN`.
 * @throws DiagbotError "config" naming a missing or bad setting.
 */
export function githubClient(env: Env): Octokit {
  return new Octokit({
    auth: required(env, "DIAGBOT_GITHUB_TOKEN", "GitHub needs a token that may comment on issues"),
    baseUrl: baseUrl(env, "DIAGBOT_GITHUB_URL", "https://api.github.com"),
    userAgent: "diagbot",
  });
}

/** Octokit's RequestError (status, response.headers, response.data) as an HTTP failure. */
export async function octokitCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as {
      status?: unknown;
      response?: { headers?: Record<string, unknown>; data?: unknown };
    };
    if (typeof e.status !== "number" || !e.response) throw err;
    throw httpFailure(e.status, e.response.headers, e.response.data);
  }
}
