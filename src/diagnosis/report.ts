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
  checked: Checked[];
  collectors: CollectorRecord[];
  /** Bundle files no collector of this version reads. */
  ignored: string[];
  notes: string[];
  summary: string;
}
