import { LogLevel, WebClient, type WebClientOptions } from "@slack/web-api";
import { DiagbotError } from "../model/errors.js";

/** Slack settings from the environment (DESIGN.md "Environment variables"). */
export interface SlackConfig {
  /** `SLACK_BOT_TOKEN` (xoxb-...): the Web API token. */
  botToken: string;
  /** `SLACK_APP_TOKEN` (xapp-...): set → Socket Mode. */
  appToken?: string;
  /** `SLACK_SIGNING_SECRET`: HTTP mode checks every request's signature with it. */
  signingSecret?: string;
  /** `SLACK_API_URL`: Web API base URL (default Slack's). */
  apiUrl: string;
}

/**
 * Reads the Slack settings. `mode`: `http` needs the signing secret, `socket` the app token,
 * `web` (the worker, which only calls the Web API) the bot token alone.
 */
export function slackConfig(
  env: NodeJS.ProcessEnv = process.env,
  mode: "http" | "socket" | "web" = "web",
): SlackConfig {
  const botToken = env.SLACK_BOT_TOKEN ?? "";
  if (!botToken) {
    throw new DiagbotError("config", "SLACK_BOT_TOKEN is not set", {
      hint: "create the app from deploy/slack-app-manifest.yaml, install it, and set its bot token (xoxb-...)",
    });
  }
  const appToken = env.SLACK_APP_TOKEN || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET || undefined;
  if (mode === "http" && !signingSecret) {
    throw new DiagbotError("config", "HTTP mode needs SLACK_SIGNING_SECRET", {
      hint: "copy the signing secret from the app's Basic Information page, or set SLACK_APP_TOKEN for Socket Mode",
    });
  }
  if (mode === "socket" && !appToken) {
    throw new DiagbotError(
      "config",
      "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...)",
      {
        hint: "set SLACK_APP_TOKEN, or run `diagbot serve --http --port N` with SLACK_SIGNING_SECRET",
      },
    );
  }
  let apiUrl = env.SLACK_API_URL || "https://slack.com/api/";
  if (!apiUrl.endsWith("/")) apiUrl += "/";
  return { botToken, appToken, signingSecret, apiUrl };
}

/**
 * Web API client options: the base URL, a short retry policy for 5xx and network errors (Slack
 * allows 3 s for an acknowledgement, and an answer is better late than after half an hour),
 * 429s waited out per their Retry-After.
 */
export function webClientOptions(config: SlackConfig): WebClientOptions {
  return {
    slackApiUrl: config.apiUrl,
    retryConfig: { retries: 4, factor: 2, minTimeout: 200, maxTimeout: 3000, randomize: false },
    rejectRateLimitedCalls: false,
    timeout: 15_000,
    logLevel: LogLevel.ERROR,
  };
}

export function webClient(config: SlackConfig): WebClient {
  return new WebClient(config.botToken, webClientOptions(config));
}

/** The Slack error code of a failed Web API call (`not_in_channel`, ...), if any. */
export function slackError(err: unknown): string | undefined {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error;
}
