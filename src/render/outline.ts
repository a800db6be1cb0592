import { formatAge } from "../engine/history.js";
import { summarise } from "../engine/summarise.js";
import type { Report } from "../model/report.js";
import { type CitedLine, citedLines } from "./cited.js";

/**
 * What a ticket shows of a report, in the order every ticket format (Markdown, ADF, Jira wiki
 * markup) prints it: the deterministic summary, the top hypothesis with its confidence, the
 * lines it cites, what to run next, the runners-up, recent history (events that ended before
 * the window, with their age), how many rules were checked and found fine,
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
  /** Events that ended before the window (report.history), newest first; `ago` as `9 min`. */
  history: { title: string; category: string; confidence: number; ago: string }[];
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
    history: (report.history ?? []).slice(0, RUNNERS_UP).map((h) => ({
      title: h.title,
      category: h.category,
      confidence: pct(h.confidence),
      ago: formatAge(h.ageSeconds),
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

/** How a line-based markup writes the outline's pieces (Markdown, Jira wiki markup). */
export interface TextMarkup {
  /** Heading of a level (2 for the hypothesis, 3 for its sections). */
  heading(level: 2 | 3, text: string): string;
  /** Host text made inert. */
  escape(text: string): string;
  /** Inline monospace of host or rule text. */
  code(text: string): string;
  /** A block of tool output, shown as is. */
  block(text: string): string;
  /** The bullet that starts a list line (`- `, `* `). */
  bullet: string;
}

/**
 * The outline from the top hypothesis down (evidence, next steps, runners-up, the fine count,
 * failed collectors) as paragraphs of one markup, for the renderer to join.
 */
export function outlineSections(o: TicketOutline, m: TextMarkup): string[] {
  const parts: string[] = [];
  const list = (lines: string[]) => lines.map((l) => `${m.bullet}${l}`).join("\n");
  if (o.top) {
    parts.push(
      m.heading(2, `Most likely: ${m.escape(o.top.title)}`),
      `Category ${m.code(o.top.category)}, rule ${m.code(o.top.rule)}, confidence ${o.top.confidence} %.`,
    );
    if (o.top.evidence.length > 0) {
      parts.push(m.heading(3, "Evidence"), m.block(o.top.evidence.map(evidenceText).join("\n")));
    }
    if (o.top.next.length > 0) parts.push(m.heading(3, "Next steps"), list(o.top.next.map(m.code)));
  } else {
    parts.push(m.heading(2, "No root cause found"));
  }
  if (o.runnersUp.length > 0) {
    parts.push(
      m.heading(3, "Runners-up"),
      list(o.runnersUp.map((h) => `${m.escape(h.title)} (${h.category}, ${h.confidence} %)`)),
    );
  }
  if (o.history.length > 0) {
    parts.push(
      m.heading(3, "Recent history (ended before the window)"),
      list(
        o.history.map(
          (h) => `${h.ago} ago: ${m.escape(h.title)} (${h.category}, ${h.confidence} %)`,
        ),
      ),
    );
  }
  parts.push(`Checked and fine: ${o.fine} rules.`);
  if (o.failed.length > 0) {
    parts.push(
      m.heading(3, "Collectors that failed"),
      list(
        o.failed.map(
          (c) => `${m.code(c.id)} (${c.status})${c.error ? `: ${m.escape(c.error)}` : ""}`,
        ),
      ),
    );
  }
  return parts;
}

/**
 * The outline rendered within a size limit, for ticket systems that refuse longer comments.
 * `render(outline, cut)` renders (told whether anything was cut, to say so) and `size` measures
 * what the limit counts. While over `maxChars`: texts are clipped to 2,000 characters, then the
 * lists are shortened from the end, in this order, keeping as many items as fit: failed
 * collectors, runners-up, evidence lines, next steps; last, texts are clipped to 200 characters.
 * The whole report stays in the attachments.
 */
export function fitOutline<T>(
  o: TicketOutline,
  render: (outline: TicketOutline, cut: boolean) => T,
  size: (rendered: T) => number,
  maxChars: number,
): T {
  const whole = render(o, false);
  if (size(whole) <= maxChars) return whole;
  let fit = clipTexts(o, 2000);
  const fits = (candidate: TicketOutline) => size(render(candidate, true)) <= maxChars;
  const lists: ((x: TicketOutline, n?: number) => TicketOutline)[] = [
    (x, n) => ({ ...x, failed: x.failed.slice(0, n) }),
    (x, n) => ({ ...x, runnersUp: x.runnersUp.slice(0, n) }),
    (x, n) => (x.top ? { ...x, top: { ...x.top, evidence: x.top.evidence.slice(0, n) } } : x),
    (x, n) => (x.top ? { ...x, top: { ...x.top, next: x.top.next.slice(0, n) } } : x),
  ];
  const lengths = [
    (x: TicketOutline) => x.failed.length,
    (x: TicketOutline) => x.runnersUp.length,
    (x: TicketOutline) => x.top?.evidence.length ?? 0,
    (x: TicketOutline) => x.top?.next.length ?? 0,
  ];
  for (let i = 0; i < lists.length && !fits(fit); i++) {
    // The most items of this list that fit, by bisection (0 when none does).
    let [lo, hi] = [0, lengths[i](fit)];
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(lists[i](fit, mid))) lo = mid;
      else hi = mid - 1;
    }
    fit = lists[i](fit, lo);
  }
  if (!fits(fit)) fit = clipTexts(fit, 200);
  return render(fit, true);
}

/** Every free text of the outline cut to `max` characters, `…` marking a cut. */
function clipTexts(o: TicketOutline, max: number): TicketOutline {
  const clip = (t: string) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);
  return {
    ...o,
    summary: clip(o.summary),
    top: o.top && {
      ...o.top,
      title: clip(o.top.title),
      evidence: o.top.evidence.map((l) => ({ ...l, excerpt: clip(l.excerpt) })),
      next: o.top.next.map(clip),
    },
    runnersUp: o.runnersUp.map((h) => ({ ...h, title: clip(h.title) })),
    failed: o.failed.map((c) => ({
      ...c,
      error: c.error === undefined ? undefined : clip(c.error),
    })),
  };
}
