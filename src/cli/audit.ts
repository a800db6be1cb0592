import ms from "ms";
import { DiagbotError } from "../model/errors.js";
import type { AuditCommand, AuditEntry } from "../observability/audit.js";
import {
  auditStreamOf,
  connectRedis,
  queueConfig,
  redisUrlForDisplay,
  waitReady,
} from "../queue/config.js";
import { writeAll } from "./write-fd.js";

/**
 * `diagbot audit [--since 1h] [--user U] [--host H] [--json]`: the audit stream of a deployment
 * (`<DIAGBOT_REDIS_PREFIX>:audit` on REDIS_URL), oldest first: a table for a person, or one JSON
 * array for machines. Exit 0 (an empty answer included), 2 for a bad option, 3 when Redis does
 * not answer within DIAGBOT_REDIS_CONNECT_TIMEOUT_MS (`connect-failed` in ERROR_CODES).
 */
export interface AuditCliOptions {
  since: string;
  user?: string;
  host?: string;
  json: boolean;
}

/** `--since`: a duration `ms` reads (`90s`, `30m`, `1h`, `7d`), at least one second. */
function sinceMs(text: string): number {
  let span: number | undefined;
  try {
    span = ms(text as ms.StringValue);
  } catch {
    span = undefined;
  }
  if (typeof span !== "number" || !Number.isFinite(span) || span < 1000) {
    throw new DiagbotError("usage", `--since ${JSON.stringify(text)}: expected a duration`, {
      hint: "write it as 90s, 30m, 1h or 7d",
    });
  }
  return span;
}

export async function runAudit(opts: AuditCliOptions): Promise<number> {
  const span = sinceMs(opts.since);
  const config = queueConfig(process.env);
  const redis = connectRedis(config, "producer", "diagbot-audit");
  let lastError: Error | undefined;
  redis.on("error", (err: Error) => {
    lastError = err;
  });
  try {
    await waitReady(redis, config.connectTimeoutMs).catch((err) => {
      // Say what the connection said (a refusal is instant), else how long it was waited for.
      const why = lastError ? `: ${lastError.message}` : ` within ${config.connectTimeoutMs} ms`;
      throw new DiagbotError(
        "connect-failed",
        `cannot read the audit stream: Redis at ${redisUrlForDisplay(config.redisUrl)} does not answer${why}`,
        { hint: "check REDIS_URL and that Redis is running", cause: err },
      );
    });
    const entries = await auditStreamOf(redis, config).read(
      Date.now() - span,
      (e) =>
        (opts.user === undefined || e.fields.user === opts.user) &&
        (opts.host === undefined || e.fields.host === opts.host),
    );
    const text = opts.json
      ? `${JSON.stringify(
          entries.map((e) => ({
            id: e.id,
            at: new Date(e.at).toISOString(),
            event: e.event,
            ...e.fields,
          })),
          null,
          2,
        )}\n`
      : auditTable(entries, opts.since);
    writeAll(1, text);
    return 0;
  } finally {
    redis.disconnect();
  }
}

const COLUMNS = ["TIME (UTC)", "EVENT", "DECISION", "USER", "CHANNEL", "HOST", "REQUEST", "DETAIL"];

/** The options of a request as typed: `cpu --window 5s --deep`. */
function requestText(f: AuditEntry["fields"]): string {
  if (f.symptom === undefined) return f.textLength !== undefined ? `(${f.textLength} chars)` : "";
  return [
    f.symptom,
    f.window !== undefined ? `--window ${f.window}s` : "",
    f.pid != null ? `--pid ${f.pid}` : "",
    f.process != null ? `--process ${f.process}` : "",
    f.deep ? "--deep" : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** Why, what ran and what it gave: the reason, the run's commands, exit codes, time and hash. */
function detailText(f: AuditEntry["fields"]): string {
  const commands = Array.isArray(f.commands) ? (f.commands as AuditCommand[]) : [];
  const failed = commands.filter((c) => c.status !== "ok");
  return [
    f.reason != null ? String(f.reason) : "",
    f.diagnosisId != null ? String(f.diagnosisId) : f.jobId != null ? `job ${f.jobId}` : "",
    f.category != null ? String(f.category) : "",
    commands.length
      ? `${commands.length} commands, exit ${[...new Set(commands.map((c) => c.exitCode ?? "-"))].join("/")}${failed.length ? `, not ok: ${failed.map((c) => `${c.collector} ${c.status}`).join(", ")}` : ""}`
      : "",
    typeof f.durationMs === "number" ? `${(f.durationMs / 1000).toFixed(1)} s` : "",
    f.bundleSha256 != null ? `bundle ${String(f.bundleSha256).slice(0, 12)}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** The entries as a table with one line each, columns as wide as their widest cell. */
export function auditTable(entries: readonly AuditEntry[], since: string): string {
  if (entries.length === 0) return `no audit events in the last ${since}\n`;
  const rows = entries.map((e) => [
    new Date(e.at).toISOString().replace("T", " ").slice(0, 19),
    e.event,
    String(e.fields.decision ?? ""),
    String(e.fields.user ?? ""),
    String(e.fields.channel ?? ""),
    String(e.fields.host ?? ""),
    requestText(e.fields),
    detailText(e.fields),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return `${[line(COLUMNS), ...rows.map(line)].join("\n")}\n`;
}
