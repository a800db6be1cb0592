import { DiagbotError } from "../model/errors.js";

/**
 * Bounded retries for ticket calls. A call throws an {@link HttpFailure} for an HTTP error
 * answer (or any other error for a network failure); 429, 5xx and network errors are tried
 * again, waiting what the server asks: `Retry-After` (seconds or an HTTP date, RFC 9110
 * 10.2.3), else `X-RateLimit-Reset` (GitHub: epoch seconds when `x-ratelimit-remaining` is 0;
 * Jira Cloud: an ISO 8601 time), else 1 s, 2 s, 4 s... A 403 with `x-ratelimit-remaining: 0`
 * is GitHub's primary rate limit, not a refusal. 400, 401, 403, 404, 409, 410, 413 and 422
 * end at once as `ticket-refused`, naming the setting to fix; a wait past the cap, or the last
 * try failing, ends as `ticket-failed` (retryable: a queued job may try later).
 */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string | undefined>>,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ""}`);
    this.name = "HttpFailure";
  }
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryPolicy {
  /** Tries in all, first included. */
  tries: number;
  /** Longest total wait across retries, ms; a server asking for more ends the call. */
  maxWaitMs: number;
  clock: RetryClock;
}

export const DEFAULT_POLICY: RetryPolicy = { tries: 3, maxWaitMs: 60_000, clock: REAL_CLOCK };

/** What a refusal names: the system, its token and URL settings, the key. */
export interface CallContext {
  system: string;
  /** What the call does, e.g. `adding the comment to OPS-7`. */
  action: string;
  tokenSetting: string;
  urlSetting: string;
  key: string;
}

const REFUSED = new Set([400, 401, 403, 404, 409, 410, 413, 422]);

export async function withRetry<T>(
  call: () => Promise<T>,
  ctx: CallContext,
  policy: RetryPolicy = DEFAULT_POLICY,
): Promise<T> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let failure: unknown;
    try {
      return await call();
    } catch (err) {
      failure = err;
    }
    const http = failure instanceof HttpFailure ? failure : undefined;
    if (http && REFUSED.has(http.status) && !rateLimited(http)) throw refusal(http, ctx);
    const why = http ? `HTTP ${http.status}` : networkError(failure);
    const wait = http ? waitAsked(http, attempt, policy.clock.now()) : backoff(attempt);
    if (attempt >= policy.tries || waited + wait > policy.maxWaitMs) {
      const over =
        waited + wait > policy.maxWaitMs
          ? `; the server asked to wait ${Math.ceil(wait / 1000)} s more`
          : "";
      throw new DiagbotError(
        "ticket-failed",
        `${ctx.system} did not take the evidence (${ctx.action}) after ${attempt} ${attempt === 1 ? "try" : "tries"}: ${why}${over}`,
        {
          hint: `try again later; ${ctx.urlSetting} must point at a reachable server`,
          cause: failure,
        },
      );
    }
    waited += wait;
    await policy.clock.sleep(wait);
  }
}

/** The wait a failed answer asks for, ms. */
export function waitAsked(http: HttpFailure, attempt: number, now: number): number {
  const retryAfter = http.headers["retry-after"];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = http.headers["x-ratelimit-reset"];
  if (reset !== undefined && (rateLimited(http) || http.status === 429)) {
    const n = Number(reset);
    const at = Number.isFinite(n) ? (n > 1e9 ? n * 1000 : now + n * 1000) : Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return backoff(attempt);
}

/** `fetch failed (ECONNREFUSED)`: the message and the system error code fetch hides in `cause`. */
function networkError(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code;
  return `${e.message ?? String(err)}${code ? ` (${code})` : ""}`;
}

/** 1 s, 2 s, 4 s... for the `attempt`th failure (1-based), when the server asked no wait. */
export function backoff(attempt: number): number {
  return 1000 * 2 ** (attempt - 1);
}

function rateLimited(http: HttpFailure): boolean {
  return (
    (http.status === 403 || http.status === 429) && http.headers["x-ratelimit-remaining"] === "0"
  );
}

function refusal(http: HttpFailure, ctx: CallContext): DiagbotError {
  const detail = http.body ? `: ${http.body.replace(/\s+/g, " ").slice(0, 200)}` : "";
  const [message, hint] =
    http.status === 401
      ? [
          `${ctx.tokenSetting} was refused (401)${detail}`,
          `set ${ctx.tokenSetting} to a valid token`,
        ]
      : http.status === 403
        ? [
            `${ctx.tokenSetting} may not do this (403, ${ctx.action})${detail}`,
            `give the account behind ${ctx.tokenSetting} the permission to comment on ${ctx.key}`,
          ]
        : http.status === 404
          ? [
              `${ctx.key} was not found at ${ctx.urlSetting} (404, ${ctx.action})${detail}`,
              `check the key, and that ${ctx.urlSetting} names the right server and ${ctx.tokenSetting} can see it`,
            ]
          : [
              `${ctx.system} refused the request (${http.status}, ${ctx.action})${detail}`,
              `check ${ctx.key} and the ${ctx.system} settings`,
            ];
  return new DiagbotError("ticket-refused", message, { hint, cause: http });
}

/** A client library's error answer (status, headers, parsed body) as an {@link HttpFailure}. */
export function httpFailure(
  status: number,
  headers: Record<string, unknown> | undefined,
  data: unknown,
): HttpFailure {
  const record: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined && v !== null) record[k.toLowerCase()] = String(v);
  }
  return new HttpFailure(
    status,
    record,
    typeof data === "string" ? data : JSON.stringify(data ?? ""),
  );
}

/** Headers of a fetch Response as a lower-case record. */
export function headerRecord(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers.entries()].map(([k, v]) => [k.toLowerCase(), v]));
}

/** A fetch that throws {@link HttpFailure} for a non-2xx answer and returns the body text. */
export async function fetchText(
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    ...init,
    signal: init.signal ?? AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new HttpFailure(response.status, headerRecord(response.headers), text);
  return { status: response.status, text };
}
