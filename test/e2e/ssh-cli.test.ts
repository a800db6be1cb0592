import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { runCli } from "../helpers/cli.js";
import { type SshdHandle, startSshd } from "../helpers/sshd.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

/**
 * The CLI end to end over SSH against a real OpenSSH sshd on loopback: as root, as a non-root
 * user without sudo, and as a non-root user with the shipped sudoers drop-in.
 */
describe("diagnose over SSH", () => {
  let sshd: SshdHandle;
  let plain: TestUser;
  let sudoer: TestUser;

  beforeAll(async () => {
    const shipped = readFileSync(
      new URL("../../deploy/sudoers.d/diagbot", import.meta.url),
      "utf8",
    );
    plain = await createTestUser();
    sudoer = await createTestUser({ sudoers: shipped.replace(/\bdiag\b/g, "%USER%") });
    sshd = await startSshd({ users: [plain.name, sudoer.name] });
  });

  afterAll(async () => {
    await sshd?.stop();
    await plain?.remove();
    await sudoer?.remove();
  });

  const ok = (report: Report) =>
    report.collectors.filter((c) => c.status === "ok").map((c) => c.id);

  it("as root: a full health report with at least 15 collectors ok", async () => {
    const r = await runCli(["diagnose", "test-host", "health", "--json", "--window", "2s"], {
      env: { DIAGBOT_INVENTORY: sshd.inventory },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.host).toBe("test-host");
    expect(ok(r.json).length).toBeGreaterThanOrEqual(15);
    expect(ok(r.json)).toContain("dmesg");
    expect(sshd.log()).toMatch(/Accepted publickey for root/);
  });

  it("as a user without sudo: root collectors fail with a hint, the rest completes", async () => {
    const inventory = sshd.writeInventory(
      { box: { address: "127.0.0.1", user: plain.name } },
      "plain.yaml",
    );
    const r = await runCli(["diagnose", "box", "health", "--json", "--window", "1s"], {
      env: { DIAGBOT_INVENTORY: inventory },
    });
    expect(r.code, r.stderr).toBe(0);
    const dmesg = (r.json as Report).collectors.find((c) => c.id === "dmesg")!;
    expect(dmesg.status).toBe("failed");
    expect(dmesg.error).toMatch(/root|sudo/);
    expect(ok(r.json).length).toBeGreaterThanOrEqual(12);
  });

  it("as a user with the shipped sudoers drop-in: root collectors run through sudo -n", async () => {
    const inventory = sshd.writeInventory(
      { box: { address: "127.0.0.1", user: sudoer.name, sudo: true } },
      "sudoer.yaml",
    );
    const r = await runCli(["diagnose", "box", "health", "--json", "--window", "1s"], {
      env: { DIAGBOT_INVENTORY: inventory },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(ok(r.json)).toContain("dmesg");
  });

  it("refuses a changed host key before any command runs", async () => {
    const other = execFileSync("sh", ["-c", `cat ${sshd.dir}/client_ed25519.pub`], {
      encoding: "utf8",
    });
    const knownHosts = sshd.writeFile("wrong_known_hosts", `[127.0.0.1]:${sshd.port} ${other}`);
    const inventory = sshd.writeFile(
      "wrong.yaml",
      readFileSync(sshd.inventory, "utf8").replace(sshd.knownHosts, knownHosts),
    );
    const before = sshd.log().length;
    const r = await runCli(["diagnose", "test-host", "health", "--json"], {
      env: { DIAGBOT_INVENTORY: inventory },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/host key/i);
    expect(sshd.log().slice(before)).not.toMatch(/Accepted publickey/);
  });

  it("refuses a bad --process before any connection", async () => {
    const before = sshd.log().length;
    // A comm value has no control character.
    const r = await runCli(["diagnose", "test-host", "cpu", "--process", "x\nid"], {
      env: { DIAGBOT_INVENTORY: sshd.inventory },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--process "x\\nid"');
    expect(sshd.log().slice(before)).not.toMatch(/Connection from|Accepted/);
  });

  it("refuses a --pid or --process that no process on the host has (exit 2), collecting nothing", async () => {
    const r = await runCli(
      ["diagnose", "test-host", "cpu", "--process", "diagbot-nosuch", "--window", "1"],
      { env: { DIAGBOT_INVENTORY: sshd.inventory } },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      '--process "diagbot-nosuch": no process of that name runs on test-host',
    );
    expect(r.stdout).toBe("");
  });

  it("refuses an unknown host with the closest names, before any connection", async () => {
    const r = await runCli(["diagnose", "test-hots", "health"], {
      env: { DIAGBOT_INVENTORY: sshd.inventory },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test-hots/);
  });

  it("reports an unreachable port with exit 3 and the address", async () => {
    const inventory = sshd.writeInventory({ gone: { address: "127.0.0.1", port: 1 } }, "gone.yaml");
    const r = await runCli(["diagnose", "gone", "health"], {
      env: { DIAGBOT_INVENTORY: inventory },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
  });
});
