import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";
import { type CpuShare, mpstatOutput } from "../helpers/mpstat.js";

/**
 * audit-backlog-overflow replayed as bundles: the Debian VM's dmesg
 * (test/fixtures/dmesg/vm-debian12-k6.18__dmesg.txt) with lines appended as kernel/audit.c prints
 * them after its last one (715.95 s): audit_log_start `audit_backlog=%d > audit_backlog_limit=%d`,
 * audit_log_lost `audit_lost=%u audit_rate_limit=%u audit_backlog_limit=%u`, audit_panic's
 * reason (`backlog limit exceeded`, `rate limit exceeded`, `kauditd hold queue overflow`), each
 * with the `audit: ` pr_fmt prefix; mpstat in sysstat's layout (test/helpers/mpstat.ts).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The VM's dmesg with `lines` printed 0.2 s after its last line, a microsecond apart. */
function dmesg(lines: readonly string[]): string {
  const base = readFixture("dmesg/vm-debian12-k6.18__dmesg.txt");
  const at = (i: number) => `[  716.${String(152944 + i).padStart(6, "0")}]`;
  return base + lines.map((l, i) => `${at(i)} ${l}\n`).join("");
}

/** One record dropped with the queue to auditd full, in its three lines. */
function overflow(lost: number, limit = 8192): string[] {
  return [
    `audit: audit_backlog=${limit + 1} > audit_backlog_limit=${limit}`,
    `audit: audit_lost=${lost} audit_rate_limit=0 audit_backlog_limit=${limit}`,
    "audit: backlog limit exceeded",
  ];
}

/** The CPUs 38 % in the kernel; 9 % when the kernel is not busy. */
const IN_KERNEL: CpuShare[] = [
  { usr: 30, sys: 40 },
  { usr: 28, sys: 36 },
];
const QUIET: CpuShare[] = [
  { usr: 12, sys: 9 },
  { usr: 10, sys: 9 },
];

async function replay(lines: readonly string[], cpus?: CpuShare[]) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-audit-"));
  dirs.push(dir);
  writeFileSync(join(dir, "dmesg.out"), dmesg(lines));
  if (cpus) writeFileSync(join(dir, "mpstat.out"), mpstatOutput(cpus));
  const report = (await diagnoseBundle(dir, "t", "cpu", await loadRunbooks())).report;
  return {
    report,
    hyp: (rule: string) => report.hypotheses.find((x) => x.rule === rule),
    verdict: (rule: string) => report.checked.find((c) => c.rule === rule)?.verdict,
  };
}

describe("audit records dropped with the queue to auditd full (audit-backlog-overflow)", () => {
  it("three records dropped while the CPUs are 38 % in the kernel: syscall-heavy", async () => {
    const { hyp } = await replay(
      [...overflow(4711), ...overflow(4712), ...overflow(4713)],
      IN_KERNEL,
    );
    const h = hyp("audit-backlog-overflow");
    expect(h?.category).toBe("syscall-heavy");
    expect(h?.title).toBe(
      "Audit rules record system calls faster than auditd takes the records: the kernel logged 3 record(s) dropped with its queue to auditd full (backlog limit 8192)",
    );
    expect(h?.key).toBe("t/audit-backlog-overflow/host");
    // base 0.5, system time 38 % ≥ 20 adds 0.15, more than one record adds 0.05
    expect(h?.confidence).toBeCloseTo(0.7, 5);
    const line = h?.evidence.find((e) => e.fact === "audit.log.overflows");
    expect(line?.excerpt).toMatch(
      /^\[ {2}716\.152944\] audit: audit_backlog=8193 > audit_backlog_limit=8192\b/,
    );
    expect(h?.remediation.join(" ")).toMatch(/auditctl -s/);
    expect(h?.remediation.join(" ")).toMatch(/auditctl -b 8192/);
  });

  it("counts the backlog line alone (auditctl -f 0 prints no reason) and the rate limit", async () => {
    const silent = await replay(["audit: audit_backlog=8193 > audit_backlog_limit=8192"]);
    expect(silent.hyp("audit-backlog-overflow")?.confidence).toBeCloseTo(0.5, 5);
    const rated = await replay([
      "audit: audit_lost=90 audit_rate_limit=500 audit_backlog_limit=8192",
      "audit: rate limit exceeded",
    ]);
    expect(rated.hyp("audit-backlog-overflow")?.title).toBe(
      "Audit rules record system calls faster than auditd takes the records: the kernel logged 1 record(s) dropped over the audit rate limit of 500 a second",
    );
  });

  it("reads the panic of auditctl -f 2 as the dropped record, not as a kernel bug", async () => {
    const { hyp, verdict } = await replay([
      "audit: audit_lost=1 audit_rate_limit=0 audit_backlog_limit=8192",
      "Kernel panic - not syncing: audit: backlog limit exceeded",
    ]);
    expect(hyp("audit-backlog-overflow")?.title).toBe(
      "Audit rules record system calls faster than auditd takes the records: the kernel logged 1 record(s) dropped with its queue to auditd full (backlog limit 8192)",
    );
    // Another panic of kernel/audit.c (`audit: failed to start the kauditd thread`) is one.
    expect(hyp("kernel-bug-signature")).toBeUndefined();
    expect(verdict("kernel-bug-signature")).toBe("fine");
  });

  it("weighs less at the kernel's default limit of 64 (auditd's rules not loaded yet)", async () => {
    const { hyp } = await replay(overflow(1, 64), QUIET);
    // base 0.5, limit 64 takes 0.2
    expect(hyp("audit-backlog-overflow")?.confidence).toBeCloseTo(0.3, 5);
  });

  it("is quiet when the numbers contradict the claim", async () => {
    const { hyp, verdict, report } = await replay(
      [
        "audit: audit_backlog=60 > audit_backlog_limit=64",
        "audit: audit_lost=3 audit_rate_limit=0 audit_backlog_limit=8192",
        "audit: rate limit exceeded",
      ],
      IN_KERNEL,
    );
    expect(hyp("audit-backlog-overflow")).toBeUndefined();
    expect(verdict("audit-backlog-overflow")).toBe("fine");
    expect(report.notes.join(" ")).toMatch(/2 kernel reports of a lost audit record not counted/);
  });

  it("is quiet for audit records, the boot lines, and records held for want of an auditd", async () => {
    const { hyp, verdict } = await replay(
      [
        'audit: type=1400 audit(1795225418.120:212): apparmor="DENIED" operation="open" class="file" profile="/usr/sbin/ntpd" name="/etc/ssl/openssl.cnf" pid=1412 comm="ntpd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
        "audit: initializing netlink subsys (disabled)",
        "audit: audit_backlog_limit: 8192",
        "audit: kauditd hold queue overflow",
      ],
      IN_KERNEL,
    );
    expect(hyp("audit-backlog-overflow")).toBeUndefined();
    expect(verdict("audit-backlog-overflow")).toBe("fine");
  });

  it("is quiet without the messages, however busy the kernel", async () => {
    const { hyp, verdict } = await replay([], IN_KERNEL);
    expect(hyp("audit-backlog-overflow")).toBeUndefined();
    expect(verdict("audit-backlog-overflow")).toBe("fine");
  });
});
