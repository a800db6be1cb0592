import ms from "ms";
import { z } from "zod";
import { DiagbotError } from "./errors.js";
import { SYMPTOMS, type Symptom } from "./report.js";
import { formatTicketKey, parseTicketKey } from "./ticket.js";

/**
 * One diagnosis request and its validation (DESIGN.md "CLI contract"), shared by every door:
 * the CLI's options, Slack's `/diagnose` text and the queue's job data all go through
 * {@link DiagnoseRequestSchema}. Text is read by the `parse*` functions below, whose errors
 * quote the bad value and say what is accepted (usage errors: the CLI exits 2 on them).
 */

/** A host name as a request may give it: an inventory name, `local`, or a replay label. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The kernel keeps a task's name (`comm`) in TASK_COMM_LEN = 16 bytes, NUL included
 * (include/linux/sched.h): 15 bytes. But `/proc/PID/comm` and `ps` show a workqueue worker as
 * `kworker/<pool>-<workqueue>` (fs/proc/array.c proc_task_name → wq_worker_comm, 4.19 and
 * later), written into a 64-byte buffer: a name as `ps -eo comm` shows it is 63 bytes at most.
 */
export const COMM_MAX_BYTES = 63;

/**
 * `--process NAME`: a `comm` value (DESIGN.md "CLI contract"): 1 to 63 bytes of printable text
 * (no NUL, newline or other control character), which may hold `/`, `:` and spaces
 * (`kworker/0:1H`, `Web Content`), and neither starts nor ends with a space (the `ps` listing it
 * is matched against cannot show those). It is compared with that listing, never given to a shell.
 */
export function isProcessName(text: string): boolean {
  const bytes = Buffer.byteLength(text, "utf8");
  return (
    bytes >= 1 &&
    bytes <= COMM_MAX_BYTES &&
    !/[\p{Cc}\u2028\u2029]/u.test(text) &&
    text.trim() === text
  );
}

/** The highest PID Linux hands out (`kernel.pid_max` is at most 2^22, PIDs stay below it). */
export const MAX_PID = 2 ** 22 - 1;

/** The bounds of `--window`, seconds (DESIGN.md "CLI contract"): every door and RBAC use them. */
export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 60;

/** What a request asks, without the host: the options of `diagnose` and `/diagnose`. */
export const DiagnoseOptionsSchema = z.object({
  symptom: z.enum(SYMPTOMS, { message: "bad symptom" }),
  /** Sampling window, seconds (1..60). */
  windowSeconds: z
    .number({ message: "bad window" })
    .int("bad window")
    .min(MIN_WINDOW_SECONDS, "bad window")
    .max(MAX_WINDOW_SECONDS, "bad window"),
  pid: z
    .number({ message: "bad pid" })
    .int("bad pid")
    .min(1, "bad pid")
    .max(MAX_PID, "bad pid")
    .optional(),
  /** A process name (`comm`), matched against `ps -eo pid=,comm=` on the host, never a shell. */
  process: z
    .string({ message: "bad process name" })
    .refine(isProcessName, "bad process name")
    .optional(),
  /** Intrusive collectors too (strace, perf record): at most one such job per host at a time. */
  deep: z.boolean({ message: "bad deep flag" }),
});
export type DiagnoseOptions = z.infer<typeof DiagnoseOptionsSchema>;

/** The SHA-256 (hex) of pasted evidence kept in the queue's store. */
export const PASTED_ID = /^[0-9a-f]{64}$/;

/**
 * The host of a request for pasted evidence: a label, never looked up in the inventory (a host
 * name in a pasted prompt is never taken as an inventory host).
 */
export const PASTED_HOST = "pasted-evidence";

/**
 * One diagnosis request: the host and the options. Identical requests share one run. With
 * `evidence` (pasted in chat), the host is {@link PASTED_HOST} and nothing is collected: the
 * evidence kept under that id is read.
 */
export const DiagnoseRequestSchema = DiagnoseOptionsSchema.extend({
  host: z.string({ message: "bad host name" }).regex(HOST_NAME, "bad host name"),
  evidence: z.string({ message: "bad evidence id" }).regex(PASTED_ID, "bad evidence id").optional(),
});
export type DiagnoseRequest = z.infer<typeof DiagnoseRequestSchema>;

