import { beforeAll, describe, expect, it, vi } from "vitest";
import { localHost } from "../../src/inventory/inventory.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { type Slot, sweepHost } from "../../src/sweeps/host.js";

/**
 * A sweep's place (its `--concurrency`) is held by a host's connection and collection only,
 * and a host's clock starts with its turn: this machine as a `local` host, through a slot that
 * records when it is held and that waits before giving the place.
 */
let runbooks: Runbook[];
beforeAll(async () => {
  runbooks = await loadRunbooks();
});

const run = () => ({
  symptom: "health" as const,
  windowSeconds: 1,
  runbooks,
  connectTimeoutMs: 10_000,
  hostTimeoutMs: 30_000,
});

describe("a sweep's places", () => {
  it("are given back before the outputs are judged", async () => {
    let freed = 0;
    const slot: Slot = async (work) => {
      const collected = await work();
      freed = Date.now();
      return collected;
    };
    const result = await sweepHost(localHost(), run(), slot);
    const judged = Date.now();
    expect(result.status, result.error).toBe("ok");
    expect(result.evaluatedRules?.length).toBeGreaterThan(40);
    expect(freed).toBeGreaterThan(0);
    expect(judged).toBeGreaterThanOrEqual(freed);
  });

  it("start a host's clock and deadline when its place comes, not while it waits", async () => {
    const waitMs = 3_500;
    const slot: Slot = async (work) => {
      await new Promise((r) => setTimeout(r, waitMs));
      return work();
    };
    // No key to log in with (no identityFile, no agent here): failed at once, before any
    // connection. Counted from the call, its 3 s limit would have passed while it waited, and
    // the reason would be the limit.
    const nowhere = { ...localHost(), name: "nowhere", address: "127.0.0.1", port: 1 };
    delete (nowhere as { transport?: string }).transport;
    const limits = { ...run(), hostTimeoutMs: 3_000 };
    vi.stubEnv("SSH_AUTH_SOCK", undefined);
    expect((await sweepHost(nowhere, limits)).status).toBe("failed"); // SSH code loaded
    const result = await sweepHost(nowhere, limits, slot);
    expect(result).toMatchObject({ status: "failed", errorCode: "config" });
    expect(result.error).not.toMatch(/per-host limit/);
    expect(result.durationMs).toBeLessThan(waitMs);
    vi.unstubAllEnvs();
  }, 20_000);
});
