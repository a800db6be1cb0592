import { gapSentence } from "../engine/coverage.js";
import { formatAge } from "../engine/history.js";
import { decisiveHistory } from "../engine/summarise.js";
import { type Progress, progressText } from "../model/progress.js";
import type { Hypothesis, Narrative, Report } from "../model/report.js";
import { escapeMrkdwn as esc } from "../redact/index.js";
import { citedLines } from "./cited.js";

export { escapeMrkdwn } from "../redact/index.js";

/**
 * Block Kit rendering of a report for Slack, within Slack's limits: at most 50 blocks a
 * message, 3000 characters a section, 150 a header, 75 a button label, 10 elements a context
 * block. What does not fit (more hypotheses, long evidence, every fine check) is in the
 * evidence file that *Show evidence* uploads, and the message says so. Every text that comes
 * from a host or a request (host names, symptoms, titles, evidence, errors, rule and category
 * names) is escaped ({@link esc}: `&`, `<`, `>`) in every field, the fallback `text` and the
 * plain-text header included, so that a process named `<!channel>` cannot ping anyone and
 * `<https://x|label>` never renders as a link. The text is expected redacted already.
 */

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  contextElements: 10,
  fallbackText: 3000,
  homeBlocks: 100,
} as const;

/** A Block Kit block (kept loose: Slack's own types are a dependency of the app only). */
export type Block = Record<string, unknown>;

export interface RenderedMessage {
  /** Notification / fallback text. */
  text: string;
  blocks: Block[];
  /** True when something was left out of the message (it is in the evidence file). */
  truncated: boolean;
}

/**
 * Action ids of the answer's buttons, whose `value` is the diagnosis id, and of a sweep
 * digest's: Diagnose (`value` `{"host","symptom"}`) and the Mute menus (`sweepMute` followed by
 * `_<n>`, one per finding key of a host line; option value `<sweep>|<key digest>|<duration>`).
 */
export const ACTIONS = {
  rerun: "diagbot_rerun",
  deep: "diagbot_deep",
  evidence: "diagbot_evidence",
  ticket: "diagbot_ticket",
  sweepDiagnose: "diagbot_sweep_diagnose",
  sweepMute: "diagbot_sweep_mute",
} as const;

/** Durations a sweep digest's Mute menu offers, by the code its option value carries. */
export const MUTE_DURATIONS: Readonly<Record<string, { label: string; ms: number }>> = {
  "1h": { label: "1 hour", ms: 3_600_000 },
  "1d": { label: "1 day", ms: 86_400_000 },
  "7d": { label: "7 days", ms: 7 * 86_400_000 },
  "30d": { label: "30 days", ms: 30 * 86_400_000 },
};

/** Cuts `text` to `max` characters, ending with `…` when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

const pct = (c: number) => `${Math.round(c * 100)} %`;

function section(text: string): Block {
  return { type: "section", text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) } };
}

function context(...texts: string[]): Block {
  return {
    type: "context",
    elements: texts
      .slice(0, LIMITS.contextElements)
      .map((t) => ({ type: "mrkdwn", text: clip(t, LIMITS.sectionText) })),
  };
}

/**
 * Lines joined under a budget: as many whole lines as fit in `max` characters, then
 * "+N more …" naming where the rest is.
 */
function linesWithin(
  lines: string[],
  max: number,
  more: (n: number) => string,
): { text: string; cut: boolean } {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = clip(lines[i], 600);
    const tail = more(lines.length - i);
    if (used + line.length + 1 + (i < lines.length - 1 ? tail.length + 1 : 0) > max) {
      out.push(tail);
      return { text: out.join("\n"), cut: true };
    }
    out.push(line);
    used += line.length + 1;
  }
  return { text: out.join("\n"), cut: false };
}

/**
 * `` `disk-saturation#1` `` before an evidence line a narrative may cite (at its start, so that
 * cutting a long line never cuts its ids), else nothing.
 */
