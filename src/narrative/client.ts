import OpenAI, { APIConnectionTimeoutError, APIError } from "openai";
import type { LlmUsage } from "../model/report.js";
import type { NarrativeConfig } from "./config.js";

/**
 * One chat completion with structured output, and at most one retry: after a 429 or a 5xx,
 * once, after the server's `Retry-After` (or `retry-after-ms`; 1 s when absent) if it is at
 * most `retryAfterCapMs`. A timeout, another 4xx, a connection error or a second failure gives
 * up at once. The SDK's own retries are off (`maxRetries: 0`), so there is no retry storm.
 */

export type Completion =
  | { ok: true; content: string | null; usage: LlmUsage }
  | { ok: false; why: string; usage: LlmUsage };

type Message = { role: "system" | "user"; content: string };
type JsonSchema = { name: string; strict: boolean; schema: Record<string, unknown> };

const DEFAULT_RETRY_MS = 1000;

/** Ms a 429/5xx asks to wait (`retry-after-ms`, `Retry-After` seconds or HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number {
  const ms = Number(headers?.get("retry-after-ms"));
  if (headers?.get("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get("retry-after");
  if (!value) return DEFAULT_RETRY_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? DEFAULT_RETRY_MS : Math.max(0, at - now);
}

function client(config: NarrativeConfig): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    timeout: config.timeoutMs,
    maxRetries: 0,
  });
}

/** Why a request failed, in words, and whether one retry may help. */
function describeFailure(err: unknown, timeoutMs: number): { why: string; retryable: boolean } {
  if (err instanceof APIConnectionTimeoutError) {
    return { why: `the model did not answer within ${timeoutMs} ms`, retryable: false };
  }
  if (err instanceof APIError && err.status !== undefined) {
    const retryable = err.status === 429 || err.status >= 500;
    const what = err.status === 429 ? "rate-limited the request" : `answered HTTP ${err.status}`;
    return { why: `the model's server ${what}`, retryable };
  }
  return {
    why: `the model's server could not be reached: ${(err as Error).message}`,
    retryable: false,
  };
}

/** Asks for one completion; see the module comment for the retry rule. */
export async function complete(
  config: NarrativeConfig,
  messages: Message[],
  schema: JsonSchema,
): Promise<Completion> {
  const openai = client(config);
  const usage: LlmUsage = {
    model: config.model,
    requests: 0,
    tokens: { prompt: 0, completion: 0, total: 0 },
  };
  for (let attempt = 1; ; attempt++) {
    usage.requests++;
    try {
      const res = await openai.chat.completions.create({
        model: config.model,
        messages,
        // `max_tokens` or `max_completion_tokens` (config.ts `tokensParamFor`); no
        // `temperature`, which reasoning models refuse unless it is their default.
        ...(config.tokensParam === "max_completion_tokens"
          ? { max_completion_tokens: config.maxTokens }
          : { max_tokens: config.maxTokens }),
        response_format: { type: "json_schema", json_schema: schema },
      });
      usage.tokens.prompt += res.usage?.prompt_tokens ?? 0;
      usage.tokens.completion += res.usage?.completion_tokens ?? 0;
      usage.tokens.total += res.usage?.total_tokens ?? 0;
      return { ok: true, content: res.choices[0]?.message?.content ?? null, usage };
    } catch (err) {
      const { why, retryable } = describeFailure(err, config.timeoutMs);
      const wait = retryable ? retryAfterMs((err as APIError).headers) : 0;
      if (!retryable || attempt > 1) {
        return { ok: false, why: attempt > 1 ? `${why} (after one retry)` : why, usage };
      }
      if (wait > config.retryAfterCapMs) {
        return { ok: false, why: `${why} and asked to wait ${Math.ceil(wait / 1000)} s`, usage };
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
