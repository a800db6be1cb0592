import { createHash, randomBytes } from "node:crypto";
import { PROCESS_NAME } from "../diagnosis/processes.js";
import { type Report, SYMPTOMS, type Symptom } from "../diagnosis/report.js";

/**
 * What travels through the queue. Job data holds only validated values: the host is an
 * inventory name, the symptom one of SYMPTOMS, the process name matched PROCESS_NAME. The
 * worker checks the host against its own inventory again before connecting.
 */

/** One diagnosis request, as identical requests compare (see {@link requestKey}). */
export interface DiagnoseRequest {
  host: string;
  symptom: Symptom;
  /** Sampling window, seconds (1..60). */
  windowSeconds: number;
  pid?: number;
  process?: string;
  /** Intrusive collectors too (strace, perf record): at most one such job per host at a time. */
  deep: boolean;
}

/** The data of a `diagnose` job. */
export interface DiagnoseJobData {
  v: 1;
  /** Where the result is kept (`dg_...`); stable across retries of the job. */
  diagnosisId: string;
  request: DiagnoseRequest;
  /** Coalescing key: identical requests share it. */
  key: string;
  /** Who asked first (a Slack user id, or `cli`). */
  requestedBy: string;
  /** ms since the epoch. */
  requestedAt: number;
}

/**
 * Where an answer goes. A thread (`channel` + `ts` of the root message to edit, answering in
 * `threadTs`), or, when the bot is not in the channel, only a `responseUrl`.
 */
export interface ReplyTarget {
  user: string;
  channel: string;
  /** The bot's root message ("diagnosing host-42 (latency)…"), edited with progress. */
  ts?: string;
  /** The thread the answer goes to (the root message's ts unless the request came from a thread). */
  threadTs?: string;
  /** Slack's response_url: used when the bot cannot post in the channel. */
  responseUrl?: string;
}

/** What a worker returns for a job (kept in BullMQ's completed set). */
export interface DiagnoseJobResult {
  diagnosisId: string;
  category?: string;
  targets: number;
}

/** How a finished job ended, as late joiners learn it. */
export type Outcome =
  | { ok: true; diagnosisId: string }
  | { ok: false; diagnosisId: string; error: string };

/** A finished diagnosis as kept in Redis: the redacted report and what was asked. */
export interface StoredResult {
  diagnosisId: string;
  request: DiagnoseRequest;
  requestedBy: string;
  requestedAt: number;
  finishedAt: number;
  report: Report;
  /** Secrets replaced in the report and the bundle. */
  redactions: number;
  /** Bundle stored too (false when it was over the size cap). */
  bundle: boolean;
}

/** One line of the App Home's "recent diagnoses". */
export interface RecentEntry {
  diagnosisId: string;
  host: string;
  symptom: Symptom;
  requestedBy: string;
  finishedAt: number;
  category?: string;
  title?: string;
  confidence?: number;
  error?: string;
}

/** Coalescing key of a request: equal for identical (host, symptom, options). */
export function requestKey(r: DiagnoseRequest): string {
  const canonical = JSON.stringify([
    r.host,
    r.symptom,
    r.windowSeconds,
    r.pid ?? null,
    r.process ?? null,
    r.deep,
  ]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 24);
}

export function newDiagnosisId(): string {
  return `dg_${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
}

/** `dg_` ids only: anything else (from a button value) is refused before a Redis lookup. */
export const DIAGNOSIS_ID = /^dg_[a-z0-9]{6,40}$/;

/** Where an answer went, for the posting guard: one answer per diagnosis and thread. */
export function threadKey(t: ReplyTarget): string {
  if (t.channel && (t.threadTs || t.ts)) return `${t.channel}:${t.threadTs ?? t.ts}`;
  return `url:${createHash("sha256")
    .update(t.responseUrl ?? "")
    .digest("hex")
    .slice(0, 32)}`;
}

/**
 * Checks job data read back from Redis before anything is run: whoever can write to Redis must
 * not be able to smuggle a string where a PID (an integer in a command line) goes.
 * @returns what is wrong, or undefined when the data is well-formed.
 */
export function invalidJobData(data: unknown): string | undefined {
  const d = data as Partial<DiagnoseJobData> | undefined;
  const r = d?.request as Partial<DiagnoseRequest> | undefined;
  if (d?.v !== 1 || !r) return "not a diagnose job of this version";
  if (typeof d.diagnosisId !== "string" || !DIAGNOSIS_ID.test(d.diagnosisId))
    return "bad diagnosis id";
  if (typeof r.host !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(r.host))
    return "bad host name";
  if (!(SYMPTOMS as readonly unknown[]).includes(r.symptom)) return "bad symptom";
  if (!Number.isInteger(r.windowSeconds) || r.windowSeconds! < 1 || r.windowSeconds! > 60)
    return "bad window";
  if (r.pid !== undefined && (!Number.isInteger(r.pid) || r.pid < 1 || r.pid > 2 ** 22))
    return "bad pid";
  if (r.process !== undefined && (typeof r.process !== "string" || !PROCESS_NAME.test(r.process)))
    return "bad process name";
  if (typeof r.deep !== "boolean") return "bad deep flag";
  return undefined;
}
