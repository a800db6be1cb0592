import { evidenceText, type TicketOutline } from "./outline.js";

/**
 * The report as an Atlassian Document Format document, the body Jira Cloud's REST v3 takes for
 * a comment (developer.atlassian.com, "Atlassian Document Format"; the JSON schema is
 * `http://go.atlassian.com/adf-json-schema`). Only these nodes are used: `doc` (version 1),
 * `heading` (level 1..6), `paragraph`, `text` (never empty; marks `strong` and `code`),
 * `bulletList` > `listItem` > `paragraph`, `codeBlock` (plain text children, no marks) and
 * `expand` (a collapsed section with a `title`). Pure: the caller redacts the report.
 */
export interface AdfText {
  type: "text";
  text: string;
  marks?: { type: "strong" | "code" }[];
}
export type AdfNode =
  | AdfText
  | { type: "paragraph"; content: AdfText[] }
  | { type: "heading"; attrs: { level: number }; content: AdfText[] }
  | { type: "codeBlock"; attrs: { language: string }; content: AdfText[] }
  | { type: "bulletList"; content: AdfListItem[] }
  | { type: "expand"; attrs: { title: string }; content: AdfNode[] };
export interface AdfListItem {
  type: "listItem";
  content: { type: "paragraph"; content: AdfText[] }[];
}
export interface AdfDoc {
  version: 1;
  type: "doc";
  content: AdfNode[];
}

/** A comment: the summary and top hypothesis in view, the evidence in an `expand`, the marker last. */
export function renderAdf(
  o: TicketOutline,
  options: { marker: string; bundleLine: string },
): AdfDoc {
  const content: AdfNode[] = [
    paragraph(text("diagbot", "strong"), text(` on ${o.host} (${o.symptom}): ${o.summary}`)),
  ];
  const details: AdfNode[] = [];
  if (o.top) {
    content.push(
      heading(3, `Most likely: ${o.top.title}`),
      paragraph(
        text("Category "),
        text(o.top.category, "code"),
        text(", rule "),
        text(o.top.rule, "code"),
        text(`, confidence ${o.top.confidence} %.`),
      ),
    );
    if (o.top.evidence.length > 0) {
      details.push(heading(4, "Evidence"), codeBlock(o.top.evidence.map(evidenceText).join("\n")));
    }
    if (o.top.next.length > 0) {
      details.push(heading(4, "Next steps"), bulletList(o.top.next.map((n) => [text(n, "code")])));
    }
  } else {
    content.push(heading(3, "No root cause found"));
  }
  if (o.runnersUp.length > 0) {
    details.push(
      heading(4, "Runners-up"),
      bulletList(o.runnersUp.map((h) => [text(`${h.title} (${h.category}, ${h.confidence} %)`)])),
    );
  }
  if (o.history.length > 0) {
    details.push(
      heading(4, "Recent history (ended before the window)"),
      bulletList(
        o.history.map((h) => [text(`${h.ago} ago: ${h.title} (${h.category}, ${h.confidence} %)`)]),
      ),
    );
  }
  details.push(paragraph(text(`Checked and fine: ${o.fine} rules.`)));
  if (o.failed.length > 0) {
    details.push(
      heading(4, "Collectors that failed"),
      bulletList(
        o.failed.map((c) => [
          text(c.id, "code"),
          text(` (${c.status})${c.error ? `: ${c.error}` : ""}`),
        ]),
      ),
    );
  }
  content.push(
    { type: "expand", attrs: { title: "Evidence" }, content: details },
    paragraph(text(options.bundleLine)),
    paragraph(text(options.marker, "code")),
  );
  return { version: 1, type: "doc", content };
}

/** Every text of an ADF value, joined by newlines: to find a marker in a stored comment. */
export function adfPlainText(node: unknown): string {
  if (Array.isArray(node)) return node.map(adfPlainText).join("\n");
  if (node === null || typeof node !== "object") return "";
  const n = node as { text?: unknown; content?: unknown };
  return typeof n.text === "string" ? n.text : adfPlainText(n.content);
}

/** A text node; ADF refuses an empty one, so empty text becomes a single space. */
function text(value: string, mark?: "strong" | "code"): AdfText {
  const t = value === "" ? " " : value;
  return mark ? { type: "text", text: t, marks: [{ type: mark }] } : { type: "text", text: t };
}

function paragraph(...content: AdfText[]): { type: "paragraph"; content: AdfText[] } {
  return { type: "paragraph", content };
}

function heading(level: number, value: string): AdfNode {
  return { type: "heading", attrs: { level }, content: [text(value)] };
}

function codeBlock(value: string): AdfNode {
  return { type: "codeBlock", attrs: { language: "text" }, content: [text(value)] };
}

function bulletList(items: AdfText[][]): AdfNode {
  return {
    type: "bulletList",
    content: items.map((inline) => ({ type: "listItem", content: [paragraph(...inline)] })),
  };
}
