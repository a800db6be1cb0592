import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LocalTransport } from "../../src/transport/local.js";

const run = promisify(execFile);

/** A `sleep` argument no other process has: `sleep 600.<random>` is found by `pgrep -f`. */
function marker(): string {
  return `600.${randomInt(1e8, 1e9)}`;
}

/** PIDs of processes whose command line contains `pattern` (pgrep -f). */
async function pgrep(pattern: string): Promise<number[]> {
  try {
    const { stdout } = await run("pgrep", ["-f", pattern]);
    return stdout.split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Waits up to `ms` for no process to match. */
async function gone(pattern: string, ms = 2000): Promise<number[]> {
  const end = Date.now() + ms;
  for (;;) {
    const pids = await pgrep(pattern);
    if (pids.length === 0 || Date.now() > end) return pids;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const opts = { timeoutMs: 10_000, capBytes: 1 << 20 };

describe("LocalTransport", () => {
  it("runs a command line under /bin/sh and returns both streams and the exit code", async () => {
    const t = new LocalTransport();
    const r = await t.exec("echo out; echo err >&2; exit 3", opts);
    expect(r.stdout.toString()).toBe("out\n");
    expect(r.stderr.toString()).toBe("err\n");
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.truncated).toBe(false);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(t.host).toBe("local");
    expect(t.maxSessions).toBe(8);
    expect(t.root).toBe(process.getuid?.() === 0);
    await t.close();
  });

  it("kills the whole process group on timeout and leaves no process behind", async () => {
    const t = new LocalTransport();
    const m = marker();
    const started = performance.now();
    const pending = t.exec(`sleep ${m} & sleep ${m} & sh -c 'sleep ${m}'; wait`, {
      ...opts,
      timeoutMs: 500,
    });
    await new Promise((r) => setTimeout(r, 250));
    // The outer shell, the inner one and the three sleeps all carry the marker.
    expect((await pgrep(`sleep ${m}`)).length).toBeGreaterThanOrEqual(3);
    const r = await pending;
    const elapsed = performance.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(elapsed).toBeLessThan(2000);
    expect(await gone(`sleep ${m}`)).toEqual([]);
  });

  it("also kills what timeout(1) moved into a process group of its own", async () => {
    const t = new LocalTransport();
    const m = marker();
    const r = await t.exec(`timeout -s INT -k 2 30 sh -c 'sleep ${m}'`, {
      ...opts,
      timeoutMs: 500,
    });
    expect(r.timedOut).toBe(true);
    expect(await gone(`sleep ${m}`)).toEqual([]);
    await t.close();
  });

  it("ends what a command left running in the background when the shell exits", async () => {
    const t = new LocalTransport();
    const m = marker();
    const started = performance.now();
    const r = await t.exec(`sleep ${m} & echo started`, opts);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.stdout.toString()).toBe("started\n");
    expect(r.exitCode).toBe(0);
    expect(await gone(`sleep ${m}`)).toEqual([]);
  });

  it("caps each stream, keeps reading past the cap, and marks the result truncated", async () => {
    const t = new LocalTransport();
    const r = await t.exec("head -c 5000000 /dev/zero; head -c 300 /dev/zero >&2; echo done >&2", {
      ...opts,
      capBytes: 1000,
    });
    expect(r.stdout.length).toBe(1000);
    expect(r.stderr.length).toBe(305);
    expect(r.truncated).toBe(true);
    expect(r.exitCode).toBe(0); // the writer was never blocked by a full pipe
    const exact = await t.exec("printf 1234567890", { ...opts, capBytes: 10 });
    expect(exact.stdout.toString()).toBe("1234567890");
    expect(exact.truncated).toBe(false);
  });

  it("honours an AbortSignal: rejects and kills the group", async () => {
    const t = new LocalTransport();
    const m = marker();
    const controller = new AbortController();
    const pending = t.exec(`sleep ${m}`, { ...opts, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(await gone(`sleep ${m}`)).toEqual([]);
    await expect(t.exec("true", { ...opts, signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("runs at most maxSessions commands at once", async () => {
    const t = new LocalTransport({ name: "build-box", maxSessions: 2 });
    expect(t.maxSessions).toBe(2);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 4 }, () => t.exec("sleep 0.3", opts)));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(580);
    expect(elapsed).toBeLessThan(3000);
  });

  it("close() kills running commands, and later exec calls fail", async () => {
    const t = new LocalTransport();
    const m = marker();
    const pending = t.exec(`sleep ${m}`, opts);
    await new Promise((r) => setTimeout(r, 200));
    await t.close();
    const r = await pending;
    expect(r.exitCode).toBeNull();
    expect(await gone(`sleep ${m}`)).toEqual([]);
    await expect(t.exec("true", opts)).rejects.toThrow(/closed/);
  });

  it("rejects out-of-range options", async () => {
    const t = new LocalTransport();
    expect(() => t.exec("true", { timeoutMs: 0, capBytes: 10 })).toThrow(RangeError);
    expect(() => t.exec("true", { timeoutMs: 10, capBytes: -1 })).toThrow(RangeError);
  });
});
