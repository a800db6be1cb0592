import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics (prom-client), one registry per process. `diagbot serve` exposes them on
 * its HTTP port at `/metrics` (HTTP mode) and `diagbot worker --metrics-port N` on its own.
 */
export interface Metrics {
  registry: Registry;
  /** Slash commands and button presses, by outcome (`queued`, `rejected`, `denied`, `error`). */
  requests: Counter<"kind" | "outcome">;
  /** Jobs finished by a worker, by outcome (`ok`, `retry`, `failed`). */
  jobs: Counter<"outcome">;
  /** Seconds from a job's creation to its answer being posted. */
  answerSeconds: Histogram<"symptom">;
  /** Seconds from a request's arrival to its acknowledgement. */
  ackSeconds: Histogram;
  /** Answers posted (`posted`) or skipped because another process already posted (`duplicate`). */
  answers: Counter<"outcome">;
  /** Tokens the LLM narrative and follow-ups used, by kind (`prompt`, `completion`). */
  llmTokens: Counter<"kind">;
  /** LLM answers by outcome (`shown`, `discarded`: failed the checks, `failed`: no answer). */
  llmAnswers: Counter<"outcome">;
}

export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: "diagbot_" });
  return {
    registry,
    requests: new Counter({
      name: "diagbot_requests_total",
      help: "Slack requests by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    jobs: new Counter({
      name: "diagbot_jobs_total",
      help: "Diagnosis jobs finished by this worker, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: "diagbot_answer_seconds",
      help: "Seconds from the job's creation to the answer being posted",
      labelNames: ["symptom"],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: "diagbot_ack_seconds",
      help: "Seconds from a slash command's arrival to its acknowledgement",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    answers: new Counter({
      name: "diagbot_answers_total",
      help: "Answers posted, or skipped as already posted by another process",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: "diagbot_llm_tokens_total",
      help: "Tokens used by the LLM narrative and follow-ups, by kind (prompt, completion)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    llmAnswers: new Counter({
      name: "diagbot_llm_answers_total",
      help: "LLM answers shown, discarded by the evidence checks, or failed (timeout, HTTP error)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
}
