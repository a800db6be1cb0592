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
