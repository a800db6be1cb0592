import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { Outcome, ReplyTarget, StoredResult } from "../model/answer.js";
import type { RedisClient } from "./config.js";
import type { RecentEntry } from "./types.js";
import { threadKey } from "./types.js";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * What diagbot keeps in Redis beside BullMQ's own keys, all under `<prefix>:`:
 *
 * | key | type | what |
 * |---|---|---|
 * | `targets:{job}` | set | reply targets of a job (every requester of a coalesced run) |
 * | `closed:{job}` | string | the job's outcome once answered; late joiners read it |
 * | `result:{id}` | string (gzip JSON) | the redacted report of a diagnosis, TTL, size cap |
 * | `bundle:{id}` | string (gzip JSON) | the redacted evidence bundle, TTL, size cap |
 * | `posted:{id}:thread` | string | SET NX guard: one answer per diagnosis and thread |
 * | `lock:intrusive:{host}` | string | the job holding the host's intrusive slot |
 * | `lock:sweep:{host}` | string | the sweep host job diagnosing the host (one at a time) |
 * | `recent` | list | the last diagnoses, for the App Home |
 *
 * Keys that one script touches together share a hash tag, so this works on Redis Cluster.
 */
/** The per-host slots: one deep job per host, and one sweep host job per host. */
export type HostSlot = "intrusive" | "sweep";

