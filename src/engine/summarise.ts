import type { Report } from "../model/report.js";
import { gapSentence, relevantCategories } from "./coverage.js";
import { DECISIVE_HISTORY, formatAge } from "./history.js";

/**
 * The deterministic summary: one paragraph a person can paste into an incident channel.
 * It is built from the report alone; an LLM narrative, when configured, is added beside it and
 * never replaces it. It names what could not be read when that could hide a finding for the
 * symptom (report.coverage), and what would decide when the report abstains or two categories
 * tie at the top. When nothing current is found, the newest decisive history entry (a known
 * kernel bug, a hardware error) is named with its age and low confidence.
 */
export function summarise(report: Report): string {
  const ran = collectorsSentence(report);
  const gap = gapSentence(report);
  const [top, second, ...rest] = report.hypotheses;
  if (!top) {
    const fine = report.checked.filter((c) => c.verdict === "fine").length;
    const decide = decidingCommand(report);
    const past = decisiveHistory(report);
    const before = past ? ` In recent history: ${past}.` : "";
    if (gap)
      return `No root cause found on ${report.host} (${report.symptom}), but ${gap}.${decide ? ` To decide: ${decide}.` : ""}${before} ${fine} rules checked and fine; ${ran}.`;
    return `No root cause found on ${report.host} (${report.symptom}): ${fine} rules checked and fine.${before} ${ran[0].toUpperCase()}${ran.slice(1)}.`;
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

/**
 * `32 of 41 collectors gave output (7 had nothing to read on this host)`: a collector skipped
 * for want of what it reads (no EDAC controller, no NFS mount, a stand-in whose preferred
 * tool ran) is named apart from those that failed, which the coverage sentence weighs.
 */
function collectorsSentence(report: Report): string {
  const count = (status: string) => report.collectors.filter((c) => c.status === status).length;
  const skipped = count("skipped");
  const apart = skipped === 0 ? "" : ` (${skipped} had nothing to read on this host)`;
  return `${count("ok")} of ${report.collectors.length} collectors gave output${apart}`;
}

/** The command of the most relevant gap, for a report that abstains. */
function decidingCommand(report: Report): string | undefined {
  return report.coverage?.find((c) => relevantCategories(c, report.symptom).length > 0)
    ?.wouldDecide;
}

/**
 * The newest history entry of a decisive category (a known kernel bug, a hardware error) as
 * `title (category, 30 %, 3 h ago)`, for a report that found nothing current; undefined when
 * there is none.
 */
export function decisiveHistory(report: Report): string | undefined {
  const h = report.history?.find((p) => DECISIVE_HISTORY.includes(p.category));
  if (!h) return undefined;
  return `${h.title} (${h.category}, ${Math.round(h.confidence * 100)} %, ${formatAge(h.ageSeconds)} ago)`;
}
