import type { Report } from "../model/report.js";

/** The id of a hypothesis's evidence: `<rule>#<n>`, n counted from 1 in the report's order. */
export function evidenceId(rule: string, index: number): string {
  return `${rule}#${index + 1}`;
}

/**
 * The report with every piece of evidence carrying its id (an id already set is kept). Pure:
 * the report given is not changed. Rule ids are unique within a report, so the ids are too.
 */
export function withEvidenceIds(report: Report): Report {
  return {
    ...report,
    hypotheses: report.hypotheses.map((h) => ({
      ...h,
      evidence: h.evidence.map((e, i) => ({ ...e, id: e.id ?? evidenceId(h.rule, i) })),
    })),
  };
}
