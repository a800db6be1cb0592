import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { ReplyTarget } from "../model/answer.js";
import type { Symptom } from "../model/report.js";
import { type DiagnoseRequest, DiagnoseRequestSchema, TicketSchema } from "../model/request.js";

/**
 * What travels through the queue. Job data holds only validated values: the host is an
 * inventory name, the symptom one of SYMPTOMS, the process name a comm value (isProcessName). The
 * worker checks the host against its own inventory again before connecting.
 */

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
  /**
   * The first requester's reply target (channel, thread, root message ts, user), kept with the
   * job so that the answer still reaches them when the `targets:{job}` set is gone (Redis
   * restarted without persistence while the diagnosis ran). Absent in jobs queued by older
   * versions.
   */
  replyTo?: ReplyTarget;
}

/** What a worker returns for a job (kept in BullMQ's completed set). */
export interface DiagnoseJobResult {
  diagnosisId: string;
  category?: string;
  targets: number;
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

/** One follow-up question of a diagnosis thread and the answer shown (both redacted). */
export interface FollowUpRecord {
  /** Slack user id of who asked. */
  user: string;
  /** ms since the epoch. */
  at: number;
  question: string;
  answer: string;
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
    ...(r.evidence ? [r.evidence] : []),
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

/** A reply target as read back from Redis (job data, delivery jobs). */
export const ReplyTargetSchema = z
  .object(
    {
      user: z.string().max(64),
      channel: z.string().max(64),
      ts: z.string().max(64).optional(),
      threadTs: z.string().max(64).optional(),
      responseUrl: z.string().url().max(2048).optional(),
      ticket: TicketSchema.optional(),
    },
    { message: "bad reply target" },
  )
  .strict();

/** Job data as read back from Redis: a diagnose job of this version, its request validated. */
const DiagnoseJobDataSchema = z.object({
  v: z.literal(1, { message: "not a diagnose job of this version" }),
  diagnosisId: z.string({ message: "bad diagnosis id" }).regex(DIAGNOSIS_ID, "bad diagnosis id"),
  request: DiagnoseRequestSchema,
  replyTo: ReplyTargetSchema.optional(),
});

/**
 * Checks job data read back from Redis before anything is run, with the request schema every
 * door uses: whoever can write to Redis must not be able to smuggle a string where a PID (an
 * integer in a command line) goes.
 * @returns what is wrong, or undefined when the data is well-formed.
 */
export function invalidJobData(data: unknown): string | undefined {
  const d = data as Partial<DiagnoseJobData> | undefined;
  if (d?.v !== 1 || typeof d.request !== "object" || d.request === null)
    return "not a diagnose job of this version";
  const parsed = DiagnoseJobDataSchema.safeParse(data);
  return parsed.success ? undefined : parsed.error.issues[0].message;
}
