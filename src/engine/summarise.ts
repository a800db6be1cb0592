import type { Report } from "../model/report.js";
import { gapSentence, relevantCategories } from "./coverage.js";

/**
 * The deterministic summary: one paragraph a person can paste into an incident channel.
 * It is built from the report alone; an LLM narrative, when configured, is added beside it and
 * never replaces it. It names what could not be read when that could hide a finding for the
 * symptom (report.coverage), and what would decide when the report abstains or two categories
 * tie at the top.
 */
export function summarise(report: Report): string {
  const ok = report.collectors.filter((c) => c.status === "ok").length;
  const ran = `${ok} of ${report.collectors.length} collectors gave output`;
  const gap = gapSentence(report);
  const [top, second, ...rest] = report.hypotheses;
  if (!top) {
    const fine = report.checked.filter((c) => c.verdict === "fine").length;
    const decide = decidingCommand(report);
    if (gap)
      return `No root cause found on ${report.host} (${report.symptom}), but ${gap}.${decide ? ` To decide: ${decide}.` : ""} ${fine} rules checked and fine; ${ran}.`;
    return `No root cause found on ${report.host} (${report.symptom}): ${fine} rules checked and fine; ${ran}.`;
  }
  const pct = (c: number) => `${Math.round(c * 100)} %`;
  const others = [second, ...rest].filter((h) => h !== undefined);
  const also =
    others.length === 0
      ? ""
      : ` Also: ${others
          .slice(0, 2)
          .map((h) => `${h.title} (${h.category}, ${pct(h.confidence)})`)
          .join("; ")}.`;
  const tie =
    second && second.score === top.score && second.category !== top.category
      ? ` ${top.category} and ${second.category} tie; to decide: ${[top, second]
          .map((h) => h.next?.[0] ?? `see the evidence of ${h.rule}`)
          .join("; ")}.`
      : "";
  const notChecked = gap ? ` Not checked: ${gap}.` : "";
  return `Most likely on ${report.host}: ${top.title} (${top.category}, confidence ${pct(top.confidence)}).${tie}${also}${notChecked} ${ran}.`;
}

/** The command of the most relevant gap, for a report that abstains. */
function decidingCommand(report: Report): string | undefined {
  return report.coverage?.find((c) => relevantCategories(c, report.symptom).length > 0)
    ?.wouldDecide;
}
