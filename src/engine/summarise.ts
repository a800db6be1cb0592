import type { Report } from "../model/report.js";

/**
 * The deterministic summary: one paragraph a person can paste into an incident channel.
 * It is built from the report alone; an LLM narrative, when configured, is added beside it and
 * never replaces it.
 */
export function summarise(report: Report): string {
  const ok = report.collectors.filter((c) => c.status === "ok").length;
  const ran = `${ok} of ${report.collectors.length} collectors gave output`;
  const [top, ...rest] = report.hypotheses;
  if (!top) {
    const fine = report.checked.filter((c) => c.verdict === "fine").length;
    return `No root cause found on ${report.host} (${report.symptom}): ${fine} rules checked and fine; ${ran}.`;
  }
  const pct = (c: number) => `${Math.round(c * 100)} %`;
  const also =
    rest.length === 0
      ? ""
      : ` Also: ${rest
          .slice(0, 2)
          .map((h) => `${h.title} (${h.category}, ${pct(h.confidence)})`)
          .join("; ")}.`;
  return `Most likely on ${report.host}: ${top.title} (${top.category}, confidence ${pct(top.confidence)}).${also} ${ran}.`;
}
