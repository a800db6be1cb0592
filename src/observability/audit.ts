import type { Cluster, Redis } from "ioredis";
import type { DiagnoseRequest } from "../model/request.js";
import { redactDeep } from "../redact/index.js";
import type { Logger } from "./log.js";

/**
 * The audit trail: every request, access decision and finished run, as a structured log line
 * (`"audit": true`, so that a log shipper can route them apart; in the same stream as the rest of
 * the log, and redacted like it) and as an entry of an append-only Redis stream
 * (`<prefix>:audit`) that `diagbot audit` reads. The stream is capped by length
 * (`XADD … MAXLEN ~ maxLen`) and by age (`XTRIM … MINID ~ now - maxAge`); both are approximate,
 * as Redis trims whole macro nodes (the `~` of XADD/XTRIM), so a few entries over either cap may
 * remain. Every event is redacted (src/redact/) before it is logged or written.
 */

/** One command a run executed on the host, as the worker records it. */
export interface AuditCommand {
  collector: string;
  /** The exact command line (redacted). */
  command?: string;
  status: string;
  exitCode?: number;
  durationMs: number;
}

/**
 * The fields of an audit event. The names are shared by the log line and the stream entry:
 * `user` (the Slack user id), `channel`, `host`, `symptom`, the options `window` (s),
 * `pid`, `process`, `deep`, `decision` (`allowed`, `refused`, `queued`, `answered`, `failed`,
 * `shown`), `reason` (why refused or failed), `diagnosisId`, `jobId`, `commands`, `durationMs`
 * (the run, ms), `bundleSha256`, `ticket` (`SYSTEM:KEY` the evidence goes to); text that did not parse is recorded as `textLength` and
 * `textSha256` only.
 */
export type AuditFields = Record<
  string,
  string | number | boolean | undefined | null | string[] | AuditCommand[]
>;

/** The validated fields of a request, as the audit trail records them (window in seconds). */
export function requestAuditFields(request: DiagnoseRequest) {
  return {
    host: request.host,
    symptom: request.symptom,
    deep: request.deep,
    window: request.windowSeconds,
    pid: request.pid,
    process: request.process,
  };
}

/** A stream entry read back: its id, time (ms since the epoch), event name and fields. */
export interface AuditEntry {
  id: string;
  at: number;
  event: string;
  fields: AuditFields;
}

/** Records one audit event: a log line, and a stream entry when the trail has a stream. */
export type Auditor = (event: string, fields: AuditFields) => void;

/** Where the stream is and how much of it is kept. */
export interface AuditStreamOptions {
  /** The stream's key: `<DIAGBOT_REDIS_PREFIX>:audit`. */
  key: string;
  /** `DIAGBOT_AUDIT_MAXLEN`: entries kept at most (approximately). */
  maxLen: number;
  /** `DIAGBOT_AUDIT_MAX_AGE`: seconds an entry is kept at most (approximately). */
  maxAgeSeconds: number;
}

/** The stream's key under a deployment's prefix. */
export const auditStreamKey = (prefix: string) => `${prefix}:audit`;

/** Entries read per XRANGE call. */
const PAGE = 1000;

export class AuditStream {
  constructor(
    private readonly redis: Redis | Cluster,
    readonly options: AuditStreamOptions,
  ) {}

  /**
   * Appends one event, redacted, and trims the stream to its length and age caps, in one
   * MULTI. The entry has one field, `event`, holding the JSON of `{ event, ...fields }`.
   * @throws the Redis error when Redis does not take it
   */
  async append(event: string, fields: AuditFields): Promise<void> {
    const { key, maxLen, maxAgeSeconds } = this.options;
    const json = JSON.stringify(redactDeep({ event, ...fields }).value);
    const minId = Math.max(0, Date.now() - maxAgeSeconds * 1000);
    await this.redis
      .multi()
      .xadd(key, "MAXLEN", "~", maxLen, "*", "event", json)
      .xtrim(key, "MINID", "~", minId)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([err]) => err);
        if (failed) throw failed[0];
      });
  }

  /** Entries from `sinceMs` (ms since the epoch) on, oldest first, that `keep` accepts. */
  async read(
    sinceMs: number,
    keep: (e: AuditEntry) => boolean = () => true,
  ): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let start = String(Math.max(0, Math.floor(sinceMs)));
    for (;;) {
      const page = await this.redis.xrange(this.options.key, start, "+", "COUNT", PAGE);
      for (const [id, values] of page) {
        const entry = parseEntry(id, values);
        if (entry && keep(entry)) out.push(entry);
      }
      if (page.length < PAGE) return out;
      start = `(${page[page.length - 1][0]}`;
    }
  }
}

/** A stream entry's fields back as an event; undefined for an entry of another shape. */
function parseEntry(id: string, values: string[]): AuditEntry | undefined {
  const i = values.indexOf("event");
  if (i < 0 || i % 2 !== 0) return undefined;
  try {
    const { event, ...fields } = JSON.parse(values[i + 1]) as AuditFields & { event: string };
    return { id, at: Number(id.split("-")[0]), event: String(event), fields };
  } catch {
    return undefined;
  }
}

/**
 * The trail of one process: each event is logged at once and appended to `stream` in the
 * background; an append that fails (Redis away) is logged as a warning with the event's name,
 * and the event stays in the log.
 */
export function auditor(log: Logger, stream?: AuditStream): Auditor {
  return (event, fields) => {
    log.info({ audit: true, event, ...fields }, event);
    stream
      ?.append(event, fields)
      .catch((err: Error) =>
        log.warn({ err: err.message, event }, "the audit stream did not take an event"),
      );
  };
}
