import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/inventory.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { computeChanges, emptyState, type SweepState } from "../../src/sweeps/changes.js";
import { finishRun } from "../../src/sweeps/run.js";
import { FileStateStore } from "../../src/sweeps/state.js";
import { sweep } from "../../src/sweeps/sweep.js";
import type { HostResult } from "../../src/sweeps/types.js";
import { ONE_FINDING, SWEEP_DEF } from "../helpers/sweep-run.js";

/**
 * What changed between runs, over replay hosts whose bundles are swapped between runs
 * (test/fixtures/sweeps/), the state kept in files as `diagbot sweep` keeps it.
 */
const FIXTURES = fileURLToPath(new URL("../fixtures/sweeps/", import.meta.url));
const FULL_KEY = "db-01/filesystem-full/%2Fvar%2Flib%2Fpostgresql";
const LISTEN_KEY = "web-01/network-listen-overflow/0.0.0.0:8080";

let runbooks: Runbook[];
beforeAll(async () => {
  runbooks = await loadRunbooks();
});

/** A fleet of three replay hosts in a fresh folder; `use(host, bundle)` swaps a host's bundle. */
async function fleet() {
  const dir = await mkdtemp(join(tmpdir(), "diagbot-changes-"));
  const inventory = join(dir, "inventory.yaml");
  await writeFile(
    inventory,
    `hosts:
  db-01: { transport: replay, bundle: ./db-01, groups: [fleet] }
  web-01: { transport: replay, bundle: ./web-01, groups: [fleet] }
  cache-01: { transport: replay, bundle: ./cache-01, groups: [fleet] }
`,
  );
  const use = async (host: string, bundle: string | undefined) => {
    await rm(join(dir, host), { recursive: true, force: true });
    if (bundle) await cp(join(FIXTURES, bundle), join(dir, host), { recursive: true });
  };
  const store = new FileStateStore(join(dir, "state"));
  let run = 0;
  const next = async (confirmRuns: number) => {
    const hosts = [...(await loadInventory(inventory)).hosts.values()];
    const result = await sweep(hosts, { target: "fleet", runbooks, concurrency: 3 });
    const startedAt = new Date(Date.UTC(2026, 0, 1, 0, run++)).toISOString();
    const { state, digest } = computeChanges(await store.load("fleet"), result.hosts, {
      sweep: "fleet",
      startedAt,
      minConfidence: 0.5,
      confirmRuns,
      mutes: [],
      now: Date.now(),
    });
    await store.save("fleet", state);
    return digest;
  };
  return { use, next, store };
}

describe("changes over replay hosts", () => {
  it("first digest exact; no change posts nothing; a fix resolves after the flap guard; a silent host is not resolved", async () => {
    const f = await fleet();
    await f.use("db-01", "full-fs");
    await f.use("web-01", "listen-overflow");
    await f.use("cache-01", "healthy");

    const first = await f.next(1);
    expect(first).toEqual({
      sweep: "fleet",
      startedAt: "2026-01-01T00:00:00.000Z",
      hosts: 3,
      new: [
        {
          key: FULL_KEY,
          host: "db-01",
          rule: "filesystem-full",
          category: "filesystem-full",
          confidence: 0.8,
          title: "/var/lib/postgresql is 100 % full (0 bytes left for non-root users)",
          since: "2026-01-01T00:00:00.000Z",
        },
        {
          key: LISTEN_KEY,
          host: "web-01",
          rule: "network-listen-overflow",
          category: "network-listen-overflow",
          confidence: 0.75,
          title: expect.stringMatching(/\S/),
          since: "2026-01-01T00:00:00.000Z",
        },
      ],
      stillPresent: 0,
      resolved: [],
      unreachable: [],
      answeringAgain: [],
      held: 0,
      firstRun: true,
      muted: 0,
      changed: true,
    });

    const second = await f.next(2);
    expect(second.changed).toBe(false);
    expect(second.stillPresent).toBe(2);
    expect(second.new).toEqual([]);

    // db-01 is fixed: held back one run by the flap guard, resolved in the second.
    await f.use("db-01", "healthy");
    const fixed1 = await f.next(2);
    expect(fixed1).toMatchObject({ changed: false, resolved: [], held: 1, stillPresent: 1 });
    const fixed2 = await f.next(2);
    expect(fixed2.changed).toBe(true);
    expect(fixed2.resolved.map((r) => r.key)).toEqual([FULL_KEY]);
    expect(fixed2.stillPresent).toBe(1);

    // web-01 stops answering: never resolved, posted unreachable after the flap guard.
    await f.use("web-01", undefined);
    const down1 = await f.next(2);
    expect(down1).toMatchObject({ changed: false, resolved: [], unreachable: [], held: 1 });
    const down2 = await f.next(2);
    expect(down2.resolved).toEqual([]);
    expect(down2.unreachable).toEqual([
      {
        host: "web-01",
        error: expect.stringMatching(/bundle/),
        since: expect.any(String),
        new: true,
      },
    ]);
    expect(down2.stillPresent).toBe(1);
    const down3 = await f.next(2);
    expect(down3.changed).toBe(false);
    const state = await f.store.load("fleet");
    expect(Object.keys(state.findings)).toEqual([LISTEN_KEY]);
    expect(state.findings[LISTEN_KEY].posted).toBe(true);

    // It answers again with the same problem: no "new", just back.
    await f.use("web-01", "listen-overflow");
    const back = await f.next(2);
    expect(back).toMatchObject({
      changed: true,
      new: [],
      answeringAgain: ["web-01"],
      stillPresent: 1,
    });
  });
});

