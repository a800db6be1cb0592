import { describe, expect, it } from "vitest";
import { auditLog } from "../../../src/derive/kernel-log/audit.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { AUDIT_BACKLOG, AUDIT_ODD, AUDIT_RATE, FILE_MAX } from "./lines.js";

describe("audit judge (kernel/audit.c audit_log_lost)", () => {
  it("counts records dropped with the queue to auditd full, and over the rate limit", () => {
    const bag = judgeWith(auditLog, [...AUDIT_BACKLOG, ...AUDIT_RATE]);
    expect(found(bag)).toEqual({
      "audit.log.overflows": 1,
      "audit.log.rate_limited": 1,
      "audit.log.lost": 212,
      "audit.log.backlog": 8193,
      "audit.log.backlog_limit": 8192,
      "audit.log.rate_limit": 500,
    });
    expect(bag.excerpts.get("audit.log.overflows")).toBe(AUDIT_BACKLOG[0]);
    expect(bag.excerpts.get("audit.log.rate_limited")).toBe(AUDIT_RATE[0]);
    expect(bag.excerpts.get("audit.log.lost")).toBe(AUDIT_RATE[0]);
    expect(bag.sources.get("audit.log.overflows")).toBe("dmesg");
    expect(bag.notes).toEqual([]);
  });

  it("does not count a report whose numbers contradict it, and says so", () => {
    const bag = judgeWith(auditLog, [AUDIT_ODD]);
    expect(found(bag)).toEqual({ "audit.log.contradicting": 1 });
    expect(bag.values.get("audit.log.overflows")).toBe(0);
    expect(bag.values.has("audit.log.backlog")).toBe(false);
    expect(bag.notes).toEqual([
      "1 kernel report of a lost audit record not counted: the numbers contradict the claim (audit_backlog 60 is not above audit_backlog_limit 64).",
    ]);
  });

  it("does not count records lost for want of an auditd or of memory", () => {
    const bag = judgeWith(auditLog, [
      "[  30.100000] audit: kauditd hold queue overflow",
      "[  30.200000] audit: audit_lost=2 audit_rate_limit=0 audit_backlog_limit=64",
      "[  30.200001] audit: out of memory in audit_log_start",
    ]);
    expect(found(bag)).toEqual({});
  });

  it("says 0 for a log without them, and for drops older than the look-back", () => {
    const none = judgeWith(auditLog, bundleDmesg("20-tsc-unstable-hpet-clock-gettime-overhead"));
    expect(found(none)).toEqual({});
    expect(none.values.get("audit.log.overflows")).toBe(0);
    const old = judgeWith(auditLog, [...AUDIT_BACKLOG, FILE_MAX], { uptimeS: 1020.5 + 3700 });
    expect(found(old)).toEqual({});
  });
});
