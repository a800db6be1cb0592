/**
 * Audit family: audit records the kernel dropped (`audit_log_lost`). With syscall audit rules,
 * every audited system call makes a record, queued for auditd (or printed when no auditd is
 * connected); when the queue is full, the rate limit is reached or memory runs out, the record
 * is lost and the kernel prints up to three lines, each rate-limited on its own:
 * `audit: audit_backlog=%d > audit_backlog_limit=%d` (the backlog case only), then
 * `audit: audit_lost=%u audit_rate_limit=%u audit_backlog_limit=%u`, then the reason
 * (`audit: backlog limit exceeded`; audit_panic, printed only in the default failure mode
 * AUDIT_FAIL_PRINTK, `auditctl -f 1`). On a busy host the lines of several CPUs interleave.
 * Source: kernel/audit.c (audit_log_start, audit_log_lost, audit_panic, audit_log_end,
 * audit_printk_skb / kauditd_hold_skb / kauditd_retry_skb), read in 2.6.18, 2.6.32.69,
 * 3.10.105, RHEL7 3.10.0-1160, 4.9.115, 4.12, RHEL8 4.18.0-147, 5.14-rc5, 6.8 and 6.19.
 */
import type { AuditLostEvent, AuditLostReason } from "./events.js";
import type { Prefixed } from "./prefix.js";
import type { Family, KernelLogReader, Taken } from "./reader.js";
import { Match } from "./text.js";

/**
 * audit_log_start: `"audit: audit_backlog=%d > " "audit_backlog_limit=%d\n"` (printk, 2.6.18–
 * 3.10 and RHEL7), `pr_warn("audit_backlog=%d > audit_backlog_limit=%d\n")` with pr_fmt
 * `audit: ` (4.9–6.19): records waiting for auditd, above the limit (`auditctl -b`).
 */
const BACKLOG = /^audit: audit_backlog=(\d+) > audit_backlog_limit=(\d+)\s*$/;

/**
 * audit_log_lost: `"audit: audit_lost=%d audit_rate_limit=%d audit_backlog_limit=%d\n"`
 * (2.6.18–3.10, RHEL7), `pr_warn("audit_lost=%u audit_rate_limit=%u audit_backlog_limit=%u\n")`
 * (4.9–6.19). audit_lost counts every record lost since boot, the one at hand included.
 */
const LOST = /^audit: audit_lost=(\d+) audit_rate_limit=(\d+) audit_backlog_limit=(\d+)\s*$/;

/**
 * The reasons given to audit_log_lost, printed by audit_panic as `"audit: %s\n"` (printk,
 * ≤ 3.10) or `pr_err("%s\n")` (pr_fmt `audit: `, 4.9+); 2.6.32 and 3.10 end two of them with
 * their own `\n`. `backlog limit exceeded` (audit_log_start, every version), `rate limit exceeded`
 * (audit_log_end, every version), `printk limit exceeded` (audit_printk_skb, 2.6.32–4.9),
 * `auditd dissapeared` (2.6.32) / `auditd disappeared` (3.10.105), `audit_pid=%d reset` (RHEL7,
 * 4.9), `kauditd hold queue overflow` (kauditd_hold_skb, 4.12+), `kauditd retry queue overflow`
 * (kauditd_hold_skb / kauditd_retry_skb, 6.8, 6.19), `out of memory in audit_log_start` and
 * `out of memory in audit_expand` (every version).
 */
const REASONS: readonly [RegExp, AuditLostReason][] = [
  [/^audit: backlog limit exceeded\s*$/, "backlog"],
  [/^audit: kauditd retry queue overflow\s*$/, "retry-queue"],
  [/^audit: rate limit exceeded\s*$/, "rate-limit"],
  [/^audit: printk limit exceeded\s*$/, "printk-limit"],
  [/^audit: kauditd hold queue overflow\s*$/, "hold-queue"],
  [/^audit: (?:auditd dis+ap+eared|audit_pid=\d+ reset)\s*$/, "auditd-gone"],
  [/^audit: out of memory in audit_(?:log_start|expand)\s*$/, "out-of-memory"],
];

