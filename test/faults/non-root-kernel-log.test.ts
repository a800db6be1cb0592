import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type SshdHandle, startSshd } from "../helpers/sshd.js";
import { canCreateUsers, createTestUser, type TestUser } from "../helpers/users.js";

/**
 * False reassurance, live: over the loopback sshd as a user without root or sudo, with
 * `kernel.dmesg_restrict = 1` (the default of Debian, Ubuntu and RHEL; Documentation/admin-guide/
 * sysctl/kernel.rst), `dmesg` fails with "Operation not permitted". The kernel log of this
 * machine may hold OOM kills, hung tasks and disk errors, so the headline must never say "no
 * root cause" without saying the kernel log was not read, and which categories that leaves
 * unchecked. The sysctl is machine-wide, hence the serial `faults` project; it is put back as
 * it was.
 */
const RESTRICT = "/proc/sys/kernel/dmesg_restrict";

describe.runIf(canCreateUsers())("a diagnosis as a user who cannot read the kernel log", () => {
  let sshd: SshdHandle;
  let user: TestUser;
  let before: string;

  beforeAll(async () => {
    before = readFileSync(RESTRICT, "utf8").trim();
    writeFileSync(RESTRICT, "1");
    user = await createTestUser();
    sshd = await startSshd({ users: [user.name] });
  });
  afterAll(async () => {
    writeFileSync(RESTRICT, before);
    await sshd?.stop();
    await user?.remove();
  });

  it("names the unread kernel log and what it leaves unchecked in the headline", async () => {
    const inventory = sshd.writeInventory(
      { "plain-user": { address: "127.0.0.1", user: user.name } },
      "plain-user.yaml",
    );
    const r = await runCli(["diagnose", "plain-user", "memory", "--window", "1", "--json"], {
      env: { DIAGBOT_INVENTORY: inventory },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.collectors.find((c: { id: string }) => c.id === "dmesg")?.status).toBe("failed");
    expect(r.json.coverage).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          collector: "dmesg",
          categories: expect.arrayContaining(["memory-oom"]),
          wouldDecide: expect.stringMatching(/root or set sudo: true for dmesg/),
        }),
      ]),
    );
    expect(r.json.summary).toMatch(/kernel log could not be read \(needs root or sudo: true\)/);
    expect(r.json.summary).toMatch(/OOM kills[^.]* not checked/);
    // The rule that reads OOM kills is not evaluated, never "checked and fine".
    expect(r.json.checked.find((c: { rule: string }) => c.rule === "memory-oom")?.verdict).toBe(
      "not-evaluated",
    );
  }, 180_000);
});