function idsTag(ids: readonly string[]): string {
  return ids.length > 0 ? `${ids.map((id) => `\`${esc(id)}\``).join(" ")} ` : "";
}

function hypothesisText(
  h: Hypothesis,
  rank: "top" | "runner-up",
  evidenceLines: number,
  showIds: boolean,
): { text: string; cut: boolean } {
  const head =
    rank === "top"
      ? `:mag: *${esc(clip(h.title, 300))}*\n\`${esc(h.category)}\` · confidence *${pct(h.confidence)}* · rule \`${esc(h.rule)}\``
      : `*Also possible:* ${esc(clip(h.title, 300))} (\`${esc(h.category)}\`, ${pct(h.confidence)})`;
  const evidence = citedLines(h.evidence.slice(0, 1000)).map(
    (e) =>
      `• ${showIds ? idsTag(e.ids) : ""}${esc(e.excerpt.replace(/\s+/g, " ").trim())}${e.threshold ? ` _(${esc(e.threshold)})_` : ""}`,
  );
  const shown = evidence.slice(0, evidenceLines);
  const extra = evidence.length - shown.length;
  const budget = LIMITS.sectionText - head.length - 2;
  const body = linesWithin(
    extra > 0 ? [...shown, `_+${extra} more evidence lines in the evidence file_`] : shown,
    budget,
    (n) => `_+${n} more evidence lines in the evidence file_`,
  );
  return { text: `${head}\n${body.text}`, cut: body.cut || extra > 0 };
}

/**
 * `*Recent history*` (report.history): each event that ended before the window, with its age,
 * at most 5 (the rest are in the evidence file); undefined when there is none.
 */
function historyText(report: Report): { text: string; cut: boolean } | undefined {
  const history = report.history ?? [];
  if (history.length === 0) return undefined;
  const head = "*Recent history* (ended before the window, not the current cause)";
  const lines = history
    .slice(0, 5)
    .map(
      (h) =>
        `• ${formatAge(h.ageSeconds)} ago: ${esc(clip(h.title, 300))} (\`${esc(h.category)}\`, ${pct(h.confidence)})`,
    );
  const more = (n: number) => `_+${n} more in the evidence file_`;
  const body = linesWithin(
    history.length > 5 ? [...lines, more(history.length - 5)] : lines,
    LIMITS.sectionText - head.length - 2,
    more,
  );
  return { text: `${head}\n${body.text}`, cut: body.cut || history.length > 5 };
}

export interface AnswerOptions {
  diagnosisId: string;
  /** Secrets replaced in what is shown. */
  redactions: number;
  /** Whether the evidence bundle is available for *Show evidence*. */
  bundle: boolean;
  /** Pasted evidence, not a live host: no *Deep dive* (there is no host to trace). */
  pasted?: boolean;
  /** Who asked (Slack user ids), mentioned in the context line. */
  requestedBy?: string[];
}

/**
 * The LLM narrative's section: marked as a model's, the text quoted, each cite with the line it
 * names (the evidence lines below carry the same ids). The text is redacted already (the
 * narrative module redacts what the model wrote) and escaped here like any host text. A
 * follow-up's answer gives its own `narrative` and says what it was `checked` against.
 */
export function narrativeBlocks(
  report: Report,
  narrative: Narrative | undefined = report.narrative,
  checked = "checked against the evidence below",
): Block[] {
  const n = narrative;
  if (!n) return [];
  const lines = new Map(
    report.hypotheses.flatMap((h) => h.evidence.map((e) => [e.id, e] as const)),
  );
  const quoted = n.text
    .split("\n")
    .map((l) => `>${esc(l)}`)
    .join("\n");
  const cites = n.cites.map((id) => {
    const e = lines.get(id);
    return `\`${esc(id)}\`${e ? ` ${esc(e.collector)}: ${esc(clip(e.excerpt.replace(/\s+/g, " ").trim(), 120))}` : ""}`;
  });
  return [
    section(
      `:robot_face: *Written by a model* (\`${esc(n.model)}\`), ${checked}; the verdict is the rules'.\n${quoted}`,
    ),
    ...(cites.length > 0 ? [context(`Cites: ${cites.join(" · ")}`)] : []),
  ];
}

