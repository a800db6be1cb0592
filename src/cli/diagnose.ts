import { loadBundle } from "../bundle/load.js";
import { saveBundle } from "../bundle/save.js";
import {
  buildReport,
  diagnoseLive,
  knownCollectorIds,
  noCollectorRan,
  nothingRan,
} from "../diagnosis/diagnose.js";
import type { Report } from "../diagnosis/report.js";
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

  let report: Report;
  if (opts.from) {
    const label = parseLabel(target);
    const bundle = await loadBundle(opts.from, knownCollectorIds());
    report = await buildReport(bundle.outputs, {
      host: bundle.manifest.host ?? label,
      symptom,
      started: new Date(),
      windowSeconds: bundle.manifest.window?.seconds,
      runbooks,
      notes: bundle.notes,
      ignored: bundle.ignored,
    });
    if (opts.save)
      await saveBundle(
        opts.save,
        { host: report.host, startedAt: report.startedAt, symptom, windowSeconds },
        bundle.outputs,
      );
  } else {
    const host = await resolveTarget(target);
    const progress = progressLine(process.stderr, host.name);
    const transport = await openTransport(host);
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
      });
      report = result.report;
      if (opts.save) {
        await saveBundle(
          opts.save,
          { host: host.name, startedAt: report.startedAt, symptom, windowSeconds },
          result.outputs,
        );
      }
    } finally {
      progress.done();
      await transport.close();
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
