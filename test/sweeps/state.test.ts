import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { DigestMessage } from "../../src/model/answer.js";
import { finishRun } from "../../src/sweeps/run.js";
import {
  CORRUPT_KEEP_SECONDS,
  FileStateStore,
  RedisStateStore,
  sweepKeys,
} from "../../src/sweeps/state.js";
import { renderChanges } from "../../src/sweeps/terminal.js";
import { removePrefix, SHARED_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { ONE_FINDING, SWEEP_DEF } from "../helpers/sweep-run.js";

/**
 * A sweep state that cannot be read (truncated, hand-edited, another version) is kept aside,
 * the run counts as the first, and the digest says so: never a silent reset.
 */
const UNREADABLE = "state was unreadable; every finding is shown as new";

/** finishRun over `store`, the posted messages kept. */
function runner(store: FileStateStore | RedisStateStore) {
  const sent: DigestMessage[] = [];
  let minute = 0;
  const run = () =>
    finishRun(
      SWEEP_DEF,
      { startedAt: new Date(Date.UTC(2026, 0, 1, 0, minute++)).toISOString(), hosts: ONE_FINDING },
      {
        store,
        post: async (m) => {
          sent.push(m);
          return { ts: String(minute) };
        },
      },
    );
  return { run, sent };
}

describe("FileStateStore with a state it cannot read", () => {
  it.each([
    ["truncated JSON", '{"version":1,"runs":3,"findings":', /^not JSON: /],
    ["text over lines", "garbage: [\n\nmore\n", /^not JSON: [^\n]*garbage: \[ more/],
    ["an empty file", "", /^empty; the bad copy is kept as /],
    ["another version", '{"version":2,"runs":1}\n', /^not a sweep state of version 1: version: /],
  ])("%s: kept aside, the run is a first run, and the digest says so", async (_, bad, why) => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    const store = new FileStateStore(dir);
    const { run, sent } = runner(store);
    expect((await run())?.digest.new).toHaveLength(1);
    // Still present: nothing to post.
    expect((await run())?.digest.changed).toBe(false);
    const file = join(dir, "sweeps", "s.json");
    await writeFile(file, bad);

    const done = await run();
    const unreadable = done?.digest.stateUnreadable ?? "";
    expect(unreadable).toMatch(why);
    const copies = (await readdir(join(dir, "sweeps"))).filter((f) => f.includes(".corrupt-"));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^s\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    const copy = join(dir, "sweeps", copies[0]);
    expect(await readFile(copy, "utf8")).toBe(bad);
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
    expect(unreadable).toContain(`the bad copy is kept as ${copy}`);
    // The finding posted before the reset is posted new again, and the digest says why.
    expect(done?.digest.new.map((f) => f.key)).toEqual(["h/r/host"]);
    expect(sent).toHaveLength(2);
    expect(sent[1].text).toBe("Sweep s: 1 new, state was unreadable");
    expect(JSON.stringify(sent[1].blocks)).toContain(UNREADABLE);
    expect(renderChanges(done!.digest)).toContain(`${UNREADABLE} (this run counts as the first)`);
    // The state saved by that run reads back: the next run is an ordinary one.
    const after = await run();
    expect(after?.digest.stateUnreadable).toBeUndefined();
    expect(after?.digest.stillPresent).toBe(1);
  });

  it("a state file that cannot be opened is a configuration error, not a reset", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    const store = new FileStateStore(dir);
    const file = join(dir, "sweeps", "s.json");
    await mkdir(file, { recursive: true });
    await expect(store.load("s")).rejects.toMatchObject({
      code: "config",
      message: expect.stringContaining(`${file}: cannot read the sweep state`),
    });
  });
});

describe("RedisStateStore with a state it cannot read", () => {
  const prefix = uniquePrefix("state");
  const redis = new Redis(SHARED_REDIS_URL);
  afterAll(async () => {
    await removePrefix(prefix);
    redis.disconnect();
  });

  it("renames the key aside for 30 days, and the digest says so; a read-only load leaves it", async () => {
    const store = new RedisStateStore(redis, prefix);
    const key = sweepKeys(prefix, "s").state;
    await redis.set(key, "not json at all");
    // The Mute menu reads without moving anything.
    expect((await store.load("s", { readOnly: true })).unreadable).toBeUndefined();
    expect(await redis.get(key)).toBe("not json at all");

    const { run, sent } = runner(store);
    const done = await run();
    const aside = (await redis.keys(`${key}:corrupt-*`)) as string[];
    expect(aside).toHaveLength(1);
    expect(await redis.get(aside[0])).toBe("not json at all");
    const ttl = await redis.ttl(aside[0]);
    expect(ttl).toBeGreaterThan(CORRUPT_KEEP_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(CORRUPT_KEEP_SECONDS);
    expect(done?.digest.stateUnreadable).toMatch(
      new RegExp(`^not JSON: .*; the bad copy is kept as Redis key ${aside[0]} \\(for 30 days\\)$`),
    );
    expect(sent[0].text).toBe("Sweep s: 1 new, state was unreadable");
    // The run saved a good state in the key.
    expect(JSON.parse((await redis.get(key)) ?? "{}").runs).toBe(1);
  });
});
