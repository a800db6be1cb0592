import { describe, expect, it } from "vitest";
import { audit } from "../../../src/parsers/dmesg/audit.js";
import { parseDmesg } from "../../../src/parsers/dmesg.js";
import { isListed, readWith } from "./read-with.js";

/**
 * Lines composed from the format strings of kernel/audit.c, with the `audit: ` the kernel puts
 * before them (a literal in the printk calls of 2.6.18–3.10 and RHEL7, pr_fmt `KBUILD_MODNAME ": "`
 * from 4.9 on):
 * - audit_log_start: `"audit: audit_backlog=%d > " "audit_backlog_limit=%d\n"` (2.6.18, 2.6.32.69,
 *   3.10.105, RHEL7), `pr_warn("audit_backlog=%d > audit_backlog_limit=%d\n")` (4.9.115–6.19);
 * - audit_log_lost: `"audit: audit_lost=%d audit_rate_limit=%d " "audit_backlog_limit=%d\n"`
 *   (2.6.18–3.10), `pr_warn("audit_lost=%u audit_rate_limit=%u audit_backlog_limit=%u\n")` (4.9+);
 * - audit_panic `"audit: %s\n"` / `pr_err("%s\n")` with the reasons passed to audit_log_lost:
 *   `"backlog limit exceeded"`, `"rate limit exceeded"`, `"out of memory in audit_log_start"`,
 *   `"out of memory in audit_expand"` (every version), `"printk limit exceeded\n"` (2.6.32.69,
 *   3.10.105; without `\n` in RHEL7 and 4.9.115), `"auditd dissapeared\n"` (2.6.32.69),
 *   `"auditd disappeared\n"` (3.10.105), `"audit_pid=%d reset"` (RHEL7, 4.9.115),
 *   `"kauditd hold queue overflow"` (4.12–6.19), `"kauditd retry queue overflow"` (6.8, 6.19).
 */