/**
 * `--ticket SYSTEM:KEY` (DESIGN "Tickets and narrative"): where a requester wants the evidence.
 * It belongs to the requester, not to the run (two people asking the same diagnosis share one
 * run and may name two tickets), so it travels with the reply target, not in the request. Read
 * back from Redis, it must still be one of DESIGN's key forms, written as {@link parseTicket}
 * writes it.
 */
export const TicketSchema = z
  .string({ message: "bad ticket key" })
  .max(300, "bad ticket key")
  .refine((text) => {
    try {
      return parseTicket(text) === text;
    } catch {
      return false;
    }
  }, "bad ticket key");

/**
 * Typed `SYSTEM:KEY` → its canonical text (`github:owner/repo#12`), quotes a chat client put
 * around it (`"…"`, `` `…` ``) removed.
 * @throws DiagbotError `usage` naming the expected forms.
 */
export function parseTicket(text: string): string {
  const bare = text.replace(/^(["'`])(.*)\1$/s, "$2");
  return formatTicketKey(parseTicketKey(bare));
}

/** The options as a person types them (CLI flags, Slack command text). */
export interface DiagnoseOptionsText {
  symptom?: string;
  window: string;
  pid?: string;
  process?: string;
  deep: boolean;
}

/**
 * Reads typed option text into validated options, field by field in the order symptom, window,
 * pid, process (the first bad one is reported).
 * @throws DiagbotError `usage` quoting the bad value and naming what is accepted.
 */
export function parseDiagnoseOptions(text: DiagnoseOptionsText): DiagnoseOptions {
  const options: DiagnoseOptions = {
    symptom: parseSymptom(text.symptom),
    windowSeconds: parseWindow(text.window),
    deep: text.deep,
  };
  if (text.pid !== undefined) options.pid = parsePid(text.pid);
  if (text.process !== undefined) options.process = parseProcessName(text.process);
  return DiagnoseOptionsSchema.parse(options);
}

/** `5`, `5s` or `1500ms` → whole seconds, 1..60 (rounded up to whole seconds for the tools). */
export function parseWindow(text: string): number {
  let msValue: number | undefined;
  try {
    msValue = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  } catch {
    msValue = undefined;
  }
  if (typeof msValue !== "number" || !Number.isFinite(msValue)) {
    throw new DiagbotError("usage", `--window ${quoted(text)}: not a duration`, {
      hint: "write it as 5, 5s or 1500ms, from 1 s to 60 s",
    });
  }
  if (msValue < MIN_WINDOW_SECONDS * 1000 || msValue > MAX_WINDOW_SECONDS * 1000) {
    throw new DiagbotError("usage", `--window ${quoted(text)}: expected 1 s to 60 s`, {
      hint: "write it as 5, 5s or 1500ms",
    });
  }
  return Math.ceil(msValue / 1000);
}

export function parseSymptom(text: string | undefined): Symptom {
  if (text === undefined) return "health";
  if ((SYMPTOMS as readonly string[]).includes(text)) return text as Symptom;
  const shown = text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
  throw new DiagbotError("usage", `unknown symptom ${JSON.stringify(shown)}`, {
    hint: `choose one of: ${SYMPTOMS.join(", ")}`,
  });
}

export function parsePid(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > MAX_PID) {
    throw new DiagbotError(
      "usage",
      `--pid ${quoted(text)}: expected a process id (1 to ${MAX_PID})`,
    );
  }
  return Number(text);
}

export function parseProcessName(text: string): string {
  if (!isProcessName(text)) {
    throw new DiagbotError("usage", `--process ${quoted(text)}: not a process name`, {
      hint: `a process name is the kernel's comm, as \`ps -eo comm\` shows it: 1 to ${COMM_MAX_BYTES} bytes, printable, no leading or trailing space (kworker/0:1H, "Web Content")`,
    });
  }
  return text;
}

/** A bad value as an error quotes it: JSON, cut to 64 characters (a 100 kB value is not echoed). */
function quoted(text: string): string {
  return text.length > 64
    ? `${JSON.stringify(text.slice(0, 64))}… (${text.length} characters)`
    : JSON.stringify(text);
}

/** A replay label: `[A-Za-z0-9._-]+`, never looked up in the inventory. */
export function parseLabel(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(text)) {
    throw new DiagbotError(
      "usage",
      `target ${JSON.stringify(text)}: a replay label is letters, digits and ._-`,
    );
  }
  return text;
}
