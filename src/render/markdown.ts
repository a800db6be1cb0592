import { outlineSections, type TextMarkup, type TicketOutline } from "./outline.js";

/**
 * The report as GitHub-flavoured Markdown (CommonMark + GFM): the `report.md` attached to Jira
 * tickets, the evidence section of a GitHub comment, and the webhook payload's `markdown`. Host
 * text (titles, excerpts, errors) is escaped or fenced so it never turns into markup or HTML.
 */
export function renderMarkdown(o: TicketOutline): string {
  const parts = [
    `# diagbot: ${escapeMarkdown(o.host)} (${o.symptom})`,
    `Collected ${o.startedAt}.`,
    escapeMarkdown(o.summary),
    ...outlineSections(o, MARKDOWN),
  ];
  return `${parts.join("\n\n")}\n`;
}

const MARKDOWN: TextMarkup = {
  heading: (level, text) => `${"#".repeat(level)} ${text}`,
  escape: (text) => escapeMarkdown(text),
  code: (text) => inlineCode(text),
  block: (text) => fence(text),
  bullet: "- ",
};

/**
 * A Markdown comment within `maxChars`: the summary, the full Markdown report in a collapsed
 * `<details>` section (cut, with a note, when the whole would not fit), the bundle line and a
 * hidden `<!-- marker -->`. GitHub refuses comment bodies over 65,536 characters
 * (docs.github.com, "Create an issue comment": `body` maximum length).
 */
export function markdownComment(
  o: TicketOutline,
  options: { marker: string; bundleLine: string; maxChars: number },
): string {
  const head = `**diagbot** on ${escapeMarkdown(o.host)} (${o.symptom}): ${escapeMarkdown(o.summary)}\n\n`;
  const tail = `\n</details>\n\n${options.bundleLine}\n\n<!-- ${options.marker} -->\n`;
  const open = "<details><summary>Evidence</summary>\n\n";
  let body = renderMarkdown(o);
  const room = options.maxChars - head.length - open.length - tail.length;
  if (body.length > room) {
    const note = "\n\n_(cut here to fit the comment; the whole report is in the bundle)_\n";
    body = closeFence(body.slice(0, Math.max(0, room - note.length - 8))) + note;
  }
  return head + open + body + tail;
}

/** Backslash-escapes the characters CommonMark and GFM give a meaning, and `<` for HTML. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, "\\$&");
}

/** Inline code that survives backticks in the text (CommonMark 6.1: a longer backtick run). */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks} ${text.replace(/\n/g, " ")} ${ticks}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

/** Closes a code fence left open by a cut. */
function closeFence(text: string): string {
  const fences = text.match(/^`{3,}/gm) ?? [];
  return fences.length % 2 === 1 ? `${text}\n${fences[fences.length - 1]}` : text;
}
