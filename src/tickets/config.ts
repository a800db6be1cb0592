import { readFileSync } from "node:fs";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import type { TicketSystem } from "../model/ticket.js";

/**
 * Ticket settings from the environment (DESIGN "Environment variables"). Any variable may be
 * given as `X_FILE`, a file holding the value (Docker/Kubernetes secrets, systemd
 * credentials); its trailing newline is dropped. Setting both, or naming an empty file, is a
 * configuration error.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The value of `name` or of the file `name_FILE` names; undefined when neither is set.
 * @throws DiagbotError "config" when both are set, or the file cannot be read or is empty.
 */
export function setting(env: Env, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== "" && file) {
    throw new DiagbotError("config", `both ${name} and ${name}_FILE are set`, {
      hint: `keep one of them`,
    });
  }
  if (file) {
    let value: string;
    try {
      value = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new DiagbotError("config", `${name}_FILE=${file}: ${whyUnreadable(err)}`, {
        hint: `point ${name}_FILE at a readable file holding the value`,
      });
    }
    // A secret that did not reach its file (an unmounted secret, a failed template) is not an
    // empty key to sign or log in with.
    if (value.trim() === "") {
      throw new DiagbotError("config", `${name}_FILE=${file}: the file is empty`, {
        hint: `put the value in it, or unset ${name}_FILE`,
      });
    }
    return value;
  }
  return direct === "" ? undefined : direct;
}

/** A setting that must be present. @throws DiagbotError "config" naming it. */
export function required(env: Env, name: string, why: string): string {
  const value = setting(env, name);
  if (value === undefined) {
    throw new DiagbotError("config", `${name} is not set: ${why}`, {
      hint: `set ${name} (or ${name}_FILE) in the environment`,
    });
  }
  return value;
}

/** An http(s) base URL without a trailing slash. @throws DiagbotError "config". */
export function baseUrl(env: Env, name: string, fallback?: string): string {
  const value =
    fallback === undefined ? required(env, name, "the base URL") : (setting(env, name) ?? fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DiagbotError("config", `${name}=${value} is not a URL`, {
      hint: `give an http:// or https:// URL`,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DiagbotError("config", `${name}=${value}: only http:// and https:// are supported`);
  }
  return value.replace(/\/+$/, "");
}

/** The settings each system reads, for messages and the README. */
export const SETTINGS: Record<TicketSystem, { url: string; token: string }> = {
  jira: { url: "DIAGBOT_JIRA_URL", token: "DIAGBOT_JIRA_TOKEN" },
  github: { url: "DIAGBOT_GITHUB_URL", token: "DIAGBOT_GITHUB_TOKEN" },
  pagerduty: { url: "DIAGBOT_PAGERDUTY_URL", token: "DIAGBOT_PAGERDUTY_TOKEN" },
  webhook: { url: "DIAGBOT_WEBHOOK_URL", token: "DIAGBOT_WEBHOOK_SECRET" },
};
