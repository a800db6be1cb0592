import type { AuditLostEvent, AuditLostReason } from "../../parsers/dmesg.js";
import type { FactBag } from "../types.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Audit records the kernel dropped (kernel/audit.c audit_log_lost), as the kernel log tells
 * them. With syscall audit rules every audited system call makes a record; records made faster
 * than auditd takes them fill the queue to it (`backlog limit exceeded`; from 6.x also
 * `kauditd retry queue overflow`, auditd's socket full) or pass the rate limit (`rate limit
 * exceeded`). Reports whose printed numbers contradict their claim are not counted (a note says
 * so); reports of records dropped for want of an auditd or of memory are not an overflow.
 */

/** Reasons that say the records came faster than auditd drained the queue to it. */
const OVERFLOW: ReadonlySet<AuditLostReason | undefined> = new Set(["backlog", "retry-queue"]);

export const auditLog: LogJudge = {
  name: "audit",
  provides: [
    {
      path: "audit.log.overflows",
      says: "{} audit records dropped because the queue to auditd was full",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Reports of an audit record dropped because the queue to auditd was full (`audit: audit_backlog=N > audit_backlog_limit=M`, `audit: backlog limit exceeded`, `audit: kauditd retry queue overflow`), current, numbers consistent with the claim. Each report is one record; the kernel prints at most a few a second.",
    },
    {
      path: "audit.log.rate_limited",
      says: "{} audit records dropped by the audit rate limit",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Reports of an audit record dropped for passing audit_rate_limit (`audit: rate limit exceeded`), current, with a rate limit that is not 0.",
    },
    {
      path: "audit.log.lost",
      type: "number",
      unit: "records",
      from: LOG,
      doc: "The largest `audit_lost=` printed by a counted report: audit records lost since boot (the kernel's running count).",
    },
    {
      path: "audit.log.backlog",
      type: "number",
      unit: "records",
      from: LOG,
      doc: "The largest `audit_backlog=` printed by a counted report: records waiting for auditd when one was dropped.",
    },
    {
      path: "audit.log.backlog_limit",
      type: "number",
      unit: "records",
      from: LOG,
      doc: "`audit_backlog_limit=` of the last counted report that printed it (`auditctl -b`; the kernel's default is 64).",
    },
    {
      path: "audit.log.rate_limit",
      type: "number",
      unit: "records/s",
      from: LOG,
      doc: "`audit_rate_limit=` of the last counted report that printed it (`auditctl -r`; 0 = no limit).",
    },
    {
      path: "audit.log.contradicting",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "Reports of a lost audit record whose printed numbers contradict their claim (a backlog not above its limit, a limit of 0 said exceeded, `audit_lost=0`): not counted above.",
    },
  ],
  judge(ev, bag) {
    const all = ev.of("audit-lost") as AuditLostEvent[];
    const odd = all.filter((e) => e.contradiction !== undefined);
    const sound = all.filter((e) => e.contradiction === undefined);
    const overflows = sound.filter((e) => OVERFLOW.has(e.reason));
    const rated = sound.filter((e) => e.reason === "rate-limit");
    const counted = [...overflows, ...rated];
    bag.set("audit.log.overflows", overflows.length, SRC, overflows[0]?.text);
    bag.set("audit.log.rate_limited", rated.length, SRC, rated[0]?.text);
    bag.set("audit.log.contradicting", odd.length, SRC, odd[0]?.text);
    if (odd.length > 0) {
      bag.note(
        `${odd.length} kernel report${odd.length === 1 ? "" : "s"} of a lost audit record not counted: the numbers contradict the claim (${odd[0].contradiction}).`,
      );
    }
    largest(bag, "audit.log.lost", counted, (e) => e.lost);
    largest(bag, "audit.log.backlog", counted, (e) => e.backlog);
    const bl = counted.filter((e) => e.backlog_limit !== undefined).pop();
    if (bl?.backlog_limit !== undefined)
      bag.set("audit.log.backlog_limit", bl.backlog_limit, SRC, bl.text);
    const rl = counted.filter((e) => e.rate_limit !== undefined).pop();
    if (rl?.rate_limit !== undefined) bag.set("audit.log.rate_limit", rl.rate_limit, SRC, rl.text);
  },
};

/** Sets `path` to the largest value `of` gives over `events`, citing its report; unset when none. */
function largest(
  bag: FactBag,
  path: string,
  events: readonly AuditLostEvent[],
  of: (e: AuditLostEvent) => number | undefined,
): void {
  const best = events
    .filter((e) => of(e) !== undefined)
    .sort((a, b) => (of(b) ?? 0) - (of(a) ?? 0))[0];
  const v = best === undefined ? undefined : of(best);
  if (v !== undefined) bag.set(path, v, SRC, best?.text);
}
