import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { RedisClient } from "../queue/config.js";
import { emptyState, type Mute, type SweepState } from "./changes.js";

/**
 * Where a sweep's state lives between runs: the service keeps it in Redis under
 * `DIAGBOT_REDIS_PREFIX`, `diagbot sweep` in files under `DIAGBOT_STATE_DIR`. Both keep the same
 * JSON ({@link SweepState}); a state that does not read back as one (hand-edited, another
 * version) is replaced by an empty one, so the next runs rebuild it (and hold changes back by
 * the flap guard meanwhile).
 */
export interface SweepStateStore {
  load(sweep: string): Promise<SweepState>;
  save(sweep: string, state: SweepState): Promise<void>;
  /** The mutes of a sweep still in force at `now` (ms since the epoch). */
  mutes(sweep: string, now: number): Promise<Mute[]>;
}

const findingStateSchema = z.object({
  host: z.string(),
  rule: z.string(),
  category: z.string(),
  confidence: z.number(),
  title: z.string(),
  posted: z.boolean(),
  seenRuns: z.number().int().min(0),
  goneRuns: z.number().int().min(0),
  since: z.string(),
});

const stateSchema = z.object({
  version: z.literal(1),
  runs: z.number().int().min(0),
  lastRunAt: z.string().optional(),
  findings: z.record(z.string(), findingStateSchema),
  unreachable: z.record(
    z.string(),
    z.object({
      runs: z.number().int().min(0),
      posted: z.boolean(),
      since: z.string(),
      error: z.string(),
    }),
  ),
  tickets: z.record(z.string(), z.string()).optional(),
  ticketRefs: z.record(z.string(), z.string()).optional(),
});

/** The state in `text`, or an empty state when it is absent or not a state of this version. */
export function readState(text: string | null | undefined): SweepState {
  if (!text) return emptyState();
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as SweepState) : emptyState();
  } catch {
    return emptyState();
  }
}

/**
 * Keys of one sweep in Redis: `<prefix>:sweeps:<name>:state` and `...:mutes`. The places of its
 * host jobs diagnosing now are `sweep-run` slots of the result store (src/queue/store.ts).
 */
export function sweepKeys(prefix: string, sweep: string) {
  const base = `${prefix}:sweeps:${sweep}`;
  return { state: `${base}:state`, mutes: `${base}:mutes` };
}

/**
 * The service's store: the state as one JSON string, the mutes as a hash of key →
 * `{"until":ms,"by":user}` (written by the Mute button, apart from the state, so a mute never
 * races a run's save).
 */
export class RedisStateStore implements SweepStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async load(sweep: string): Promise<SweepState> {
    return readState(await this.redis.get(sweepKeys(this.prefix, sweep).state));
  }

  async save(sweep: string, state: SweepState): Promise<void> {
    await this.redis.set(sweepKeys(this.prefix, sweep).state, JSON.stringify(state));
  }

  async mutes(sweep: string, now: number): Promise<Mute[]> {
    const key = sweepKeys(this.prefix, sweep).mutes;
    const all = await this.redis.hgetall(key);
    const out: Mute[] = [];
    const expired: string[] = [];
    for (const [finding, text] of Object.entries(all)) {
      const m = muteValue(text);
      if (m && m.until > now) out.push({ key: finding, ...m });
      else expired.push(finding);
    }
    if (expired.length > 0) await this.redis.hdel(key, ...expired);
    return out;
  }

  /** Mutes `key` of `sweep` until `until` (ms since the epoch). */
  async mute(sweep: string, mute: Mute): Promise<void> {
    await this.redis.hset(
      sweepKeys(this.prefix, sweep).mutes,
      mute.key,
      JSON.stringify({ until: mute.until, by: mute.by }),
    );
  }

  /** Removes a sweep's state and mutes (the sweep left sweeps.yaml). */
  async forget(sweep: string): Promise<void> {
    const keys = sweepKeys(this.prefix, sweep);
    await this.redis.del(keys.state, keys.mutes);
  }
}

function muteValue(text: string): { until: number; by: string } | undefined {
  try {
    const v = JSON.parse(text) as { until?: unknown; by?: unknown };
    return typeof v.until === "number" && typeof v.by === "string"
      ? { until: v.until, by: v.by }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CLI's store: `<dir>/sweeps/<target>.json`, written whole to a temporary file and renamed
 * (a crash leaves the old state or the new one, never half of one), mode 0600 in a 0700 folder.
 * The CLI has no mutes.
 */
export class FileStateStore implements SweepStateStore {
  constructor(private readonly dir: string) {}

  private file(sweep: string): string {
    return join(this.dir, "sweeps", `${encodeURIComponent(sweep)}.json`);
  }

  async load(sweep: string): Promise<SweepState> {
    try {
      return readState(await readFile(this.file(sweep), "utf8"));
    } catch {
      return emptyState();
    }
  }

  async save(sweep: string, state: SweepState): Promise<void> {
    const file = this.file(sweep);
    await mkdir(join(this.dir, "sweeps"), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  }

  async mutes(): Promise<Mute[]> {
    return [];
  }
}