/** The thread answer: top hypothesis, up to two runners-up, fine checks, failed collectors, buttons. */
export function renderAnswer(report: Report, options: AnswerOptions): RenderedMessage {
  const blocks: Block[] = [];
  let truncated = false;
  const [top, ...rest] = report.hypotheses;
  const gap = gapSentence(report);
  const past = top ? undefined : decisiveHistory(report);
  blocks.push({
    type: "header",
    text: {
      type: "plain_text",
      text: clip(esc(`${report.host} · ${report.symptom}`), LIMITS.headerText),
      emoji: false,
    },
  });
  const showIds = report.narrative !== undefined;
  blocks.push(...narrativeBlocks(report));
  if (top) {
    const t = hypothesisText(top, "top", 8, showIds);
    truncated ||= t.cut;
    blocks.push(section(t.text));
    if (top.remediation.length > 0) {
      const r = linesWithin(
        top.remediation.map((x) => `→ ${esc(x)}`),
        LIMITS.sectionText - 20,
        (n) => `_+${n} more steps in the evidence file_`,
      );
      truncated ||= r.cut;
      blocks.push(section(`*Next steps*\n${r.text}`));
    }
    for (const h of rest.slice(0, 2)) {
      const t2 = hypothesisText(h, "runner-up", 2, showIds);
      truncated ||= t2.cut;
      blocks.push(section(t2.text));
    }
    if (rest.length > 2) {
      truncated = true;
      blocks.push(
        context(`+${rest.length - 2} more hypotheses in the evidence file (*Show evidence*)`),
      );
    }
  } else {
    blocks.push(
      section(
        (gap
          ? `:warning: *No root cause found* for ${esc(report.symptom)} on ${esc(report.host)}, but ${esc(gap)}.`
          : `:white_check_mark: *No root cause found* for ${esc(report.symptom)} on ${esc(report.host)}.`) +
          (past ? `\nIn recent history: ${esc(past)}.` : ""),
      ),
    );
  }
  if (top && gap) blocks.push(context(`:warning: Not checked: ${esc(gap)}.`));
  const history = historyText(report);
  if (history) {
    truncated ||= history.cut;
    blocks.push(section(history.text));
  }

  const fine = report.checked.filter((c) => c.verdict === "fine");
  const notEvaluated = report.checked.filter((c) => c.verdict === "not-evaluated");
  if (fine.length > 0 || notEvaluated.length > 0) {
    const names = fine.map((c) => c.rule);
    const shownNames = clip(names.join(", "), 1500);
    truncated ||= shownNames.length < names.join(", ").length;
    blocks.push(
      context(
        `:heavy_check_mark: ${fine.length} rule${fine.length === 1 ? "" : "s"} checked and fine${names.length ? `: ${esc(shownNames)}` : ""}${notEvaluated.length ? ` · ${notEvaluated.length} not evaluated (inputs missing)` : ""}`,
      ),
    );
  }

  const failed = report.collectors.filter((c) => c.status !== "ok" && c.status !== "skipped");
  if (failed.length > 0) {
    const lines = failed.map(
      (c) => `• \`${c.id}\` ${c.status}${c.error ? `: ${esc(c.error.replace(/\s+/g, " "))}` : ""}`,
    );
    const f = linesWithin(
      lines,
      LIMITS.sectionText - 40,
      (n) => `_+${n} more in the evidence file_`,
    );
    truncated ||= f.cut;
    blocks.push(section(`*Collectors that did not give output* (${failed.length})\n${f.text}`));
  }

  const ok = report.collectors.filter((c) => c.status === "ok").length;
  const meta = [
    `\`${options.diagnosisId}\``,
    `${ok}/${report.collectors.length} collectors`,
    report.window.mode === "window" ? `window ${report.window.seconds} s` : "since boot",
    `${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  if (options.requestedBy?.length)
    meta.push(
      `asked by ${options.requestedBy
        .slice(0, 5)
        .map((u) => `<@${u}>`)
        .join(" ")}`,
    );
  const notes: string[] = [meta.join(" · ")];
  if (options.redactions > 0) {
    notes.push(
      `:lock: ${options.redactions} secret${options.redactions === 1 ? "" : "s"} redacted (tokens, keys, passwords)`,
    );
  }
  if (truncated)
    notes.push(":page_facing_up: shortened to fit Slack: the full report is in the evidence file");
  blocks.push(context(...notes));
  blocks.push(actionsBlock(options.diagnosisId, options.bundle, options.pasted ?? false));

  const text = top
    ? `${esc(report.host)} (${esc(report.symptom)}): ${esc(clip(top.title, 200))} — ${esc(top.category)}, ${pct(top.confidence)}`
    : `${esc(report.host)} (${esc(report.symptom)}): no root cause found${gap ? `, but ${esc(gap)}` : ""}${past ? `; in recent history: ${esc(past)}` : ""}`;
  return { text: clip(text, LIMITS.fallbackText), blocks: capBlocks(blocks), truncated };
}

function button(
  text: string,
  actionId: string,
  value: string,
  style?: "primary" | "danger",
): Block {
  return {
    type: "button",
    text: { type: "plain_text", text: clip(text, LIMITS.buttonText) },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

/** The answer's buttons; a diagnosis of pasted evidence has no *Deep dive*. */
export function actionsBlock(diagnosisId: string, bundle: boolean, pasted = false): Block {
  const elements = [button("Re-run", ACTIONS.rerun, diagnosisId)];
  if (!pasted) elements.push(button("Deep dive", ACTIONS.deep, diagnosisId));
  if (bundle)
    elements.push(
      button("Show evidence", ACTIONS.evidence, diagnosisId),
      button("Attach to ticket", ACTIONS.ticket, diagnosisId),
    );
  return { type: "actions", block_id: `diagbot_actions_${diagnosisId}`, elements };
}

/** Keeps the first 49 blocks and the last (the buttons) when a message would be longer. */
export function capBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= LIMITS.blocks) return blocks;
  return [
    ...blocks.slice(0, LIMITS.blocks - 2),
    context("_more left out: see the evidence file_"),
    blocks[blocks.length - 1],
  ];
}

/** The root message while the diagnosis runs, and once it is done (mrkdwn, escaped). */
export function rootText(
  request: { host: string; symptom: string; deep?: boolean },
  state:
    | { phase: "queued" }
    | { phase: "running"; progress: Progress }
    | { phase: "done"; headline: string }
    | { phase: "failed"; error: string },
): string {
  const what = esc(`${request.host} (${request.symptom}${request.deep ? ", deep" : ""})`);
  switch (state.phase) {
    case "queued":
      return `:hourglass_flowing_sand: diagnosing ${what}…`;
    case "running":
      return `:hourglass_flowing_sand: diagnosing ${what}… ${esc(progressText(state.progress))}`;
    case "done":
      return `:mag: ${what}: ${esc(clip(state.headline, 300))} (answer in the thread)`;
    case "failed":
      return `:warning: diagnosing ${what} failed: ${esc(clip(state.error, 1000))}`;
  }
}

/** The message a failed diagnosis leaves in the thread. */
export function renderFailure(
  request: { host: string; symptom: string },
  error: string,
  diagnosisId: string,
): RenderedMessage {
  const text = `:warning: diagnosing ${esc(`${request.host} (${request.symptom})`)} failed: ${esc(clip(error, 2000))}`;
  return {
    text: clip(text, LIMITS.fallbackText),
    blocks: [section(text), context(`\`${diagnosisId}\``)],
    truncated: false,
  };
}

