import type { Evidence } from "../model/report.js";

/** One line a hypothesis cites, with the rule thresholds of every fact read from it. */
export interface CitedLine {
  collector: string;
  excerpt: string;
  /** `>= 1` for one fact; `oom.kills >= 1; oom.victim exists` when several share the line. */
  threshold?: string;
  /** The ids of the evidence read from the line (`rule#n`), when the report carries them. */
  ids: string[];
}

/**
 * The evidence of a hypothesis as the lines to show, in the order it first cites them. Facts
 * read from the same line (the kill count and the victim of one OOM report) give that line
 * once, with their thresholds together.
 */
export function citedLines(evidence: readonly Evidence[]): CitedLine[] {
  const groups = new Map<string, Evidence[]>();
  for (const e of evidence) {
    const key = `${e.collector}\u0000${e.excerpt}`;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.values()].map((group) => {
    const [first] = group;
    const rules = group.filter((e) => e.threshold);
    const threshold =
      rules.length <= 1
        ? rules[0]?.threshold
        : rules.map((e) => `${e.fact} ${e.threshold}`).join("; ");
    const ids = group.flatMap((e) => (e.id ? [e.id] : []));
    return { collector: first.collector, excerpt: first.excerpt, threshold, ids };
  });
}