/**
 * audit_panic in the panic failure mode (`auditctl -f 2`): `panic("audit: %s\n", message)` in
 * every version read, shown as `Kernel panic - not syncing: audit: backlog limit exceeded`.
 */
const PANIC = /^Kernel panic - not syncing: (?=audit: )/;

/** The reason a reason line gives (the line of a panic included), and whether it is a panic. */
function reasonOf(msg: string): { reason: AuditLostReason; panic: boolean } | undefined {
  const panic = PANIC.exec(msg);
  const text = panic ? msg.slice(panic[0].length) : msg;
  for (const [re, reason] of REASONS) if (re.test(text)) return { reason, panic: panic !== null };
  return undefined;
}

/** Sets the reason a reason line gave on `e`. */
function giveReason(e: AuditLostEvent, given: { reason: AuditLostReason; panic: boolean }): void {
  e.reason = given.reason;
  if (given.panic) e.panic = true;
}

/**
 * Why the printed numbers contradict the claim, if they do: audit_log_start prints the backlog
 * only while it is above a limit that is not 0 (0 = no limit), audit_rate_check never fails with
 * a rate limit of 0 (no limit), and audit_log_lost counts the record before printing the count.
 */
function contradiction(e: AuditLostEvent): string | undefined {
  if (e.backlog !== undefined && e.backlog_limit !== undefined && e.backlog <= e.backlog_limit)
    return `audit_backlog ${e.backlog} is not above audit_backlog_limit ${e.backlog_limit}`;
  if (e.reason === "backlog" && e.backlog_limit === 0)
    return "a backlog limit exceeded with audit_backlog_limit 0, which means no limit";
  if (e.reason === "rate-limit" && e.rate_limit === 0)
    return "a rate limit exceeded with audit_rate_limit 0, which means no limit";
  if (e.lost === 0) return "audit_lost 0, though the kernel counts the lost record before printing";
  return undefined;
}

/**
 * Reads the `audit_lost=` line into `e`; false when it is not one, or when it prints another
 * backlog limit than `e` already has (the line of another record).
 */
function readLost(e: AuditLostEvent, msg: string): boolean {
  const m = LOST.exec(msg);
  if (!m || (e.backlog_limit !== undefined && e.backlog_limit !== Number(m[3]))) return false;
  e.lost = Number(m[1]);
  e.rate_limit = Number(m[2]);
  e.backlog_limit = Number(m[3]);
  return true;
}

/** A following line of one lost record's report: its count line, then its reason (the last line). */
function takeAuditLine(e: AuditLostEvent, msg: string): Taken {
  const t = msg.trimStart();
  if (e.lost === undefined && readLost(e, t)) return true;
  const given = reasonOf(t);
  // After a backlog line, only its own reason ends the report.
  if (given === undefined || (e.reason !== undefined && given.reason !== e.reason)) return false;
  giveReason(e, given);
  return "end";
}

/** Notes on the event why its numbers contradict its claim, when they do. */
function judgeClaim(e: AuditLostEvent): void {
  const why = contradiction(e);
  if (why !== undefined) e.contradiction = why;
}

export const audit: Family = {
  name: "audit",
  sources: ["kernel/audit.c"],
  classify(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean {
    const e: AuditLostEvent = { ...r.base("audit-lost", p, raw), kind: "audit-lost" };
    const mt = new Match();
    if (mt.test(BACKLOG, t)) {
      e.backlog = Number(mt.m[1]);
      e.backlog_limit = Number(mt.m[2]);
      e.reason = "backlog";
    } else if (!readLost(e, t)) {
      const given = reasonOf(t);
      if (given === undefined) return false;
      // A reason line alone: its count and backlog lines were rate-limited, or not printed.
      giveReason(e, given);
      judgeClaim(e);
      return r.single(e);
    }
    r.open({ event: e, take: (_p, msg) => takeAuditLine(e, msg), close: () => judgeClaim(e) }, p);
    return true;
  },
};
