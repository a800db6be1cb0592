/**
 * A check of an ADF document against the rules of the Atlassian Document Format schema
 * (developer.atlassian.com/cloud/jira/platform/apis/document/structure, the JSON schema at
 * go.atlassian.com/adf-json-schema) for the nodes a comment may hold: returns the violations.
 */
interface N {
  type?: string;
  version?: unknown;
  content?: N[];
  attrs?: { level?: unknown; title?: unknown };
  text?: unknown;
  marks?: { type: string }[];
}

const COMMON = [
  "paragraph",
  "heading",
  "bulletList",
  "orderedList",
  "codeBlock",
  "blockquote",
  "rule",
  "panel",
  "table",
];
const IN_DOC = new Set([...COMMON, "expand"]);
const IN_EXPAND = new Set(COMMON);
const IN_LIST_ITEM = new Set(["paragraph", "bulletList", "orderedList", "codeBlock"]);
const INLINE = new Set(["text", "hardBreak", "mention", "emoji", "inlineCard"]);
const MARKS = new Set([
  "strong",
  "em",
  "code",
  "link",
  "strike",
  "underline",
  "subsup",
  "textColor",
]);

export function adfViolations(doc: N): string[] {
  const out: string[] = [];
  if (doc.type !== "doc" || doc.version !== 1) out.push("root must be { type: doc, version: 1 }");
  if (!Array.isArray(doc.content)) return [...out, "doc.content must be an array"];
  blocks(doc.content, "doc", IN_DOC, out);
  return out;
}

function blocks(nodes: N[], at: string, allowed: Set<string>, out: string[]): void {
  nodes.forEach((n, i) => {
    block(n, `${at}.content[${i}]`, allowed, out);
  });
}

function inlines(nodes: N[], at: string, out: string[]): void {
  nodes.forEach((n, i) => {
    inline(n, `${at}.content[${i}]`, out);
  });
}

function block(node: N, at: string, allowed: Set<string>, out: string[]): void {
  if (!node.type || !allowed.has(node.type)) {
    out.push(`${at}: ${node.type} not allowed here`);
    return;
  }
  const content = node.content ?? [];
  if (node.type === "paragraph") inlines(content, at, out);
  if (node.type === "heading") {
    const level = node.attrs?.level;
    if (typeof level !== "number" || !Number.isInteger(level) || level < 1 || level > 6)
      out.push(`${at}: heading level 1..6`);
    inlines(content, at, out);
  }
  if (node.type === "codeBlock") {
    if (content.some((c) => c.type !== "text" || (c.marks?.length ?? 0) > 0))
      out.push(`${at}: codeBlock holds unmarked text only`);
    inlines(content, at, out);
  }
  if (node.type === "bulletList" || node.type === "orderedList") {
    if (content.length === 0) out.push(`${at}: a list needs at least one listItem`);
    content.forEach((item, i) => {
      const first = item.content?.[0]?.type;
      if (item.type !== "listItem") out.push(`${at}.content[${i}]: lists hold listItem only`);
      else if (!first || !IN_LIST_ITEM.has(first))
        out.push(`${at}.content[${i}]: a listItem starts with a paragraph, list or codeBlock`);
      blocks(item.content ?? [], `${at}.content[${i}]`, IN_LIST_ITEM, out);
    });
  }
  if (node.type === "expand") {
    if (typeof node.attrs?.title !== "string") out.push(`${at}: expand needs attrs.title`);
    if (content.length === 0) out.push(`${at}: expand needs content`);
    blocks(content, at, IN_EXPAND, out);
  }
}

function inline(node: N, at: string, out: string[]): void {
  if (!node.type || !INLINE.has(node.type)) {
    out.push(`${at}: ${node.type} is not inline`);
    return;
  }
  if (node.type !== "text") return;
  if (typeof node.text !== "string" || node.text.length === 0)
    out.push(`${at}: text must be a non-empty string`);
  const marks = node.marks ?? [];
  for (const m of marks) if (!MARKS.has(m.type)) out.push(`${at}: unknown mark ${m.type}`);
  if (
    marks.some((m) => m.type === "code") &&
    marks.some((m) => m.type !== "code" && m.type !== "link")
  ) {
    out.push(`${at}: the code mark combines with link only`);
  }
}
