import { loadBundle, type RecordedVerdict } from "../bundle/load.js";
import { scopedPids } from "../collectors/pidstat.js";
import type { Collector } from "../collectors/types.js";
import { derive } from "../derive/index.js";
import type { DerivedFacts } from "../derive/types.js";
import { closestNames } from "../inventory/names.js";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import type { Progress } from "../model/progress.js";
import { type CollectorStatus, type Report, SYMPTOMS, type Symptom } from "../model/report.js";
import type { UnameFacts } from "../parsers/uname.js";
import type { Runbook } from "../runbooks/schema.js";
import { COLLECTORS } from "../sources/collectors.js";
import { sourceIds } from "../sources/index.js";
import type { Transport } from "../transport/types.js";
import { collect } from "./collect.js";
import { coverageOf } from "./coverage.js";
import { byAge, pastFindings } from "./history.js";
import { kernelSupportNote } from "./kernel-support.js";
import { parseOutputs } from "./parse-outputs.js";
import { plan } from "./plan.js";
import { listProcesses } from "./processes.js";
import { evaluateRunbooks } from "./rank.js";
import { summarise } from "./summarise.js";

/**
 * The engine: plan → collect → parse → derive → evaluate → rank → summarise
 * (DESIGN.md "The flow"). The CLI, the queue worker and the sweeps all call this.
 */
