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
  /** `DIAGBOT_LLM_MAX_TOKENS`: completion tokens asked for at most (default 600). */
  maxTokens: number;
  /**
   * The request field that carries {@link maxTokens}: `DIAGBOT_LLM_TOKENS_PARAM`, else chosen
   * by {@link tokensParamFor} from the model's name.
   */
  tokensParam: TokensParam;
  /** Longest `Retry-After` honoured before the one retry, ms (10 000); longer = give up. */
  retryAfterCapMs: number;
}

/** The chat-completions fields that bound the completion's tokens. */
export const TOKENS_PARAMS = ["max_tokens", "max_completion_tokens"] as const;
export type TokensParam = (typeof TOKENS_PARAMS)[number];

/**
 * OpenAI's reasoning models (o1, o3, o4-mini..., gpt-5...), also behind a router's `vendor/`
 * prefix: they refuse `max_tokens` ("Unsupported parameter: 'max_tokens' ... Use
 * 'max_completion_tokens' instead", OpenAI API reference, chat.completions.create).
 */
const COMPLETION_TOKENS_MODELS = /^(?:[\w.-]+\/)?(?:o\d|gpt-5)/i;

/**
 * `max_completion_tokens` for OpenAI's reasoning models, `max_tokens` for every other name:
 * vLLM, Ollama and the llama.cpp server read `max_tokens`, and OpenAI's older models take both.
 * A name that does not tell (an Azure deployment name) is set with `DIAGBOT_LLM_TOKENS_PARAM`.
 */
export function tokensParamFor(model: string): TokensParam {
  return COMPLETION_TOKENS_MODELS.test(model) ? "max_completion_tokens" : "max_tokens";
}

/** `DIAGBOT_LLM_TOKENS_PARAM`, else the model's name decides. */
function tokensParam(env: NodeJS.ProcessEnv, model: string): TokensParam {
  const raw = env.DIAGBOT_LLM_TOKENS_PARAM?.trim();
  if (!raw) return tokensParamFor(model);
  if ((TOKENS_PARAMS as readonly string[]).includes(raw)) return raw as TokensParam;
  throw new DiagbotError(
    "config",
    `DIAGBOT_LLM_TOKENS_PARAM=${JSON.stringify(raw)} is not one of ${TOKENS_PARAMS.join(", ")}`,
    { hint: "unset it to choose by the model's name" },
  );
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
    tokensParam: tokensParam(env, model),
    retryAfterCapMs: RETRY_AFTER_CAP_MS,
  };
}
