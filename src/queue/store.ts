import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { Outcome, ReplyTarget, StoredResult } from "../model/answer.js";
import type { RedisClient } from "./config.js";
import type { FollowUpRecord, RecentEntry } from "./types.js";
import { threadKey } from "./types.js";

/**
 * How long pasted evidence waits in Redis for a worker, seconds: longer than any job's queueing,
 * retries and deadline, short enough that a secret in a paste does not linger (what a person
 * reads of it is redacted; this copy is the worker's input, as a live host's output is).
 */
export const PASTED_TTL_SECONDS = 3600;

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
 * | `pasted:{sha256}` | string (gzip JSON) | evidence pasted in chat (message text, files) until a worker reads it, {@link PASTED_TTL_SECONDS} |
 * | `evidence:{sha256}` | string | the diagnosis id whose bundle a ticket links as `/evidence/<sha256>`, TTL as the bundle's |
 * | `slots:{kind}:{name}` | sorted set | jobs holding a slot (`intrusive` per host, `sweep` per host, `user`, `channel`, `sweep-run` per sweep), scored by lease end |
 * | `queued:{requester}` | sorted set | the requester's diagnoses queued and not started, scored by ms queued at |
 * | `rate:{user\|channel}:{id}` | string | rate-limiter-flexible's request counters |
 * | `recent` | list | the last diagnoses, for the App Home |
 * | `thread:{channel}:{ts}` | string | the diagnosis last answered in that thread, result TTL |
 * | `followups:{id}:{channel}:{ts}` | list | a thread's follow-ups (JSON), the last {@link FOLLOW_UP_TURNS}, result TTL |
 *
 * Keys that one script touches together share a hash tag, so this works on Redis Cluster.
 */
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
   * `checked` list and problem lines first. Without a bundle (the result stored again with its
   * narrative), the bundle stored before is left as it is and `result.bundle` kept.
   */
  async saveResult(result: StoredResult, bundle?: unknown): Promise<StoredResult> {
    let bundleBytes: Buffer | undefined;
    if (bundle !== undefined) {
      bundleBytes = await gzipAsync(Buffer.from(JSON.stringify(bundle)));
      if (bundleBytes.length > this.options.maxBytes) bundleBytes = undefined;
    }
    const stored: StoredResult = {
      ...result,
      bundle: bundle === undefined ? result.bundle : bundleBytes !== undefined,
    };
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
   * Records that the bundle whose evidence SHA-256 is `sha256` (src/tickets/evidence.ts) is the
   * stored bundle of `diagnosisId`, for as long as results are kept: `serve`'s `/evidence/<sha256>`.
   */
  async recordEvidence(sha256: string, diagnosisId: string): Promise<void> {
    await this.redis.set(this.key("evidence", sha256), diagnosisId, "EX", this.options.ttlSeconds);
  }

  /** The diagnosis id {@link recordEvidence} recorded for `sha256`, or null. */
  async evidenceOf(sha256: string): Promise<string | null> {
    return this.redis.get(this.key("evidence", sha256));
  }

  /**
   * Keeps pasted pieces for a worker; the id is the SHA-256 of their names and bytes, so the
   * same paste asked twice is one run.
   * @returns the id (64 hex digits), for `DiagnoseRequest.evidence`
   */
  async savePasted(pieces: readonly { name: string; bytes: Buffer }[]): Promise<string> {
    const hash = createHash("sha256");
    for (const p of pieces) hash.update(`${p.name}\0${p.bytes.length}\0`).update(p.bytes);
    const id = hash.digest("hex");
    const json = JSON.stringify(
      pieces.map((p) => ({ name: p.name, base64: p.bytes.toString("base64") })),
    );
    await this.redis.set(this.key("pasted", id), await gzipAsync(json), "EX", PASTED_TTL_SECONDS);
    return id;
  }

  /** The pieces {@link savePasted} kept under `id`, or null once expired. */
  async loadPasted(id: string): Promise<{ name: string; bytes: Buffer }[] | null> {
    const stored = await this.redis.getBuffer(this.key("pasted", id));
    if (!stored) return null;
    const pieces = JSON.parse((await gunzipAsync(stored)).toString("utf8")) as {
      name: string;
      base64: string;
    }[];
    return pieces.map((p) => ({ name: p.name, bytes: Buffer.from(p.base64, "base64") }));
  }

  /** Whether the bundle of `diagnosisId` is still stored (no TTL or size cap hit). */
  async bundleStored(diagnosisId: string): Promise<boolean> {
    return (await this.redis.exists(this.key("bundle", diagnosisId))) === 1;
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

  /** Records that the answer of `diagnosisId` is in `target`'s thread (a later one replaces it). */
  async markThread(target: ReplyTarget, diagnosisId: string): Promise<void> {
    if (!target.channel || !(target.threadTs ?? target.ts)) return;
    await this.redis.set(
      this.key("thread", threadKey(target)),
      diagnosisId,
      "EX",
      this.options.ttlSeconds,
    );
  }

  /** The diagnosis last answered in the thread `threadTs` of `channel`, if any (and not expired). */
  async threadDiagnosis(channel: string, threadTs: string): Promise<string | null> {
    return this.redis.get(this.key("thread", threadKey({ user: "", channel, threadTs })));
  }

  private followUpsKey(diagnosisId: string, channel: string, threadTs: string): string {
    return this.key("followups", diagnosisId, threadKey({ user: "", channel, threadTs }));
  }

  /** A thread's follow-ups of `diagnosisId`, oldest first (at most {@link FOLLOW_UP_TURNS}). */
  async followUps(diagnosisId: string, channel: string, threadTs: string) {
    const items = await this.redis.lrange(this.followUpsKey(diagnosisId, channel, threadTs), 0, -1);
    return items.map((i) => JSON.parse(i) as FollowUpRecord);
  }

  /** Adds a follow-up, keeping the last {@link FOLLOW_UP_TURNS}, for the result's TTL. */
  async addFollowUp(
    diagnosisId: string,
    channel: string,
    threadTs: string,
    record: FollowUpRecord,
  ): Promise<void> {
    const key = this.followUpsKey(diagnosisId, channel, threadTs);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify(record))
      .ltrim(key, -FOLLOW_UP_TURNS, -1)
      .expire(key, this.options.ttlSeconds)
      .exec();
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

  slotKey(kind: SlotKind, name: string): string {
    return this.key("slots", kind, name);
  }

  /**
   * Takes one of `cap` slots of `kind`/`name` for `owner` (a job id) for `ms`: a lease, so a slot
   * of a worker that died frees itself. The same owner (its job re-run after a crash) takes its
   * own slot back at once.
   * @returns false when `cap` other owners hold a slot
   */
  async takeSlot(kind: SlotKind, name: string, owner: string, cap: number, ms: number) {
    const key = this.slotKey(kind, name);
    return (await this.redis.eval(TAKE_SLOT_SCRIPT, 1, key, owner, String(cap), String(ms))) === 1;
  }

  /** Extends `owner`'s slot while it still holds it. */
  async renewSlot(kind: SlotKind, name: string, owner: string, ms: number): Promise<boolean> {
    const key = this.slotKey(kind, name);
    return (await this.redis.eval(RENEW_SLOT_SCRIPT, 1, key, owner, String(ms))) === 1;
  }

  async releaseSlot(kind: SlotKind, name: string, owner: string): Promise<void> {
    await this.redis.zrem(this.slotKey(kind, name), owner);
  }

  queuedKey(requester: string): string {
    return this.key("queued", requester);
  }

  /**
   * Counts the diagnosis `diagnosisId` as queued for `requester` until {@link markStarted}.
   * @returns how many of the requester's were queued before it (entries older than a day dropped)
   */
  async markQueued(requester: string, diagnosisId: string): Promise<number> {
    const key = this.queuedKey(requester);
    const now = Date.now();
    const replies = await this.redis
      .multi()
      .zremrangebyscore(key, "-inf", String(now - QUEUED_MAX_AGE_MS))
      .zcard(key)
      .zadd(key, String(now), diagnosisId)
      .pexpire(key, QUEUED_MAX_AGE_MS)
      .exec();
    return Number(replies?.[1]?.[1] ?? 0);
  }

  /** The diagnosis started, ended without starting, or joined another run: not in the backlog. */
  async markStarted(requester: string, diagnosisId: string): Promise<void> {
    await this.redis.zrem(this.queuedKey(requester), diagnosisId);
  }
}

/**
 * The kinds of slot a job may hold: a diagnosis its host's intrusive slot (one deep job per
 * host), its requester's and its channel's; a sweep host job its host's `sweep` slot (one sweep
 * diagnosis per host) and one of its sweep's `sweep-run` places (the sweep's `concurrency`).
 */
export type SlotKind = "intrusive" | "user" | "channel" | "sweep" | "sweep-run";

/**
 * Follow-ups of a thread kept, and given to the model as context: the last 6 (each question is
 * at most 500 characters and each answer 1200, so the prompt grows by at most about 10 kB).
 */
export const FOLLOW_UP_TURNS = 6;

/** A queued-job entry older than this is not counted (ms): a day. */
const QUEUED_MAX_AGE_MS = 24 * 3600 * 1000;

const ATTACH_SCRIPT = `
local closed = redis.call('GET', KEYS[2])
if closed then return closed end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return false`;

const CLOSE_SCRIPT = `
redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
return redis.call('SMEMBERS', KEYS[1])`;

/** KEYS[1]: the slot set; ARGV: owner, cap, lease ms. Expired leases are dropped first. */
const TAKE_SLOT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
  return 1
end
return 0`;

const RENEW_SLOT_SCRIPT = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 1`;
