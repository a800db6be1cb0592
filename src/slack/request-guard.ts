import { createHash } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { HTTPModuleFunctions, isValidSlackRequest } from "@slack/bolt";
import type { Logger } from "../observability/log.js";
import type { RedisClient } from "../queue/config.js";

/**
 * Checks on Slack's HTTP requests that Bolt's HTTPReceiver does not make, run before it:
 * - a timestamp more than {@link MAX_SKEW_SECONDS} in the future is refused with 401 (Bolt
 *   refuses only old ones: a request signed with a stolen signing secret and stamped ahead
 *   would otherwise stay valid for years);
 * - a correctly signed request whose signature was already seen within
 *   {@link REPLAY_TTL_SECONDS} is refused with 401 (a replay); the signatures are kept in
 *   Redis (`SET NX EX`, key `<prefix>:slack:sig:<sha256 of the signature>`), so every
 *   `serve` process shares them;
 * - a correctly signed request carrying `X-Slack-Retry-Num` (Slack's own retry after a slow
 *   or failed first delivery) is acknowledged with 200 and not dispatched: the first
 *   delivery was already taken.
 * Slack's rule for both windows: "the request timestamp is more than five minutes from local
 * time" (https://api.slack.com/authentication/verifying-requests-from-slack).
 * When Redis does not answer, the request goes on to Bolt: nothing can be queued then, and the
 * listeners answer "queue unavailable".
 * Everything else (bad signatures, `ssl_check`, other paths) goes to Bolt unchanged.
 */
export const MAX_SKEW_SECONDS = 5 * 60;
export const REPLAY_TTL_SECONDS = 5 * 60;

export interface RequestGuardOptions {
  signingSecret: string;
  redis: RedisClient;
  prefix: string;
  log: Logger;
  /** The path Slack posts to. */
  endpoint: string;
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** The key of a signature in the replay cache. */
export function replayKey(prefix: string, signature: string): string {
  return `${prefix}:slack:sig:${createHash("sha256").update(signature).digest("hex")}`;
}

/** Wraps Bolt's request listener with the checks above. */
export function guardRequests(
  next: RequestListener,
  options: RequestGuardOptions,
): RequestListener {
  const { log, redis } = options;
  const check = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const timestamp = Number(req.headers["x-slack-request-timestamp"]);
    const signature = req.headers["x-slack-signature"];
    if (Number.isFinite(timestamp) && timestamp - Date.now() / 1000 > MAX_SKEW_SECONDS) {
      log.warn({ timestamp }, "slack request refused: timestamp in the future");
      return reply(res, 401);
    }
    const buffered = await HTTPModuleFunctions.bufferIncomingMessage(
      req,
      HTTPModuleFunctions.defaultBodyLimit,
    );
    const valid =
      typeof signature === "string" &&
      isValidSlackRequest({
        signingSecret: options.signingSecret,
        body: buffered.rawBody.toString(),
        headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp },
      });
    // Bolt refuses what is not validly signed and answers ssl_check itself.
    if (!valid) return next(buffered, res);
    const retry = req.headers["x-slack-retry-num"];
    if (retry !== undefined) {
      log.info({ retry, reason: req.headers["x-slack-retry-reason"] }, "slack retry acknowledged");
      return reply(res, 200);
    }
    const fresh = await redis
      .set(replayKey(options.prefix, signature), "1", "EX", REPLAY_TTL_SECONDS, "NX")
      .catch((err: Error) => {
        // Without Redis nothing can be queued either: Bolt's listeners answer "queue unavailable".
        log.warn({ err: err.message }, "replay cache unavailable");
        return "OK" as const;
      });
    if (fresh !== "OK") {
      log.warn({ timestamp }, "slack request refused: replayed signature");
      return reply(res, 401);
    }
    next(buffered, res);
  };
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== options.endpoint) return next(req, res);
    check(req, res).catch((err: Error & { statusCode?: number }) => {
      if (res.headersSent) return;
      if (HTTPModuleFunctions.isRawBodyError(err)) return reply(res, err.statusCode ?? 400);
      log.error({ err: err.message }, "slack request refused");
      reply(res, 500);
    });
  };
}