describe("computeChanges", () => {
  const host = (findings: HostResult["findings"], evaluatedRules = ["r"]): HostResult => ({
    host: "h",
    status: "ok",
    findings,
    durationMs: 1,
    evaluatedRules,
  });
  const finding = (confidence = 0.9) => ({
    key: "h/r/host",
    rule: "r",
    category: "other" as const,
    confidence,
    title: "t",
  });
  const opts = (now = 0, mutes: { key: string; until: number; by: string }[] = []) => ({
    sweep: "s",
    startedAt: new Date(now).toISOString(),
    minConfidence: 0.5,
    confirmRuns: 2,
    mutes,
    now,
  });
  const runs = (seq: HostResult[], o = opts()) => {
    let state: SweepState = emptyState();
    return seq.map((h) => {
      const out = computeChanges(state, [h], o);
      state = out.state;
      return out.digest;
    });
  };

  it("a flapping finding (seen, gone, seen) is never posted", () => {
    const d = runs([host([finding()]), host([]), host([finding()]), host([])]);
    expect(d.every((x) => !x.changed)).toBe(true);
  });

  it("a rule not evaluated proves nothing: the finding is neither resolved nor held", () => {
    const d = runs([
      host([finding()]),
      host([finding()]),
      host([], []),
      host([], []),
      host([], []),
    ]);
    expect(d[1].new.map((f) => f.key)).toEqual(["h/r/host"]);
    expect(d.slice(2).map((x) => [x.resolved.length, x.stillPresent])).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
  });

  it("below minConfidence counts as absent", () => {
    const d = runs([host([finding(0.4)]), host([finding(0.4)])]);
    expect(d[1]).toMatchObject({ changed: false, new: [], held: 0 });
  });

  it("a muted key is neither new nor resolved until its mute ends", () => {
    const mute = [{ key: "h/r/host", until: 1000, by: "U1" }];
    const d = runs([host([finding()]), host([finding()]), host([])], opts(10, mute));
    expect(d.map((x) => [x.changed, x.muted])).toEqual([
      [false, 1],
      [false, 1],
      [false, 0],
    ]);
    // After the mute, the same sequence posts it.
    const after = runs([host([finding()]), host([finding()])], opts(2000, mute));
    expect(after[1].new).toHaveLength(1);
  });
});

describe("finishRun", () => {
  it("a failed post saves nothing: the next run posts the same change; a run taken twice posts once", async () => {
    const store = new FileStateStore(await mkdtemp(join(tmpdir(), "diagbot-finish-")));
    const down = async () => {
      throw new Error("slack is down");
    };
    await expect(
      finishRun(
        SWEEP_DEF,
        { startedAt: "2026-01-01T00:00:00.000Z", hosts: ONE_FINDING },
        { store, post: down },
      ),
    ).rejects.toThrow(/slack is down/);
    expect((await store.load("s")).runs).toBe(0);
    const sent: string[] = [];
    const post = async (m: { text: string }) => {
      sent.push(m.text);
      return { ts: "1.2" };
    };
    const run = { startedAt: "2026-01-01T00:01:00.000Z", hosts: ONE_FINDING };
    const done = await finishRun(SWEEP_DEF, run, { store, post });
    expect(done?.posted).toEqual({ ts: "1.2" });
    expect(await finishRun(SWEEP_DEF, run, { store, post })).toBeUndefined();
    expect(sent).toEqual(["Sweep s: 1 new"]);
  });
});