/** The App Home tab: recent diagnoses with their top hypothesis. */
export function renderHome(
  entries: {
    diagnosisId: string;
    host: string;
    symptom: string;
    finishedAt: number;
    category?: string;
    title?: string;
    confidence?: number;
    error?: string;
    requestedBy: string;
  }[],
  options: { canDeep: boolean },
): { type: "home"; blocks: Block[] } {
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: "diagbot: recent diagnoses" } },
    context(
      `Run \`/diagnose &lt;host&gt; [symptom]\` in a channel; \`/diagnose help\` lists the options.${options.canDeep ? "" : " Deep dives (intrusive collectors) are not allowed for you."}`,
    ),
    { type: "divider" },
  ];
  if (entries.length === 0) blocks.push(section("_No diagnosis yet._"));
  for (const e of entries.slice(0, 40)) {
    const when = `<!date^${Math.floor(e.finishedAt / 1000)}^{date_short_pretty} {time}|${new Date(e.finishedAt).toISOString()}>`;
    const what = e.error
      ? `:warning: failed: ${esc(clip(e.error, 300))}`
      : e.category
        ? `:mag: ${esc(clip(e.title ?? e.category, 300))} (\`${esc(e.category)}\`, ${pct(e.confidence ?? 0)})`
        : ":white_check_mark: no root cause found";
    blocks.push(
      section(`*${esc(e.host)}* · ${esc(e.symptom)} · ${when} · <@${e.requestedBy}>\n${what}`),
    );
  }
  return { type: "home", blocks: blocks.slice(0, LIMITS.homeBlocks) };
}

