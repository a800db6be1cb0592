import { readFileSync } from "node:fs";
import { DiagbotError, whyUnreadable } from "../model/errors.js";

/** The LLM settings (README "Narrative"); absent when the narrative is off. */
export interface NarrativeConfig {
  /** `OPENAI_API_KEY`, or the first line of the file `OPENAI_API_KEY_FILE` names. */
  apiKey: string;
  /** `OPENAI_BASE_URL`: any OpenAI-compatible server; undefined = api.openai.com. */
  baseURL?: string;
  /** `DIAGBOT_LLM_MODEL`, e.g. `gpt-4.1-mini`, `llama3.1:8b`, an Azure deployment name. */
  model: string;
  /** `DIAGBOT_LLM_TIMEOUT`: ms one request may take (default 30 000). */
  timeoutMs: number;
  /** `DIAGBOT_LLM_MAX_TOKENS`: completion tokens asked for at most (`max_tokens`, default 600). */
  maxTokens: number;
  /** Longest `Retry-After` honoured before the one retry, ms (10 000); longer = give up. */
  retryAfterCapMs: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_TOKENS = 600;
const RETRY_AFTER_CAP_MS = 10_000;

/** A whole number from the environment within [min, max], else a config error. */
function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  const raw = env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  throw new DiagbotError(
    "config",
    `${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`,
    {
      hint: `unset ${name} for its default (${fallback})`,
    },
  );
}

function apiKey(env: NodeJS.ProcessEnv): string {
  if (env.OPENAI_API_KEY) return env.OPENAI_API_KEY.trim();
  const file = env.OPENAI_API_KEY_FILE;
  if (!file) return "";
  try {
    return readFileSync(file, "utf8").split("\n")[0]?.trim() ?? "";
  } catch (err) {
    throw new DiagbotError("config", `OPENAI_API_KEY_FILE=${file}: ${whyUnreadable(err)}`, {
      hint: "point it at a readable file holding the key, or unset it to turn the narrative off",
    });
  }
}

/**
 * The narrative's settings, or undefined when it is off (no key or no model). A local server
 * that takes no key (Ollama, llama.cpp) still needs one set: any word will do.
 * @throws DiagbotError "config" for an unreadable key file or a bad number.
 */
export function narrativeConfig(env: NodeJS.ProcessEnv = process.env): NarrativeConfig | undefined {
  const key = apiKey(env);
  const model = env.DIAGBOT_LLM_MODEL?.trim();
  if (!key || !model) return undefined;
  return {
    apiKey: key,
    baseURL: env.OPENAI_BASE_URL || undefined,
    model,
    timeoutMs: wholeNumber(env, "DIAGBOT_LLM_TIMEOUT", DEFAULT_TIMEOUT_MS, 100, 600_000),
    maxTokens: wholeNumber(env, "DIAGBOT_LLM_MAX_TOKENS", DEFAULT_MAX_TOKENS, 50, 100_000),
    retryAfterCapMs: RETRY_AFTER_CAP_MS,
  };
}
