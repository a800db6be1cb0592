import { prepareBundleDir, type SaveFolder, saveBundle } from "../bundle/save.js";
import { diagnoseBundle, diagnoseLive, noCollectorRan, nothingRan } from "../engine/diagnose.js";
import { diagnoseFrom } from "../engine/from.js";
import { formatWarning, replayBundle, resolveTarget } from "../inventory/inventory.js";
import type { EvidenceDelivery } from "../model/answer.js";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import type { Report, Symptom } from "../model/report.js";
import { parseDiagnoseOptions, parseLabel } from "../model/request.js";
import {
  narrativeConfig,
  renderNarrativeSection,
  withNarrative,
  writeNarrative,
} from "../narrative/index.js";
import { redactDeep, redactText } from "../redact/index.js";
import { renderTerminal } from "../render/terminal.js";
import { loadRunbooks } from "../runbooks/load.js";
import { openTransport } from "../transport/open.js";
import { progressLine } from "./progress.js";

export interface DiagnoseCliOptions {
  from?: string;
  save?: string;
  window: string;
  pid?: string;
  process?: string;
  deep: boolean;
  json: boolean;
  verbose: boolean;
  ticket?: string;
  /** false with `--no-redact`: print what the host said, secrets included. */
  redact?: boolean;
  /** Options typed on the command line rather than defaulted (commander's value source `cli`). */
  given?: readonly string[];
}

/** Options that only steer a live collection: said to be ignored when evidence is replayed. */
const LIVE_ONLY = ["window", "deep", "pid", "process"] as const;

/**
 * The note for live-only options given with evidence that is already collected (DESIGN.md "CLI
 * contract": refused or said to be ignored), or undefined when none was given.
 */
export function ignoredOptionsNote(
  given: readonly string[] | undefined,
  what: string,
): string | undefined {
  const ignored = LIVE_ONLY.filter((o) => given?.includes(o)).map((o) => `--${o}`);
  if (ignored.length === 0) return undefined;
  return `${ignored.join(", ")} ${ignored.length === 1 ? "is" : "are"} ignored with ${what}: ${ignored.length === 1 ? "it steers" : "they steer"} a live collection, and this evidence is already collected`;
}

/** What main/ plugs into `diagnose`: `--ticket` delivery, built before anything is collected. */
export interface DiagnoseDeps {
  /** Parses `--ticket SYSTEM:KEY` and checks its settings; undefined without `--ticket`. */
  ticketDelivery?: (text: string | undefined) => Promise<EvidenceDelivery | undefined>;
}

/**
 * `diagbot diagnose <target> [symptom]`: the whole pipeline in-process, no Redis, no Slack.
 * Every option is validated before any connection is opened.
 */
