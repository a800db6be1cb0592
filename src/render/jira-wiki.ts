import { evidenceText, type TicketOutline } from "./outline.js";

/**
 * The report as Jira wiki markup, the comment body of Jira Data Center's REST v2
 * (Atlassian, "Text Formatting Notation Help"): `h3.` headings, `*strong*`, `{{monospace}}`,
 * `* ` bullets, `{noformat}` blocks for tool output (nothing inside is interpreted) and an
 * `{expand}`-free layout, since the expand macro is not part of stock Data Center. Host text
 * outside `{noformat}` is backslash-escaped. Pure: the caller redacts the report.
 */
export function renderJiraWiki(
  o: TicketOutline,
  options: { marker: string; bundleLine: string },
): string {
  const parts = [`*diagbot* on ${escapeWiki(o.host)} (${o.symptom}): ${escapeWiki(o.summary)}`];
  if (o.top) {
    parts.push(
      `h3. Most likely: ${escapeWiki(o.top.title)}`,
      `Category ${mono(o.top.category)}, rule ${mono(o.top.rule)}, confidence ${o.top.confidence} %.`,
    );
    if (o.top.evidence.length > 0) {
      parts.push("h4. Evidence", noformat(o.top.evidence.map(evidenceText).join("\n")));
    }
    if (o.top.next.length > 0) {
      parts.push("h4. Next steps", o.top.next.map((n) => `* ${mono(n)}`).join("\n"));
    }
  } else {
    parts.push("h3. No root cause found");
  }
  if (o.runnersUp.length > 0) {
    parts.push(
      "h4. Runners-up",
      o.runnersUp
        .map((h) => `* ${escapeWiki(h.title)} (${h.category}, ${h.confidence} %)`)
        .join("\n"),
    );
  }
  parts.push(`Checked and fine: ${o.fine} rules.`);
  if (o.failed.length > 0) {
    parts.push(
      "h4. Collectors that failed",
      o.failed
        .map((c) => `* ${mono(c.id)} (${c.status})${c.error ? `: ${escapeWiki(c.error)}` : ""}`)
        .join("\n"),
    );
  }
  parts.push(escapeWiki(options.bundleLine), `{{${options.marker}}}`);
  return `${parts.join("\n\n")}\n`;
}

/** Backslash before every character wiki markup gives a meaning; newlines become spaces. */
export function escapeWiki(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/[\\{}[\]*_|!^~+?#-]/g, "\\$&");
}

/** `{{monospace}}` of escaped text. */
function mono(text: string): string {
  return `{{${escapeWiki(text)}}}`;
}

/** A `{noformat}` block; the one sequence it cannot hold is its own closing tag. */
function noformat(text: string): string {
  return `{noformat}\n${text.replace(/\{noformat\}/gi, "{ noformat}")}\n{noformat}`;
}