/**
 * The evidence file: the whole report as text (every hypothesis, evidence line, fine check and
 * collector), then each collector's output. Everything in it is already redacted.
 */
export function evidenceText(
  report: Report,
  outputs: Record<string, string>,
  diagnosisId: string,
): string {
  const lines: string[] = [];
  lines.push(
    `diagbot evidence ${diagnosisId}`,
    `host: ${report.host}`,
    `symptom: ${report.symptom}`,
    `started: ${report.startedAt}`,
    `window: ${report.window.seconds} s (${report.window.mode})`,
    "",
    report.summary,
    "",
  );
  report.hypotheses.forEach((h, i) => {
    lines.push(
      `## ${i + 1}. ${h.title} [${h.category}] confidence ${pct(h.confidence)} (rule ${h.rule})`,
    );
    for (const e of h.evidence)
      lines.push(
        `  - ${e.collector} ${e.fact} = ${JSON.stringify(e.value)}${e.threshold ? ` (${e.threshold})` : ""}: ${e.excerpt}`,
      );
    for (const r of h.remediation) lines.push(`  -> ${r}`);
    lines.push("");
  });
  if (report.history?.length) {
    lines.push("## recent history (ended before the window)");
    for (const h of report.history) {
      lines.push(
        `  ${formatAge(h.ageSeconds)} ago: ${h.title} [${h.category}] confidence ${pct(h.confidence)} (rule ${h.rule})`,
      );
      for (const e of h.evidence) lines.push(`    - ${e.collector} ${e.fact}: ${e.excerpt}`);
    }
    lines.push("");
  }
  lines.push("## checked");
  for (const c of report.checked)
    lines.push(`  ${c.verdict.padEnd(13)} ${c.rule} [${c.category}]: ${c.why}`);
  lines.push("", "## collectors");
  for (const c of report.collectors)
    lines.push(
      `  ${c.status.padEnd(8)} ${c.id}${c.exitCode !== undefined ? ` exit ${c.exitCode}` : ""} ${c.durationMs} ms${c.truncated ? " truncated" : ""}${c.error ? `: ${c.error}` : ""}`,
    );
  if (report.notes.length) lines.push("", "## notes", ...report.notes.map((n) => `  ${n}`));
  for (const [name, text] of Object.entries(outputs)) {
    lines.push("", `==> ${name} <==`, text.endsWith("\n") ? text.slice(0, -1) : text);
  }
  return `${lines.join("\n")}\n`;
}