export class ResultStore {
  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly options: { ttlSeconds: number; maxBytes: number },
  ) {}

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(":");
  }

  targetsKey(jobId: string): string {
    return this.key("targets", `{${jobId}}`);
  }

  closedKey(jobId: string): string {
    return this.key("closed", `{${jobId}}`);
  }

  /**
   * Adds a reply target to a job unless the job was already answered. Atomic with
   * {@link close}: a target is either seen by the worker's final read, or told the outcome.
   * @returns null when added, the outcome when the job had already been answered.
   */
  async attach(jobId: string, target: ReplyTarget): Promise<Outcome | null> {
    const closed = (await this.redis.eval(
      ATTACH_SCRIPT,
      2,
      this.targetsKey(jobId),
      this.closedKey(jobId),
      JSON.stringify(target),
      String(24 * 3600),
    )) as string | null;
    return closed ? (JSON.parse(closed) as Outcome) : null;
  }

  /** Every target attached so far (for progress edits). */
  async targets(jobId: string): Promise<ReplyTarget[]> {
    const members = await this.redis.smembers(this.targetsKey(jobId));
    return members.map((m) => JSON.parse(m) as ReplyTarget);
  }

  /** Records the outcome and returns every target; later `attach` calls get the outcome. */
  async close(jobId: string, outcome: Outcome): Promise<ReplyTarget[]> {
    const members = (await this.redis.eval(
      CLOSE_SCRIPT,
      2,
      this.targetsKey(jobId),
      this.closedKey(jobId),
      JSON.stringify(outcome),
      String(24 * 3600),
    )) as string[];
    return members.map((m) => JSON.parse(m) as ReplyTarget);
  }

  /**
   * Stores a result and, when given, its bundle, gzip-compressed with the TTL. A bundle over
   * the size cap is not stored (the result says so); a report over the cap loses its
   * `checked` list and problem lines first.
   */
  async saveResult(result: StoredResult, bundle?: unknown): Promise<StoredResult> {
    let bundleBytes: Buffer | undefined;
    if (bundle !== undefined) {
      bundleBytes = await gzipAsync(Buffer.from(JSON.stringify(bundle)));
      if (bundleBytes.length > this.options.maxBytes) bundleBytes = undefined;
    }
    const stored: StoredResult = { ...result, bundle: bundleBytes !== undefined };
    let bytes = await gzipAsync(Buffer.from(JSON.stringify(stored)));
    if (bytes.length > this.options.maxBytes) {
      stored.report = {
        ...stored.report,
        checked: [],
        collectors: stored.report.collectors.map(({ problems: _p, ...c }) => c),
        notes: [
          ...stored.report.notes,
          "the report was over the size cap: checked rules and problem lines were dropped",
        ],
      };
      bytes = await gzipAsync(Buffer.from(JSON.stringify(stored)));
      if (bytes.length > this.options.maxBytes) {
        stored.report = { ...stored.report, hypotheses: stored.report.hypotheses.slice(0, 5) };
        bytes = await gzipAsync(Buffer.from(JSON.stringify(stored)));
      }
    }
    const ttl = this.options.ttlSeconds;
    const multi = this.redis.multi().set(this.key("result", stored.diagnosisId), bytes, "EX", ttl);
    if (bundleBytes) multi.set(this.key("bundle", stored.diagnosisId), bundleBytes, "EX", ttl);
    await multi.exec();
    return stored;
  }

  async loadResult(diagnosisId: string): Promise<StoredResult | null> {
    const bytes = await this.redis.getBuffer(this.key("result", diagnosisId));
    return bytes ? (JSON.parse((await gunzipAsync(bytes)).toString("utf8")) as StoredResult) : null;
  }

  async loadBundle<T>(diagnosisId: string): Promise<T | null> {
    const bytes = await this.redis.getBuffer(this.key("bundle", diagnosisId));
    return bytes ? (JSON.parse((await gunzipAsync(bytes)).toString("utf8")) as T) : null;
  }

  /**
   * The posting guard: true for the first caller for this diagnosis and thread, false for
   * every other (whichever process it runs in). {@link releasePost} undoes it after a failed post.
   */
  async claimPost(diagnosisId: string, target: ReplyTarget): Promise<boolean> {
    const ok = await this.redis.set(
      this.key("posted", diagnosisId, threadKey(target)),
      String(Date.now()),
      "EX",
      this.options.ttlSeconds,
      "NX",
    );
    return ok === "OK";
  }

  async releasePost(diagnosisId: string, target: ReplyTarget): Promise<void> {
    await this.redis.del(this.key("posted", diagnosisId, threadKey(target)));
  }

  async pushRecent(entry: RecentEntry, keep = 50): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.key("recent"), JSON.stringify(entry))
      .ltrim(this.key("recent"), 0, keep - 1)
      .exec();
  }

  async recent(count = 20): Promise<RecentEntry[]> {
    const items = await this.redis.lrange(this.key("recent"), 0, count - 1);
    return items.map((i) => JSON.parse(i) as RecentEntry);
  }

  /**
   * Takes the host's slot of a kind for `owner` for `ms` (`intrusive`: one deep job per host;
   * `sweep`: one sweep host job per host); false when another job holds it.
   */
  async lockHost(
    host: string,
    owner: string,
    ms: number,
    slot: HostSlot = "intrusive",
  ): Promise<boolean> {
    // The same job (re-run after its worker died) takes its own slot back at once.
    const key = this.key("lock", slot, host);
    return (await this.redis.eval(LOCK_SCRIPT, 1, key, owner, String(ms))) === 1;
  }

  /** Extends the slot while `owner` still holds it. */
  async renewHost(
    host: string,
    owner: string,
    ms: number,
    slot: HostSlot = "intrusive",
  ): Promise<boolean> {
    return (
      (await this.redis.eval(RENEW_SCRIPT, 1, this.key("lock", slot, host), owner, String(ms))) ===
      1
    );
  }

  async unlockHost(host: string, owner: string, slot: HostSlot = "intrusive"): Promise<void> {
    await this.redis.eval(UNLOCK_SCRIPT, 1, this.key("lock", slot, host), owner);
  }
}

const ATTACH_SCRIPT = `
local closed = redis.call('GET', KEYS[2])
if closed then return closed end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return false`;

const CLOSE_SCRIPT = `
redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
return redis.call('SMEMBERS', KEYS[1])`;

const LOCK_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]), 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0`;

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0`;

const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
