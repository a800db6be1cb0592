import type { HostResult } from "../../src/sweeps/types.js";

/** A scheduled sweep over every host, posting each finding after one run (`confirmRuns: 1`). */
export const SWEEP_DEF = {
  name: "s",
  hosts: "all",
  schedule: { everyMs: 1000 },
  symptom: "health" as const,
  channel: "C0S",
  minConfidence: 0.5,
  concurrency: 1,
  confirmRuns: 1,
  heartbeat: false,
};

/** One host with one finding (key `h/r/host`, confidence 0.9): a run with something to post. */
export const ONE_FINDING: HostResult[] = [
  {
    host: "h",
    status: "ok",
    findings: [{ key: "h/r/host", rule: "r", category: "other", confidence: 0.9, title: "t" }],
    durationMs: 1,
    evaluatedRules: ["r"],
  },
];

/** Finding keys of {@link webHost}: a saturated disk and low memory on `web-1`. */
export const DISK = "web-1/disk-saturated/sda";
export const MEMORY = "web-1/memory-low/-";

/**
 * `web-1` answering with findings of the given keys and confidences (the disk finding's title
 * carries a password, which every ticket must redact).
 */
export function webHost(findings: { key: string; confidence: number }[]): HostResult {
  return {
    host: "web-1",
    status: "ok",
    durationMs: 5,
    evaluatedRules: ["disk-saturated", "memory-low"],
    findings: findings.map((f) => ({
      key: f.key,
      rule: f.key.split("/")[1],
      category: f.key.includes("disk") ? "disk-saturation" : "memory-swap-thrash",
      confidence: f.confidence,
      title: f.key.includes("disk") ? "sda is saturated (password=hunter2)" : "memory is low",
    })),
  };
}
