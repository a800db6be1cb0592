import { gapSentence } from "../engine/coverage.js";
import { formatAge } from "../engine/history.js";
import { decisiveHistory } from "../engine/summarise.js";
import type { Report } from "../model/report.js";
import { problemCount } from "../parsers/lines.js";
import { citedLines } from "./cited.js";
import { printableDeep } from "./printable.js";

/**
 * The terminal report: the top hypotheses with their evidence, what to do, recent history
 * (events that ended before the window), what was checked and found fine, and each
 * collector's status. Plain text; colour only when `color` is set.
 */
export function renderTerminal(
  shown: Report,
  options: { color: boolean; verbose?: boolean },
): string {
  const report = printableDeep(shown);
  const c = palette(options.color);
  const out: string[] = [];
  const when = report.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z");
  const window =
    report.window.mode === "window"
      ? `${report.window.seconds} s window`
      : "single snapshots (counters since boot)";
  out.push(c.bold(`diagbot: ${report.host}, ${report.symptom}`) + c.dim(`  ${when}, ${window}`));
  out.push("");
  const gap = gapSentence(report);
  if (report.hypotheses.length === 0) {
    out.push(gap ? c.yellow(`No root cause found, but ${gap}.`) : c.green("No root cause found."));
    const decide = report.coverage?.find((k) => k.wouldDecide)?.wouldDecide;
    if (gap && decide) out.push(`  ${c.dim("to decide")} ${decide}`);
    const past = decisiveHistory(report);
    if (past) out.push(c.yellow(`In recent history: ${past}.`));
  } else if (gap) {
    out.push(c.yellow(`Not checked: ${gap}.`));
  }
  report.hypotheses.slice(0, options.verbose ? undefined : 5).forEach((h, i) => {
    const pct = `${Math.round(h.confidence * 100)} %`;
    const head = `${i + 1}. ${h.title}`;
    out.push(
      `${i === 0 ? c.red(c.bold(head)) : c.yellow(head)}  ${c.dim(`[${h.category}, ${pct}]`)}`,
    );
    for (const e of citedLines(h.evidence).slice(0, options.verbose ? undefined : 6)) {
      const threshold = e.threshold ? ` (rule: ${e.threshold})` : "";
      out.push(`     ${c.dim("evidence")} ${e.collector}: ${e.excerpt}${c.dim(threshold)}`);
    }
    for (const r of h.remediation.slice(0, 4)) out.push(`     ${c.dim("do")}       ${r}`);
    for (const n of (h.next ?? []).slice(0, options.verbose ? undefined : 2))
      out.push(`     ${c.dim("next")}     ${n}`);
  });
  historyLines(report, options, c, out);
  out.push("");
  const fine = report.checked.filter((k) => k.verdict === "fine");
  const skipped = report.checked.filter((k) => k.verdict === "not-evaluated");
  if (fine.length > 0) {
    out.push(c.bold(`Checked and fine (${fine.length})`));
    for (const k of fine.slice(0, options.verbose ? undefined : 12))
      out.push(`  ${c.green("ok")}  ${k.rule}: ${k.why}`);
    if (!options.verbose && fine.length > 12)
      out.push(c.dim(`  … ${fine.length - 12} more (--verbose)`));
  }
  if (skipped.length > 0) {
    out.push(c.dim(`Not evaluated (${skipped.length}): ${skipped.map((k) => k.rule).join(", ")}`));
  }
  out.push("");
  out.push(c.bold("Collectors"));
  for (const col of report.collectors) {
    const status =
      col.status === "ok"
        ? c.green("ok")
        : col.status === "skipped"
          ? c.dim(col.status)
          : c.red(col.status);
    const extra = [
      col.truncated ? "truncated" : "",
      col.problems?.length ? unreadable(problemCount(col.problems)) : "",
      col.error ?? "",
    ]
      .filter(Boolean)
      .join("; ");
    out.push(
      `  ${col.id.padEnd(20)} ${status.padEnd(options.color ? 16 : 8)} ${c.dim(`${col.durationMs} ms`)}${extra ? `  ${extra}` : ""}`,
    );
  }
  if (report.ignored.length > 0) out.push(c.dim(`Ignored files: ${report.ignored.join(", ")}`));
  for (const note of report.notes) out.push(c.dim(`note: ${note}`));
  out.push("");
  out.push(report.summary);
  return `${out.join("\n")}\n`;
}

/**
 * `Recent history`, below the current findings: each past event with its age, title,
 * category and confidence, and the kernel log line it cites.
 */
function historyLines(
  report: Report,
  options: { verbose?: boolean },
  c: ReturnType<typeof palette>,
  out: string[],
): void {
  const history = report.history ?? [];
  if (history.length === 0) return;
  out.push(
    "",
    c.bold(`Recent history (${history.length}): ended before the window, not the current cause`),
  );
  for (const h of history.slice(0, options.verbose ? undefined : 5)) {
    const pct = `${Math.round(h.confidence * 100)} %`;
    out.push(`  ${formatAge(h.ageSeconds)} ago  ${h.title}  ${c.dim(`[${h.category}, ${pct}]`)}`);
    for (const e of citedLines(h.evidence).slice(0, options.verbose ? undefined : 2))
      out.push(`     ${c.dim("evidence")} ${e.collector}: ${e.excerpt}`);
  }
  if (!options.verbose && history.length > 5)
    out.push(c.dim(`  … ${history.length - 5} more (--verbose)`));
}

/** `1 unreadable line`, `813239 unreadable lines`: the real count, not the listed problems. */
function unreadable(count: number): string {
  return `${count} unreadable line${count === 1 ? "" : "s"}`;
}

function palette(on: boolean) {
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return {
    bold: wrap("1"),
    dim: wrap("2"),
    red: wrap("31"),
    green: wrap("32"),
    yellow: wrap("33"),
  };
}
