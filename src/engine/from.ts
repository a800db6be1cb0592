import {
  type EvidenceRead,
  isBundleDir,
  type PastedPiece,
  readEvidence,
  readPasted,
} from "../evidence/index.js";
import { DiagbotError } from "../model/errors.js";
import type { Symptom } from "../model/report.js";
import type { Runbook } from "../runbooks/schema.js";
import { buildReport, type Diagnosis, diagnoseBundle } from "./diagnose.js";

/**
 * Diagnoses evidence given with `--from`: the host is the one a bundle's manifest names, else
 * `label` (a host name in a pasted prompt is never used).
 * @throws DiagbotError "bundle" when nothing in the input was recognised.
 */
export async function diagnoseFrom(
  path: string,
  label: string,
  symptom: Symptom | undefined,
  runbooks: readonly Runbook[],
): Promise<Diagnosis> {
  // A bundle folder is a replay: the engine reads it whole (manifest, recorded verdict, gaps).
  if (path !== "-" && (await isBundleDir(path))) {
    const replay = await diagnoseBundle(path, label, symptom, runbooks);
    for (const c of replay.report.collectors) c.recognisedAs ??= `bundle file ${c.id}.out`;
    return replay;
  }
  const read = await readEvidence(path);
  return diagnoseRead(
    read,
    path === "-" ? "standard input" : path,
    read.host ?? label,
    symptom ?? "health",
    runbooks,
  );
}

/**
 * Diagnoses pasted pieces (a chat message's text, attached files), reported under `label`
 * whatever host a pasted prompt or a report names.
 * @throws DiagbotError "bundle" when nothing in the pieces was recognised.
 */
export async function diagnosePasted(
  pieces: readonly PastedPiece[],
  label: string,
  symptom: Symptom,
  runbooks: readonly Runbook[],
): Promise<Diagnosis> {
  const read = await readPasted(pieces);
  const names = pieces.map((p) => p.name).join(", ");
  return diagnoseRead({ ...read, host: undefined }, names, label, symptom, runbooks);
}

async function diagnoseRead(
  read: EvidenceRead,
  where: string,
  host: string,
  symptom: Symptom,
  runbooks: readonly Runbook[],
): Promise<Diagnosis> {
  if (read.outputs.length === 0 && read.counts.length === 0) {
    throw new DiagbotError(
      "bundle",
      `nothing in ${where} was recognised as a tool's output: ${read.ignored.slice(0, 3).join("; ")}`,
      {
        hint: "paste each command with its prompt and its output (e.g. `$ free -m` then its table), or give a bundle or sos report",
      },
    );
  }
  const report = await buildReport(read.outputs, {
    host,
    symptom,
    started: new Date(),
    collectedAt:
      read.startedAt !== undefined && !Number.isNaN(Date.parse(read.startedAt))
        ? read.startedAt
        : undefined,
    windowSeconds: read.windowSeconds,
    runbooks,
    notes: read.notes,
    ignored: read.ignored,
  });
  return { report, outputs: read.outputs };
}