export interface DiagnoseOptions {
  /** Host label in the report (the inventory name, `local`, or a replay label). */
  host: string;
  symptom: Symptom;
  /** Sampling window, seconds (1..60). */
  windowSeconds: number;
  pid?: number;
  /** A process name (`comm`), matched against `ps -eo pid=,comm=` on the host. */
  process?: string;
  deep: boolean;
  runbooks: readonly Runbook[];
  /** The collection (with the window's countdown), then the parse and evaluate phases. */
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export interface Diagnosis {
  report: Report;
  /** The raw outputs, for `--save` and evidence uploads. */
  outputs: CollectedOutput[];
}

/**
 * Diagnoses a live host over `transport` (local or SSH): {@link collectLive}, then
 * {@link judgeLive}. The caller opens and closes the transport. The report is complete even
 * when no collector's output could be used: callers test {@link nothingRan} and report
 * {@link noCollectorRan}.
 */
export async function diagnoseLive(
  transport: Transport,
  sudo: boolean,
  options: DiagnoseOptions,
): Promise<Diagnosis> {
  return judgeLive(await collectLive(transport, sudo, options), options);
}

/** A live host's outputs, and what judging them needs to know of their collection. */
export interface LiveCollection {
  started: Date;
  outputs: CollectedOutput[];
  /** The collectors the plan chose. */
  collectors: Collector[];
  /** The processes `--pid` / `--process` scoped to. */
  pids: number[];
  notes: string[];
  /** True when the collectors ran as root. */
  root: boolean;
}

/**
 * The part of a live diagnosis that needs the host: the plan's collectors run over
 * `transport`. A sweep closes the connection after it and judges the outputs while the next
 * host is collected.
 */
export async function collectLive(
  transport: Transport,
  sudo: boolean,
  options: DiagnoseOptions,
): Promise<LiveCollection> {
  const started = new Date();
  const notes: string[] = [];
  const pids = await scopePids(transport, options, notes);
  const collectors = plan(COLLECTORS, options.symptom, {
    deep: options.deep,
    hasPids: pids.length > 0,
  });
  const outputs = await collect(transport, collectors, {
    windowSeconds: options.windowSeconds,
    pids,
    sudo,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { started, outputs, collectors, pids, notes, root: transport.root };
}

/** Parses, derives, evaluates and ranks what {@link collectLive} collected. */
export async function judgeLive(
  { started, outputs, collectors, pids, notes, root }: LiveCollection,
  options: DiagnoseOptions,
): Promise<Diagnosis> {
  const report = await buildReport(outputs, {
    host: options.host,
    symptom: options.symptom,
    started,
    windowSeconds: options.windowSeconds,
    runbooks: options.runbooks,
    notes,
    ignored: [],
    notRun: notPlanned(collectors, options.symptom, options.deep, pids.length > 0),
    root,
    onProgress: options.onProgress,
  });
  return { report, outputs };
}

/**
 * The PIDs `--pid` / `--process` name, checked against the host's fixed `ps -eo pid=,comm=`
 * listing (DESIGN.md "CLI contract": a scope that matches no process is a usage error). When
 * `ps` could not run, an empty listing proves nothing: the PID is kept and a note says so.
 * @throws DiagbotError `usage` when the listing has no such process (closest names given).
 */
async function scopePids(
  transport: Transport,
  options: Pick<DiagnoseOptions, "pid" | "process" | "host">,
  notes: string[],
): Promise<number[]> {
  if (options.pid === undefined && options.process === undefined) return [];
  const running = await listProcesses(transport);
  if (running.length === 0) {
    notes.push(
      `the process listing (ps) could not be read on ${options.host}: the scope is unchecked`,
    );
    return options.pid !== undefined ? [options.pid] : [];
  }
  if (options.pid !== undefined) {
    if (!running.some((p) => p.pid === options.pid)) {
      throw new DiagbotError(
        "usage",
        `--pid ${options.pid}: no process with that id runs on ${options.host}`,
        {
          hint: "list them with `ps -eo pid,comm`, or leave --pid out to diagnose the whole host",
        },
      );
    }
    return [options.pid];
  }
  const name = options.process as string;
  const found = running.filter((p) => sameComm(p.comm, name)).map((p) => p.pid);
  if (found.length === 0) {
    const near = closestNames(name, new Set(running.map((p) => p.comm)), 5);
    throw new DiagbotError(
      "usage",
      `--process ${JSON.stringify(name)}: no process of that name runs on ${options.host}`,
      {
        hint: `${near.length ? `closest running names: ${near.join(", ")}; ` : ""}the name is the kernel's comm, as \`ps -eo comm\` shows it`,
      },
    );
  }
  return found;
}

/** Why each collector left out of the plan did not run: `runs only with --deep`. */
function notPlanned(
  planned: readonly Collector[],
  symptom: Symptom,
  deep: boolean,
  hasPids: boolean,
): Map<string, string> {
  const why = new Map<string, string>();
  for (const c of COLLECTORS) {
    if (planned.includes(c)) continue;
    if (c.cost === "intrusive" && !deep) why.set(c.id, "runs only with --deep");
    else if (c.needsPid && !hasPids) why.set(c.id, "runs only with --pid or --process");
    else why.set(c.id, `is not collected for the ${symptom} symptom`);
  }
  return why;
}

/** How a collector's status reads after "which": `failed`, `is not installed`. */
const STATUS_WHY: Record<CollectorStatus, string> = {
  ok: "gave no output",
  failed: "failed",
  missing: "is not installed",
  timeout: "timed out",
  skipped: "was skipped",
};

/**
 * Diagnoses a saved evidence bundle (`--from DIR`): every output present is parsed and every
 * rule whose inputs are present is evaluated; the symptom changes only the ranking. It is
 * `asked`, else the one `bundle.json` was saved with (said in a note), else `health`. The host
 * is `options.host` (an inventory replay host is its inventory name, whoever saved the bundle),
 * else the one `bundle.json` names, else `label`.
 * @throws DiagbotError "bundle" when the directory holds nothing to read (see loadBundle).
 */
export async function diagnoseBundle(
  dir: string,
  label: string,
  asked: Symptom | undefined,
  runbooks: readonly Runbook[],
  options: { host?: string } = {},
): Promise<Diagnosis> {
  const bundle = await loadBundle(dir, new Set(sourceIds()));
  const saved = SYMPTOMS.find((s) => s === bundle.manifest.symptom);
  const symptom = asked ?? saved ?? "health";
  if (asked === undefined && saved !== undefined) {
    bundle.notes.unshift(
      `symptom: ${saved}, as the bundle was saved (give one to judge for another)`,
    );
  }
  const report = await buildReport(bundle.outputs, {
    host: options.host ?? bundle.manifest.host ?? label,
    symptom,
    started: new Date(),
    collectedAt: validTime(bundle.manifest.startedAt),
    windowSeconds: bundle.manifest.window?.seconds,
    runbooks,
    notes: bundle.notes,
    ignored: bundle.ignored,
    replayOf: plan(COLLECTORS, symptom, { deep: false, hasPids: false }).map((c) => c.id),
  });
  if (bundle.recorded !== undefined) report.notes.push(verdictChange(bundle.recorded, report));
  return { report, outputs: bundle.outputs };
}

/**
 * `recorded verdict: X (70 %); today: Y (80 %)`: the top hypothesis `report.json` recorded
 * against today's under the runbooks loaded now; `today: the same` when rule and confidence agree.
 */
export function verdictChange(recorded: RecordedVerdict | null, report: Report): string {
  const say = (v: { title: string; confidence: number } | null | undefined) =>
    v ? `${v.title} (${Math.round(v.confidence * 100)} %)` : "no root cause found";
  const today = report.hypotheses[0];
  const same =
    (recorded === null && today === undefined) ||
    (recorded !== null &&
      today !== undefined &&
      recorded.rule === today.rule &&
      Math.round(recorded.confidence * 100) === Math.round(today.confidence * 100));
  return `recorded verdict: ${say(recorded)}; today: ${same ? "the same" : say(today)}`;
}

/** An ISO 8601 time as given, or undefined when it is not one. */
function validTime(text: string | undefined): string | undefined {
  return text !== undefined && !Number.isNaN(Date.parse(text)) ? text : undefined;
}

/** Builds the report from raw outputs (live or replayed). */
export async function buildReport(
  outputs: readonly CollectedOutput[],
  meta: {
    host: string;
    symptom: Symptom;
    started: Date;
    /** When a replayed bundle was collected (ISO 8601, from bundle.json); else `started`. */
    collectedAt?: string;
    /** Window of the snapshots; undefined for a replay that does not say. */
    windowSeconds: number | undefined;
    runbooks: readonly Runbook[];
    notes: string[];
    ignored: string[];
    /** Why collectors that were not run did not run (live diagnoses), by id. */
    notRun?: ReadonlyMap<string, string>;
    /** True when the collectors ran as root; undefined for a replay. */
    root?: boolean;
    /** For a replay: the collectors the plan for the symptom runs (absent ones are gaps). */
    replayOf?: readonly string[];
    /** Told when parsing and when evaluating start. */
    onProgress?: (progress: Progress) => void;
  },
): Promise<Report> {
  const phase = (name: "parsing" | "evaluating") =>
    meta.onProgress?.({ phase: name, done: outputs.length, total: outputs.length, running: [] });
  phase("parsing");
  const { parsed, records } = await parseOutputs(outputs);
  phase("evaluating");
  const scopePids = scopedPids(outputs.find((o) => o.id === "pidstat")?.command);
  const ctx = { windowSeconds: meta.windowSeconds, root: meta.root, scopePids };
  const derived: DerivedFacts = derive(parsed, ctx);
  const present = new Set(parsed.keys());
  const absent = new Map(meta.notRun);
  for (const r of records) if (!present.has(r.id)) absent.set(r.id, STATUS_WHY[r.status]);
  const { hypotheses, checked, history } = evaluateRunbooks(
    meta.runbooks,
    derived,
    present,
    meta.symptom,
    absent,
    meta.host,
    meta.windowSeconds,
  );
  const seen = new Set([...hypotheses, ...history].map((h) => h.rule));
  const past = pastFindings(
    parsed,
    ctx,
    derived,
    { runbooks: meta.runbooks, present, host: meta.host },
    seen,
  );
  const report: Report = {
    version: 1,
    host: meta.host,
    symptom: meta.symptom,
    startedAt: meta.collectedAt ?? meta.started.toISOString(),
    durationMs: Date.now() - meta.started.getTime(),
    // A replay that does not say its window judged every counter from what the files hold.
    window: {
      seconds: meta.windowSeconds ?? 0,
      mode: meta.windowSeconds === undefined ? "since-boot" : derived.mode,
    },
    hypotheses,
    history: [...history, ...past].sort(byAge),
    checked,
    coverage: coverageOf(meta.runbooks, records, present, meta.symptom, {
      root: meta.root,
      replayOf: meta.replayOf,
    }),
    collectors: records,
    ignored: meta.ignored,
    notes: [...meta.notes, ...derived.notes, ...kernelNotes(parsed.get("uname")?.facts)],
    summary: "",
  };
  report.summary = summarise(report);
  return report;
}

/** The kernel support note, when `uname` was read. */
function kernelNotes(uname: unknown): string[] {
  const release = (uname as UnameFacts | undefined)?.kernel_release;
  const note = release ? kernelSupportNote(release) : undefined;
  return note ? [note] : [];
}

/**
 * True when no collector's output could be used: none ran, or each output was refused when
 * parsed (binary data, not the tool's format: {@link parseOutputs} marks those `failed`).
 * `diagnose` exits 3 and a sweep calls the host `failed` on this condition.
 */
export function nothingRan(report: Report): boolean {
  return !report.collectors.some((c) => c.status === "ok");
}

/**
 * The error of a report of which {@link nothingRan} holds. `hint`: the reasons of the first 3
 * failed collectors (`id: error`), then what to check: for a replay (`replay: true`: read
 * from a bundle or `--from`), the outputs read; otherwise the host and its tools.
 */
export function noCollectorRan(
  host: string,
  report: Report,
  options: { replay?: boolean } = {},
): DiagbotError {
  const reasons = report.collectors
    .filter((c) => c.error)
    .slice(0, 3)
    .map((c) => `${c.id}: ${c.error}`)
    .join("; ");
  const check = options.replay
    ? "check the evidence read: each output (a bundle's <collector>.out) should be that tool's, as `diagbot diagnose --save` writes it"
    : "check that the host is reachable and the tools are installed and print their usual output";
  return new DiagbotError(
    "no-collector-ran",
    `no collector gave output that could be used on ${host}`,
    { hint: reasons ? `${reasons}; ${check}` : check },
  );
}

/**
 * True when a `ps` name is the one asked for. A workqueue worker is listed as
 * `kworker/0:1H-kblockd` on 4.19 and later (its comm, then the workqueue it runs); its own comm,
 * `kworker/0:1H`, names it too.
 */
function sameComm(listed: string, asked: string): boolean {
  return listed === asked || (asked.startsWith("kworker/") && listed.startsWith(`${asked}-`));
}
