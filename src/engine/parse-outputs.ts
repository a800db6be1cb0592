import type { ParsedEntry } from "../derive/types.js";
import type { CollectedOutput } from "../model/collected.js";
import type { CollectorRecord } from "../model/report.js";
import { linesOf } from "../parsers/lines.js";
import { binaryReason, parseRefusing } from "../parsers/refuse.js";
import type { Problem } from "../parsers/types.js";
import { RefusedOutputError } from "../parsers/unrecognised.js";
import { loadParser } from "../sources/index.js";

/**
 * Parses every output that has one. An output refused as not of its format (binary, or hardly
 * a line recognised: parsers/refuse.ts), one in which the parser finds nothing of its format,
 * or a parser failing in any other way, turns that collector into `failed` with the reason, so
 * its rules are not evaluated; the others go on.
 */
export async function parseOutputs(
  outputs: readonly CollectedOutput[],
): Promise<{ parsed: Map<string, ParsedEntry>; records: CollectorRecord[] }> {
  const parsed = new Map<string, ParsedEntry>();
  const records: CollectorRecord[] = [];
  for (const o of outputs) {
    const record: CollectorRecord = {
      id: o.id,
      status: o.status,
      exitCode: o.exitCode,
      durationMs: o.durationMs,
      truncated: o.truncated,
      error: o.error,
      recognisedAs: o.recognisedAs,
      partial: o.partial,
    };
    records.push(record);
    if (o.status !== "ok" || o.out === undefined) continue;
    const parser = await loadParser(o.id);
    if (!parser) continue;
    const binary = binaryReason(o.id, o.out);
    if (binary) {
      record.status = "failed";
      record.error = binary;
      continue;
    }
    try {
      const { facts, problems } = parseRefusing(o.id, parser, linesOf(o.out.toString("utf8")));
      const entry: ParsedEntry = { facts, ...(o.partial ? { partial: true as const } : {}) };
      if (problems.length > 0) record.problems = problems;
      if (o.start !== undefined) {
        try {
          entry.start = parseRefusing(o.id, parser, linesOf(o.start.toString("utf8"))).facts;
        } catch (err) {
          record.problems = [...(record.problems ?? []), startProblem(err)];
        }
      }
      parsed.set(o.id, entry);
    } catch (err) {
      record.status = "failed";
      record.error =
        err instanceof RefusedOutputError
          ? err.detail
          : `output not understood: ${(err as Error).message}`;
    }
  }
  return { parsed, records };
}

function startProblem(err: unknown): Problem {
  return { line: 0, text: "", reason: `first snapshot not understood: ${(err as Error).message}` };
}
