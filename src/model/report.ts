/**
 * The report: what a diagnosis found, in the shape `diagbot diagnose --json` prints
 * (DESIGN.md "Report"). Every renderer (terminal, JSON, Slack, tickets) reads this type.
 */

/** Root-cause category ids (DESIGN.md "Root-cause categories"); stable. */
export const CATEGORIES = [
  "cpu-saturation",
  "cpu-throttling-cgroup",
  "run-queue-latency",
  "steal-time",
  "memory-oom",
  "memory-swap-thrash",
  "memory-leak",
  "disk-saturation",
  "disk-errors-hardware",
  "filesystem-full",
  "inode-exhaustion",
  "fd-exhaustion",
  "pids-exhaustion",
  "dirty-writeback-stall",
  "network-listen-overflow",
  "network-syn-flood",
  "conntrack-full",
  "network-retransmits-loss",
  "nic-drops-softirq",
  "ephemeral-port-exhaustion",
  "tcp-memory-pressure",
  "lock-contention",
  "syscall-heavy",
  "hung-task",
  "kernel-bug",
  "hardware-mce",
  "clock-skew",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Symptoms a request may name; each selects a plan of collectors and a ranking. */
export const SYMPTOMS = [
  "latency",
  "errors",
  "cpu",
  "memory",
  "disk",
  "network",
  "hang",
  "health",
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

/** One fact that supports a hypothesis. */
export interface Evidence {
  /** Stable within a report: `<rule>#<n>` (1-based), cited by a narrative. */
  id?: string;
  /** Collector id the fact comes from (e.g. `iostat`). */
  collector: string;
  /** Fact path (e.g. `disk.worst.util_pct`). */
  fact: string;
  value: unknown;
  /** The rule's threshold, e.g. `>= 90`. */
  threshold?: string;
  /** A line of the tool's output, or the rule's evidence sentence filled from facts. */
  excerpt: string;
}

export interface Hypothesis {
  category: Category;
  title: string;
  /** Rule id that produced it. */
  rule: string;
  /** `host/rule/subject`: stable across runs while the rule holds for the same subject. */
  key?: string;
  /** 0..1: how sure the rule is, after corroboration and contradiction. */
  confidence: number;
  /** Ranking key: confidence weighted by the symptom and precedence; higher first. */
  score: number;
  evidence: Evidence[];
  remediation: string[];
  /** Commands to run next to confirm or refute it. */
  next?: string[];
  /** Where the rule's thresholds come from (man page, kernel documentation). */
  source?: string;
  /** Rule id of a fired cause that explains this hypothesis (it ranks below that cause). */
  explainedBy?: string;
}

export interface Checked {
  rule: string;
  category: Category;
  verdict: "fine" | "not-evaluated";
  why: string;
}

/** An event that ended before the window: a hypothesis with how long ago it ended. */
export interface PastEvent extends Hypothesis {
  ageSeconds: number;
}

/** A collector that could not be read, and the rules and categories its output would decide. */
export interface Coverage {
  collector: string;
  reason: string;
  rules: string[];
  categories: Category[];
  /** The command that would decide them. */
  wouldDecide?: string;
}

export type CollectorStatus = "ok" | "failed" | "missing" | "timeout" | "skipped";

export interface CollectorRecord {
  id: string;
  status: CollectorStatus;
  exitCode?: number;
  /** Wall-clock ms the command took (0 for a replay). */
  durationMs: number;
  truncated?: boolean;
  problems?: { line: number; text: string; reason: string }[];
  /** What went wrong and what to do, for failed/missing/timeout/skipped. */
  error?: string;
  /** For evidence given with --from: what the input was read as. */
  recognisedAs?: string;
  /** Only part of the output was given (a filtered paste), so absence proves nothing. */
  partial?: boolean;
}

export interface Report {
  version: 1;
  host: string;
  symptom: Symptom;
  /** ISO 8601: when the outputs were collected (for a replay, the time its bundle.json gives). */
  startedAt: string;
  durationMs: number;
  window: { seconds: number; mode: "window" | "since-boot" };
  hypotheses: Hypothesis[];
  /**
   * Findings of events that ended before the window and do not concern the symptom, and of
   * kernel log events older than the look-back (at low confidence); newest first.
   */
  history?: PastEvent[];
  checked: Checked[];
  /** What could not be read and what it hides (not filled by the engine yet). */
  coverage?: Coverage[];
  collectors: CollectorRecord[];
  /** Bundle files no collector of this version reads. */
  ignored: string[];
  notes: string[];
  summary: string;
  /** The optional LLM narrative, checked against the evidence; it never changes the above. */
  narrative?: Narrative;
  /** What asking the LLM cost, whether or not its answer was kept. */
  llm?: LlmUsage;
}

/** A model's text, shown beside the rules' verdict; `cites` are evidence ids. */
export interface Narrative {
  text: string;
  model: string;
  cites: string[];
}

/** Requests made to the LLM and the tokens they used (from each response's `usage`). */
export interface LlmUsage {
  model: string;
  requests: number;
  tokens: { prompt: number; completion: number; total: number };
}
