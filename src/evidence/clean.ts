/**
 * Undoes what pasting does to terminal text before it is split into commands: CRLF line ends,
 * ANSI colour escapes, HTML markup of blog code blocks (`<span>`, `<pre><code>`) and its
 * entities (`&lt;`, `&#39;`), Slack and e-mail quote markers (`> `, `&gt; `), markdown emphasis
 * glued to a prompt (`_root@h:~# cmd`, `60_`, `**vm.x = 1`), and line numbers an editor or
 * `cat -n` put before each line.
 *
 * Code fences (```` ``` ````, `~~~`, and the broken two-backtick fence) are kept as lines of
 * their own, reported as `fence` so the splitter can end an output at a closing fence.
 */

/** One line after cleaning, with its 1-based number in the pasted text. */
export interface CleanLine {
  text: string;
  line: number;
  /** A code fence line (its language tag is dropped). */
  fence: boolean;
}

/** HTML tags of blog and chat code blocks; others (`<none>` of kubectl, `<3>` of dmesg -r) stay. */
const HTML_TAG =
  /<\/?(?:span|div|pre|code|p|br|strong|b|em|i|mark|a|kbd|samp|tt|table|tbody|thead|tr|td|th|ul|ol|li|h[1-6]|blockquote|font|small|sup|sub)(?:\s[^<>]*)?\/?>/gi;
/** Block tags end a line: `<p>Output:</p><pre><code>$ cmd` is two lines. */
const BLOCK_TAG = /<\/?(?:p|div|pre|li|tr|h[1-6]|blockquote|table)(?:\s[^<>]*)?>/gi;
const ENTITIES: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
  nbsp: " ",
  hellip: "…",
};
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the other C0 controls but tab
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;
const FENCE = /^\s*(?:`{2,}|~{3,})[\w+-]*\s*$/;

/** Decodes the HTML entities pasting leaves (named ones above, `&#NN;`, `&#xHH;`). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** True when the text carries HTML markup of a code block (then tags and entities are undone). */
function looksLikeHtml(text: string): boolean {
  return /<(?:span|pre|code|div|br)\b[^<>]*>/i.test(text);
}

/**
 * Cleans pasted text into lines. Bounded work: one pass per line, each regular expression
 * linear in the line.
 */
export function cleanPaste(text: string): CleanLine[] {
  let body = text.replace(/\r\n?/g, "\n");
  if (looksLikeHtml(body))
    body = body
      .replace(BLOCK_TAG, "\n")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(HTML_TAG, "");
  if (/&(?:lt|gt|amp|quot|#\d+);/.test(body)) body = decodeEntities(body);
  const raw = body.split("\n");
  const quoted = quoteShare(raw) >= 0.5;
  const lines: CleanLine[] = raw.map((l, i) => {
    let t = l.replace(ANSI, "").replace(CONTROL, "");
    if (quoted || /^>\s?[[$#]/.test(t)) t = t.replace(/^>(?: |$)/, "");
    t = unglueEmphasis(t);
    return { text: t, line: i + 1, fence: FENCE.test(t) };
  });
  stripLineNumbers(lines);
  return lines;
}

/** Share of non-blank lines quoted with `> ` (Slack, e-mail, markdown). */
function quoteShare(lines: string[]): number {
  let quoted = 0;
  let filled = 0;
  for (const l of lines) {
    if (l.trim() === "") continue;
    filled++;
    if (/^>(?: |$)/.test(l)) quoted++;
  }
  return filled === 0 ? 0 : quoted / filled;
}

/** `_root@h:~# cmd` → `root@h:~# cmd`; `60_` → `60`; `**vm.x = 1` → `vm.x = 1`. */
function unglueEmphasis(t: string): string {
  return t.replace(/^(?:\*\*|__|_|\*)(?=[\w[/$#])/, "").replace(/(?<=[\w\])])(?:\*\*|__|_)$/, "");
}

/**
 * Removes line numbers (`  1 [57539.9] Out of memory…`, `cat -n`) from runs of at least three
 * lines numbered one after another from 1.
 */
function stripLineNumbers(lines: CleanLine[]): void {
  const num = (t: string) => /^\s*(\d{1,6})(?:\s|\t)/.exec(t);
  let i = 0;
  while (i < lines.length) {
    const first = num(lines[i].text);
    if (first?.[1] !== "1") {
      i++;
      continue;
    }
    let j = i + 1;
    let expected = Number(first[1]) + 1;
    while (j < lines.length && Number(num(lines[j].text)?.[1]) === expected) {
      j++;
      expected++;
    }
    if (j - i >= 3) {
      for (let k = i; k < j; k++) lines[k].text = lines[k].text.replace(/^\s*\d{1,6}(?:\s|\t)/, "");
    }
    i = j;
  }
}
