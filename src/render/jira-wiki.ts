import { outlineSections, type TextMarkup, type TicketOutline } from "./outline.js";

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
  const parts = [
    `*diagbot* on ${escapeWiki(o.host)} (${o.symptom}): ${escapeWiki(o.summary)}`,
    ...outlineSections(o, WIKI),
  ];
  parts.push(escapeWiki(options.bundleLine), `{{${options.marker}}}`);
  return `${parts.join("\n\n")}\n`;
}

const WIKI: TextMarkup = {
  heading: (level, text) => `h${level + 1}. ${text}`,
  escape: (text) => escapeWiki(text),
  code: (text) => mono(text),
  block: (text) => noformat(text),
  bullet: "* ",
};

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