describe("audit family (kernel/audit.c audit_log_lost)", () => {
  it("is listed with its sources", () => expect(isListed(audit)).toBe(true));

  it("reads a backlog overflow's three lines as one lost record", () => {
    const events = readWith(audit, [
      "[ 8123.004101] audit: audit_backlog=8193 > audit_backlog_limit=8192",
      "[ 8123.004103] audit: audit_lost=17 audit_rate_limit=0 audit_backlog_limit=8192",
      "[ 8123.004104] audit: backlog limit exceeded",
    ]);
    expect(events).toEqual([
      {
        kind: "audit-lost",
        line: 1,
        end_line: 3,
        t_s: 8123.004101,
        text: "[ 8123.004101] audit: audit_backlog=8193 > audit_backlog_limit=8192",
        reason: "backlog",
        backlog: 8193,
        backlog_limit: 8192,
        lost: 17,
        rate_limit: 0,
      },
    ]);
  });

  it("splits the interleaved lines of several CPUs into one report per lost record", () => {
    // With `auditctl -f 0` (AUDIT_FAIL_SILENT) audit_panic prints no reason line.
    const events = readWith(audit, [
      "[ 8123.004110] audit: audit_backlog=8193 > audit_backlog_limit=8192",
      "[ 8123.004111] audit: audit_backlog=8194 > audit_backlog_limit=8192",
      "[ 8123.004112] audit: audit_lost=18 audit_rate_limit=0 audit_backlog_limit=8192",
      "[ 8123.004113] audit: audit_lost=19 audit_rate_limit=0 audit_backlog_limit=8192",
    ]);
    expect(events.map((e) => [e.line, e.end_line])).toEqual([
      [1, undefined],
      [2, 3],
      [4, undefined],
    ]);
    expect(events[1]).toMatchObject({ backlog: 8194, lost: 18, reason: "backlog" });
    expect(events[2]).toMatchObject({ lost: 19, backlog_limit: 8192 });
    expect(events[2]).not.toHaveProperty("reason");
  });

  it("reads each reason line, with and without its count line", () => {
    const reasons = [
      ["audit: backlog limit exceeded", "backlog"],
      ["audit: rate limit exceeded", "rate-limit"],
      ["audit: printk limit exceeded", "printk-limit"],
      ["audit: auditd dissapeared", "auditd-gone"],
      ["audit: auditd disappeared", "auditd-gone"],
      ["audit: audit_pid=1234 reset", "auditd-gone"],
      ["audit: kauditd hold queue overflow", "hold-queue"],
      ["audit: kauditd retry queue overflow", "retry-queue"],
      ["audit: out of memory in audit_log_start", "out-of-memory"],
      ["audit: out of memory in audit_expand", "out-of-memory"],
    ];
    for (const [line, reason] of reasons) {
      const alone = readWith(audit, [`[  77.100000] ${line}`, "[  77.100001] "]);
      expect(alone, line).toHaveLength(1);
      expect(alone[0], line).toMatchObject({ kind: "audit-lost", reason });
      const counted = readWith(audit, [
        "[  77.100000] audit: audit_lost=5 audit_rate_limit=200 audit_backlog_limit=320",
        `[  77.100001] ${line}`,
      ]);
      expect(counted, line).toHaveLength(1);
      expect(counted[0], line).toMatchObject({ reason, lost: 5, rate_limit: 200, end_line: 2 });
    }
  });

  it("reads the panic of the panic failure mode (auditctl -f 2) as the lost record, not as a bug", () => {
    // audit_panic: `panic("audit: %s\n", message)` (2.6.18–6.19).
    const { facts } = parseDmesg([
      "[  100.100000] audit: audit_lost=7 audit_rate_limit=0 audit_backlog_limit=8192",
      "[  100.100001] Kernel panic - not syncing: audit: backlog limit exceeded",
      "[  100.200000] Kernel panic - not syncing: audit: rate limit exceeded",
    ]);
    expect(facts.counts).toEqual({ "audit-lost": 2 });
    expect(facts.events[0]).toMatchObject({ reason: "backlog", lost: 7, panic: true, end_line: 2 });
    expect(facts.events[1]).toMatchObject({ reason: "rate-limit", panic: true });
    const other = parseDmesg([
      "[  1.0] Kernel panic - not syncing: audit: failed to start the kauditd thread (-12)",
    ]);
    expect(other.facts.counts).toEqual({ "kernel-bug": 1 });
  });

  it("reads the lines behind every prefix of the kernel log formats", () => {
    const { facts } = parseDmesg([
      "[Mon Dec  7 10:00:00 2026] audit: audit_backlog=321 > audit_backlog_limit=320",
      "Dec  7 10:00:01 host kernel: audit: audit_lost=3 audit_rate_limit=0 audit_backlog_limit=320",
      "2026-12-07T10:00:02.000000+00:00 host kernel: audit: backlog limit exceeded",
      "4,1022,8123004101,-;audit: audit_backlog=65 > audit_backlog_limit=64",
      "audit: audit_backlog=65 > audit_backlog_limit=64",
    ]);
    expect(facts.counts).toEqual({ "audit-lost": 3 });
    expect(facts.events[0]).toMatchObject({
      wallclock: "2026-12-07T10:00:00",
      backlog: 321,
      lost: 3,
      reason: "backlog",
      end_line: 3,
    });
    expect(facts.events[1]).toMatchObject({ level: "warn", backlog: 65, backlog_limit: 64 });
    expect(facts.events[2]).toMatchObject({ backlog: 65 });
  });

  it("marks a message whose numbers contradict its claim", () => {
    const events = readWith(audit, [
      "[  90.000000] audit: audit_backlog=60 > audit_backlog_limit=64",
      "[  91.000000] audit: audit_lost=4 audit_rate_limit=0 audit_backlog_limit=0",
      "[  91.000001] audit: backlog limit exceeded",
      "[  92.000000] audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64",
      "[  92.000001] audit: rate limit exceeded",
      "[  93.000000] audit: audit_lost=0 audit_rate_limit=100 audit_backlog_limit=64",
      "[  94.000000] audit: audit_backlog=8193 > audit_backlog_limit=8192",
    ]);
    expect(events.map((e) => (e as { contradiction?: string }).contradiction)).toEqual([
      "audit_backlog 60 is not above audit_backlog_limit 64",
      "a backlog limit exceeded with audit_backlog_limit 0, which means no limit",
      "a rate limit exceeded with audit_rate_limit 0, which means no limit",
      "audit_lost 0, though the kernel counts the lost record before printing",
      undefined,
    ]);
  });

  it("leaves the audit records and the other audit lines alone", () => {
    const { facts } = parseDmesg([
      "[    0.000000] audit: audit_backlog_limit: 8192",
      "[    0.312345] audit: initializing netlink subsys (disabled)",
      "[    0.312400] audit: type=2000 audit(1733565600.312:1): state=initialized audit_enabled=0 res=1",
      '[    5.100000] audit: type=1400 audit(1733565605.100:2): apparmor="STATUS" operation="profile_load" profile="unconfined" name="nvidia_modprobe" pid=612 comm="apparmor_parser"',
      "[    6.000000] audit: type=1305 audit(1733565606.000:3): op=set audit_backlog_limit=8192 old=64 auid=4294967295 ses=4294967295 res=1",
      "[    6.100000] audit_log_start: 12 callbacks suppressed",
      "[    6.200000] audit: audit: error setting audit state (-22)",
    ]);
    expect(facts.events).toEqual([]);
  });
});