export async function runDiagnose(
  target: string,
  symptomText: string | undefined,
  opts: DiagnoseCliOptions,
  deps: DiagnoseDeps = {},
): Promise<number> {
  const {
    symptom,
    windowSeconds,
    pid,
    process: processName,
  } = parseDiagnoseOptions({ ...opts, symptom: symptomText });
  if (opts.from === "") {
    throw new DiagbotError("usage", "--from needs a path", {
      hint: "give a bundle or sos report folder, a file, or - for standard input",
    });
  }
  // As `parse` does: a terminal would wait for a paste no one knows is expected.
  if (opts.from === "-" && process.stdin.isTTY) {
    throw new DiagbotError("usage", "--from -: standard input is a terminal", {
      hint: "pipe the evidence in (pbpaste | diagbot diagnose HOST --from -), or give a file or folder",
    });
  }
  if (opts.save === "") {
    throw new DiagbotError("usage", "--save needs a folder", {
      hint: "give the folder to write the bundle to, e.g. --save ./evidence",
    });
  }
  const runbooks = await loadRunbooks();
  const llm = narrativeConfig();
  const deliver = await deps.ticketDelivery?.(opts.ticket);
  // An inventory host with transport: replay is diagnosed from its bundle, as --from is.
  const host = opts.from
    ? undefined
    : await resolveTarget(target, {
        onWarning: (w) => process.stderr.write(`diagbot: inventory: ${formatWarning(w)}\n`),
      });
  const replay = host?.transport === "replay" ? await replayBundle(host) : undefined;
  let saveFolder: SaveFolder | undefined;
  if (opts.save) {
    // Checked before anything is collected; refused when it would overwrite what is read.
    const evidence = opts.from === "-" ? undefined : (opts.from ?? replay);
    saveFolder = await prepareBundleDir(opts.save, evidence);
    if (saveFolder.note) process.stderr.write(`diagbot: ${saveFolder.note}\n`);
  }
  const gathered = await gatherEvidence(target, symptomText, opts, {
    host,
    replay,
    runbooks,
    live: { symptom, windowSeconds, pid, processName },
  }).catch(async (err) => {
    // Interrupted, or the evidence could not be read: no empty folder is left behind.
    await saveFolder?.discardIfEmpty();
    throw err;
  });
  let { report } = gathered;
  const { outputs, progress } = gathered;

  if (opts.save) {
    // A failed save must not cost the report: say so, and print the report all the same.
    try {
      await saveBundle(
        opts.save,
        {
          host: report.host,
          startedAt: report.startedAt,
          symptom: report.symptom,
          // Evidence read from snapshots (a paste, a bundle without one) saves no window.
          windowSeconds: report.window.mode === "window" ? report.window.seconds : undefined,
        },
        outputs,
        report,
      );
      // The one place diagbot writes unredacted text: whoever saved it should know.
      process.stderr.write(
        `diagbot: evidence saved to ${opts.save}: the outputs as collected, not redacted (folder 0700, files 0600); diagnose it again with --from ${opts.save}\n`,
      );
    } catch (err) {
      const why = `the evidence bundle could not be written to ${opts.save}: ${(err as Error).message}`;
      report.notes.push(why);
      process.stderr.write(`diagbot: ${why}\n`);
    }
  }
  // The LLM narrative: `--json` waits for it (one document); the terminal report never does.
  const narrating = llm ? writeNarrative(report, llm) : undefined;
  if (opts.json && narrating) report = withNarrative(report, await narrating);
  // What a person reads is redacted (only --save is byte-exact); --no-redact is the operator's.
  const reveal = opts.redact === false;
  const shown = reveal ? { value: report, count: 0 } : redactDeep(report);
  progress?.done();
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(shown.value, null, 2)}\n`
      : renderTerminal(shown.value, {
          color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
          verbose: opts.verbose,
        }),
  );
  if (!opts.json && narrating) {
    const section = renderNarrativeSection(await narrating);
    process.stdout.write(reveal ? section : redactText(section).text);
  }
  if (shown.count > 0) {
    process.stderr.write(
      `diagbot: ${shown.count} secret${shown.count === 1 ? "" : "s"} shown as [REDACTED] (--no-redact shows them)\n`,
    );
  }
  if (nothingRan(report)) {
    const err = noCollectorRan(report.host, report, {
      replay: host === undefined || replay !== undefined,
    });
    process.stderr.write(`diagbot: ${err.describe()}\n`);
    return 3;
  }
  return deliver ? deliver(report, outputs) : 0;
}

/** What {@link gatherEvidence} needs besides the CLI's own words. */
interface GatherContext {
  host: Awaited<ReturnType<typeof resolveTarget>> | undefined;
  replay: string | undefined;
  runbooks: Awaited<ReturnType<typeof loadRunbooks>>;
  live: { symptom: Symptom; windowSeconds: number; pid?: number; processName?: string };
}

/**
 * The report and the outputs it was judged from: read from `--from` evidence or a replay
 * host's bundle, or collected live over the host's transport (Ctrl-C or SIGTERM stops the
 * collectors and throws the `interrupted` error).
 */
async function gatherEvidence(
  target: string,
  symptomText: string | undefined,
  opts: DiagnoseCliOptions,
  { host, replay, runbooks, live }: GatherContext,
): Promise<{
  report: Report;
  outputs: readonly CollectedOutput[];
  /** The progress line of a live collection: the window, then parse, evaluate, answer. */
  progress?: ReturnType<typeof progressLine>;
}> {
  const { symptom, windowSeconds, pid, processName } = live;
  let report: Report;
  let outputs: readonly CollectedOutput[];
  let progress: ReturnType<typeof progressLine> | undefined;
  if (host === undefined || replay !== undefined) {
    // A bundle replayed with no symptom given is judged for the one it was saved with.
    const asked = symptomText === undefined ? undefined : symptom;
    ({ report, outputs } =
      host === undefined || replay === undefined
        ? await diagnoseFrom(opts.from!, parseLabel(target), asked, runbooks)
        : await diagnoseBundle(replay, host.name, asked, runbooks, {
            host: host.name,
          }));
    const note = ignoredOptionsNote(opts.given, host === undefined ? "--from" : "a replay host");
    if (note) {
      report.notes.unshift(note);
      process.stderr.write(`diagbot: ${note}\n`);
    }
  } else {
    progress = progressLine(process.stderr, host.name);
    const transport = await openTransport(host);
    // Ctrl-C or a stop: abort the collectors, end their processes, then leave.
    const interrupted = new AbortController();
    const onSignal = () =>
      interrupted.abort(new DiagbotError("interrupted", "interrupted: collectors stopped"));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const result = await diagnoseLive(transport, host.sudo, {
        host: host.name,
        symptom,
        windowSeconds,
        pid,
        process: processName,
        deep: opts.deep,
        runbooks,
        onProgress: progress.update,
        signal: interrupted.signal,
      });
      report = result.report;
      outputs = result.outputs;
    } catch (err) {
      progress.done();
      throw err;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await transport.close();
    }
    const total = report.collectors.length;
    progress.update({ phase: "answering", done: total, total, running: [] });
  }

  return { report, outputs, progress };
}
