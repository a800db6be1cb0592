import { prepareBundleDir, saveBundle } from "../bundle/save.js";
import type { CollectedOutput } from "../diagnosis/collect.js";
import { diagnoseLive, noCollectorRan, nothingRan } from "../diagnosis/diagnose.js";
import type { Report } from "../diagnosis/report.js";
import { DiagbotError } from "../errors.js";
import { diagnoseFrom } from "../evidence/index.js";
import { resolveTarget } from "../inventory/inventory.js";
import { loadRunbooks } from "../runbooks/load.js";
import { renderTerminal } from "../summary/terminal.js";
import { openTransport } from "../transport/open.js";
import { parseLabel, parsePid, parseProcessName, parseSymptom, parseWindow } from "./options.js";
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
}

/**
 * `diagbot diagnose <target> [symptom]`: the whole pipeline in-process, no Redis, no Slack.
 * Every option is validated before any connection is opened.
 */
export async function runDiagnose(
  target: string,
  symptomText: string,
  opts: DiagnoseCliOptions,
): Promise<number> {
  const symptom = parseSymptom(symptomText);
  const windowSeconds = parseWindow(opts.window);
  const pid = opts.pid === undefined ? undefined : parsePid(opts.pid);
  const processName = opts.process === undefined ? undefined : parseProcessName(opts.process);
  const runbooks = await loadRunbooks();
  if (opts.save) await prepareBundleDir(opts.save);

  let report: Report;
  let outputs: readonly CollectedOutput[];
  if (opts.from) {
    ({ report, outputs } = await diagnoseFrom(opts.from, parseLabel(target), symptom, runbooks));
  } else {
    const host = await resolveTarget(target);
    const progress = progressLine(process.stderr, host.name);
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
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      progress.done();
      await transport.close();
    }
  }

  if (opts.save) {
    // A failed save must not cost the report: say so, and print the report all the same.
    try {
      await saveBundle(
        opts.save,
        { host: report.host, startedAt: report.startedAt, symptom, windowSeconds },
        outputs,
      );
    } catch (err) {
      const why = `the evidence bundle could not be written to ${opts.save}: ${(err as Error).message}`;
      report.notes.push(why);
      process.stderr.write(`diagbot: ${why}\n`);
    }
  }
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderTerminal(report, {
          color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
          verbose: opts.verbose,
        }),
  );
  if (nothingRan(report)) {
    const err = noCollectorRan(report.host, report);
    process.stderr.write(`diagbot: ${err.describe()}\n`);
    return 3;
  }
  return 0;
}
