import type { Report } from "../diagnosis/report.js";
import { type CitedLine, citedLines } from "../summary/cited.js";
import { summarise } from "../summary/text.js";

/**
 * What a ticket shows of a report, in the order every ticket format (Markdown, ADF, Jira wiki
 * markup) prints it: the deterministic summary, the top hypothesis with its confidence, the
 * lines it cites, what to run next, the runners-up, how many rules were checked and found fine,
 * and the collectors that failed. Pure: the caller redacts the report first.
 */
export interface TicketOutline {
  host: string;
  symptom: string;
  startedAt: string;
  summary: string;
  top?: {
    title: string;
    category: string;
    rule: string;
    /** Whole percent, 0..100. */
    confidence: number;
    evidence: CitedLine[];
    /** Commands to confirm it, then the remediation steps. */
    next: string[];
  };
  runnersUp: { title: string; category: string; confidence: number }[];
  fine: number;
  failed: { id: string; status: string; error?: string }[];
}

/** Runners-up shown; the rest are in the attached report. */
export const RUNNERS_UP = 4;

export function ticketOutline(report: Report): TicketOutline {
  const [top, ...rest] = report.hypotheses;
  const pct = (c: number) => Math.round(c * 100);
  return {
    host: report.host,
    symptom: report.symptom,
    startedAt: report.startedAt,
    summary: summarise(report),
    top: top && {
      title: top.title,
      category: top.category,
      rule: top.rule,
      confidence: pct(top.confidence),
      evidence: citedLines(top.evidence),
      next: [...(top.next ?? []), ...top.remediation],
    },
    runnersUp: rest.slice(0, RUNNERS_UP).map((h) => ({
      title: h.title,
      category: h.category,
      confidence: pct(h.confidence),
    })),
    fine: report.checked.filter((c) => c.verdict === "fine").length,
    failed: report.collectors
      .filter((c) => c.status !== "ok" && c.status !== "skipped")
      .map((c) => ({ id: c.id, status: c.status, error: c.error })),
  };
}

/** The hidden line a ticket comment carries so the same bundle is never attached twice. */
export function bundleMarker(sha256: string): string {
  return `diagbot-bundle: ${sha256}`;
}

/** One evidence line as plain text: `iostat: sda util 99 % (>= 90)`. */
export function evidenceText(line: CitedLine): string {
  return `${line.collector}: ${line.excerpt}${line.threshold ? `  (rule: ${line.threshold})` : ""}`;
}
