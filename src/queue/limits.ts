import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { DiagbotError } from "../model/errors.js";
import { type QueueConfig, queueUnavailable, type RedisClient } from "./config.js";

/** One limit: `points` requests per window for each user or channel; `setting` names it. */
interface RateRule {
  scope: "user" | "channel";
  setting: string;
  points: number;
  /** The counters' key part: `rate:<key>:<id>`. */
  key: string;
}

/** What a limit counts, for its message: "diagnoses", "follow-up questions". */
interface Counted {
  one: string;
  many: string;
}

/**
 * Request rate limits, kept in Redis so that every `diagbot serve` process shares them
 * (rate-limiter-flexible's fixed-window counters: `<prefix>:rate:user:<id>` and
 * `<prefix>:rate:channel:<id>`, each living `rateWindowSeconds`). One person may make
 * `userRate` requests per window, one channel `channelRate` (0: no limit). A request over a
 * limit is refused at once with when to try again; it does not count. {@link followUps} are
 * the thread follow-ups' limits: `followUpRate` questions per person (`rate:followup:<id>`).
 */
export class RequestLimits {
  private readonly limiters: (RateRule & { limiter: RateLimiterRedis })[] = [];

  constructor(
    redis: RedisClient,
    private readonly config: QueueConfig,
    rules: RateRule[] = [
      { scope: "user", setting: "DIAGBOT_USER_RATE", points: config.userRate, key: "user" },
      {
        scope: "channel",
        setting: "DIAGBOT_CHANNEL_RATE",
        points: config.channelRate,
        key: "channel",
      },
    ],
    private readonly counted: Counted = { one: "diagnosis", many: "diagnoses" },
  ) {
    for (const s of rules) {
      if (s.points <= 0) continue;
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.prefix}:rate:${s.key}`,
        points: s.points,
        duration: config.rateWindowSeconds,
        rejectIfRedisNotReady: true,
      });
      this.limiters.push({ ...s, limiter });
    }
  }

  /** The thread follow-ups' limit: `DIAGBOT_FOLLOWUP_RATE` questions per person and window. */
  static followUps(redis: RedisClient, config: QueueConfig): RequestLimits {
    return new RequestLimits(
      redis,
      config,
      [
        {
          scope: "user",
          setting: "DIAGBOT_FOLLOWUP_RATE",
          points: config.followUpRate,
          key: "followup",
        },
      ],
      { one: "follow-up question", many: "follow-up questions" },
    );
  }

  /**
   * Counts one request of `user` in `channel`.
   * @throws DiagbotError `rate-limited` naming the limit, its setting and the seconds to wait;
   *   `connect-failed` when Redis does not answer
   */
  async admit(user: string, channel: string): Promise<void> {
    const taken: (typeof this.limiters)[number][] = [];
    for (const l of this.limiters) {
      const key = l.scope === "user" ? user : channel;
      try {
        await l.limiter.consume(key);
        taken.push(l);
      } catch (err) {
        // A refused request does not count against the limits it passed.
        await Promise.all(
          taken.map((t) => t.limiter.reward(t.scope === "user" ? user : channel).catch(() => 0)),
        );
        if (!(err instanceof RateLimiterRes)) throw queueUnavailable((err as Error).message, err);
        await l.limiter.reward(key).catch(() => 0);
        throw this.limited(l.scope, l.setting, l.points, err.msBeforeNext);
      }
    }
  }

  private limited(scope: string, setting: string, points: number, msBeforeNext: number) {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    const who = scope === "user" ? "one person" : "one channel";
    return new DiagbotError(
      "rate-limited",
      `rate limit: ${who} may ask for ${points} ${points === 1 ? this.counted.one : this.counted.many} per ${this.config.rateWindowSeconds} s (${setting})`,
      { hint: `try again in ${seconds} s` },
    );
  }
}
