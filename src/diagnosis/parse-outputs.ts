import type { ParsedEntry } from "../derive/types.js";
import { loadParser } from "../parsers/index.js";
import { linesOf } from "../parsers/lines.js";
import type { Problem } from "../parsers/types.js";
import type { CollectedOutput } from "./collect.js";
import type { CollectorRecord } from "./report.js";

/**
 * Parses every output that has one. A parser that finds nothing of its format, or fails in
 * any other way, turns that collector into `failed` with the reason; the others go on.
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
    try {
      const { facts, problems } = parser(linesOf(o.out.toString("utf8")));
      const entry: ParsedEntry = { facts };
      if (problems.length > 0) record.problems = problems;
      if (o.start !== undefined) {
        try {
          entry.start = parser(linesOf(o.start.toString("utf8"))).facts;
        } catch (err) {
          record.problems = [...(record.problems ?? []), startProblem(err)];
        }
      }
      parsed.set(o.id, entry);
    } catch (err) {
      record.status = "failed";
      record.error = `output not understood: ${(err as Error).message}`;
    }
  }
  return { parsed, records };
}

function startProblem(err: unknown): Problem {
  return { line: 0, text: "", reason: `first snapshot not understood: ${(err as Error).message}` };
}
