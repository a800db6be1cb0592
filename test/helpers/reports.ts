import type { Category, Report } from "../../src/model/report.js";

/** A report with `findings` hypotheses, for rendering and queue tests. */
export function fakeReport(
  options: {
    host?: string;
    findings?: number;
    evidencePerFinding?: number;
    excerpt?: string;
    category?: Category;
  } = {},
): Report {
  const n = options.findings ?? 1;
  const hypotheses = Array.from({ length: n }, (_, i) => ({
    category: (i === 0 ? (options.category ?? "disk-saturation") : "other") as Category,
    title:
      i === 0
        ? "sda is saturated: I/O requests queue behind each other"
        : `finding number ${i + 1}`,
    rule: `rule-${i + 1}`,
    confidence: Math.max(0.1, 0.9 - i * 0.02),
    score: 1 - i * 0.01,
    evidence: Array.from({ length: options.evidencePerFinding ?? 2 }, (_, j) => ({
      collector: "iostat",
      fact: "disk.worst.util_pct",
      value: 99 - j,
      threshold: ">= 90",
      excerpt: options.excerpt ?? `sda: util ${99 - j} %, aqu-sz 4.2, await 38 ms`,
    })),
    remediation: ["Find the heaviest I/O processes: pidstat -d 1 5 or iotop -o"],
  }));
  return {
    version: 1,
    host: options.host ?? "test-host",
    symptom: "latency",
    startedAt: new Date().toISOString(),
    durationMs: 1234,
    window: { seconds: 1, mode: "window" },
    hypotheses,
    checked: Array.from({ length: 40 }, (_, i) => ({
      rule: `fine-rule-${i}`,
      category: "cpu-saturation" as Category,
      verdict: "fine" as const,
      why: "below threshold",
    })),
    collectors: [
      { id: "iostat", status: "ok", durationMs: 1000 },
      {
        id: "perf-stat",
        status: "missing",
        durationMs: 0,
        error: "perf is not installed (apt-get install linux-perf)",
      },
    ],
    ignored: [],
    notes: [],
    summary: "Most likely on test-host: sda is saturated.",
  };
}
