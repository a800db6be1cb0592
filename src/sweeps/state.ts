import { constants } from "node:fs";
import { access, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { oneLine } from "../parsers/text.js";
import type { RedisClient } from "../queue/config.js";
import { emptyState, type Mute, type SweepState } from "./changes.js";

/**
 * Where a sweep's state lives between runs: the service keeps it in Redis under
 * `DIAGBOT_REDIS_PREFIX`, `diagbot sweep` in files under `DIAGBOT_STATE_DIR`. Both keep the same
 * JSON ({@link SweepState}). A state that does not read back as one (truncated, hand-edited,
 * another version) is kept aside (a file `<file>.corrupt-<time>`, a Redis key
 * `<key>:corrupt-<time>` kept {@link CORRUPT_KEEP_SECONDS}) and replaced by an empty one that
 * says so ({@link SweepState.unreadable}): the run counts as the first, and its digest says
 * every finding is shown as new.
 */
export interface SweepStateStore {
  /**
   * The state of `sweep`, empty before the first run. With `options.readOnly`, a state that
   * cannot be read is left where it is (and the empty state returned carries no `unreadable`).
   */
  load(sweep: string, options?: { readOnly?: boolean }): Promise<SweepState>;
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

/** How long Redis keeps the bad copy of a state that could not be read: 30 days, in seconds. */
export const CORRUPT_KEEP_SECONDS = 30 * 24 * 3600;

/**
 * The state in `text`: an empty state when it is absent, or `problem` (one line: `empty`, the
 * JSON syntax error, or the first field that is not of a state of this version) when it is not
 * one.
 */
export function readState(text: string | null | undefined): {
  state: SweepState;
  problem?: string;
} {
  if (text === null || text === undefined) return { state: emptyState() };
  // A save is written whole (FileStateStore.save renames a full copy into place), so an empty
  // state was emptied by something else: it is reported and kept aside like any bad one.
  if (text.trim() === "") return { state: emptyState(), problem: "empty" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { state: emptyState(), problem: `not JSON: ${oneLine((err as Error).message)}` };
  }
  const parsed = stateSchema.safeParse(json);
  if (parsed.success) return { state: parsed.data as SweepState };
  const first = parsed.error.issues[0];
  const field = first.path.length > 0 ? first.path.map(String).join(".") : "(top level)";
  return {
    state: emptyState(),
    problem: `not a sweep state of version 1: ${field}: ${first.message}`,
  };
}

/** The empty state that replaces an unreadable one, saying what was wrong and where the copy is. */
function unreadableState(problem: string, keptAt: string): SweepState {
  return { ...emptyState(), unreadable: `${problem}; the bad copy is kept as ${keptAt}` };
}

/** `2026-12-07T12-30-00-000Z`: the time a bad copy is kept at, safe in file names and keys. */
function corruptStamp(now = new Date()): string {
  return now.toISOString().replace(/[:.]/g, "-");
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

  async load(sweep: string, options: { readOnly?: boolean } = {}): Promise<SweepState> {
    const key = sweepKeys(this.prefix, sweep).state;
    const { state, problem } = readState(await this.redis.get(key));
    if (problem === undefined || options.readOnly) return state;
    const aside = `${key}:corrupt-${corruptStamp()}`;
    // RENAME: the bad copy leaves the key at once, so one run (not every one) reports it.
    await this.redis.rename(key, aside).catch(() => undefined);
    await this.redis.expire(aside, CORRUPT_KEEP_SECONDS);
    return unreadableState(
      problem,
      `Redis key ${aside} (for ${CORRUPT_KEEP_SECONDS / 86400} days)`,
    );
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

  async load(sweep: string, options: { readOnly?: boolean } = {}): Promise<SweepState> {
    const file = this.file(sweep);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw new DiagbotError(
        "config",
        `${file}: cannot read the sweep state: ${whyUnreadable(err)}`,
        {
          hint: "make it readable by this user, or move it away to start the changes afresh",
        },
      );
    }
    const { state, problem } = readState(text);
    if (problem === undefined || options.readOnly) return state;
    const aside = `${file}.corrupt-${corruptStamp()}`;
    await rename(file, aside);
    return unreadableState(problem, aside);
  }

  /**
   * What stands in the way of reading and writing back the state of `sweep`, checked before a
   * run so that a bad place is refused before hosts are diagnosed: the folder or its `sweeps`
   * folder is not a folder or not writable, the state is not a regular file or not readable.
   * @returns one line naming the path and the problem, or undefined when there is none.
   */
  async problem(sweep: string): Promise<string | undefined> {
    const file = this.file(sweep);
    // The nearest folder that exists on the way to the file is where it will be written.
    let writable = dirname(file);
    let kind = await kindOf(writable);
    while (kind === "absent" && dirname(writable) !== writable) {
      writable = dirname(writable);
      kind = await kindOf(writable);
    }
    if (kind !== "a folder") return `${writable} is ${kind}, not a folder`;
    const fileKind = await kindOf(file);
    if (fileKind !== "absent" && fileKind !== "a file") return `${file} is ${fileKind}, not a file`;
    if (fileKind === "a file" && !(await can(file, constants.R_OK)))
      return `${file} is not readable by this user`;
    if (!(await can(writable, constants.W_OK | constants.X_OK)))
      return `${writable} is not writable by this user`;
    return undefined;
  }

  /** Writes the state; on failure the temporary file is removed and the error thrown. */
  async save(sweep: string, state: SweepState): Promise<void> {
    const file = this.file(sweep);
    await mkdir(join(this.dir, "sweeps"), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async mutes(): Promise<Mute[]> {
    return [];
  }
}

/** What `path` is: "absent", "a folder", "a file", "a special file", or why it cannot be seen. */
async function kindOf(path: string): Promise<string> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return "a folder";
    if (st.isFile()) return "a file";
    return "a special file";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands on the way; the walk up to it names it.
    if (code === "ENOENT" || code === "ENOTDIR") return "absent";
    return `unreachable (${whyUnreadable(err)})`;
  }
}

async function can(path: string, mode: number): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}
